"""The names of the built-in check kinds a template may require, with what each measures.

Kept free of heavy imports: `govern validate` and `govern plan` need the list, not the
implementations (which live in :mod:`govern.checks` submodules and load on demand).
"""

from __future__ import annotations

_DATA = ("file", "role")
_COLUMNS = ("y_true", "y_pred", "score", "threshold")

#: The parameters each kind accepts (see docs/checks.md); anything else is a typo to report.
CHECK_PARAMS: dict[str, tuple[str, ...]] = {
    "metric": (),
    "tests": ("suites", "allow_skipped", "file"),
    "documentation": ("sections", "metadata", "min_words"),
    "reproducibility": ("require_lock", "require_seeds", "verify_data_digests"),
    "lineage": ("model", "rules"),
    "artifact": ("files", "roles"),
    "latency": _DATA + ("column", "over_ms"),
    "fairness": _DATA + _COLUMNS + ("sensitive", "intersections", "bands", "min_group_size", "rate",
                                    "min_share", "classes"),
    "performance_by_group": _DATA + _COLUMNS + ("group_by", "metric", "min_group_size"),
    "drift": ("reference", "current", "columns", "categorical", "psi_threshold", "pvalue_threshold", "min_effect",
              "segment_by", "domain_classifier", "bins", "max_rows"),
    "data_quality": _DATA + ("schema", "max_missing", "ranges", "reference", "duplicates", "columns"),
    "stability": _DATA + ("model", "epsilon", "columns", "max_rows"),
    "suite": ("suite", "file", "tool", "allow_warnings", "allow_not_run"),
    "prohibited": (),
    "custom": ("entry_point", "options"),
    "training": ("roles", "max_age_days", "role"),
}

#: Parameters a kind cannot run without (a pack leaving one out does not load).
REQUIRED_PARAMS: dict[str, tuple[str, ...]] = {"custom": ("entry_point",)}

CHECK_KINDS: dict[str, str] = {
    "metric": "a condition over the model's metrics, optionally against the champion's",
    "tests": "named JUnit suites exist and have no failures or errors",
    "documentation": "required model-card sections are present and non-trivial",
    "reproducibility": "environment locked with exact versions, seeds recorded, data digests match",
    "lineage": "training inputs reach registered sources; PII passes anonymisation; sources are licensed",
    "artifact": "required files exist in the evidence with matching digests",
    "latency": "mean and percentile latency conditions",
    "fairness": "selection rates, impact ratios and error-rate gaps across groups and intersections",
    "performance_by_group": "a metric per subpopulation: worst group and gap to overall",
    "drift": "reference vs current data per feature (KS, PSI, Wasserstein, chi-squared), domain classifier",
    "data_quality": "schema, missing values, ranges against the training domain, duplicates",
    "stability": "a small input perturbation gives a bounded output change",
    "suite": "a named Great Expectations, Evidently or Deepchecks suite succeeded; each failed test named",
    "prohibited": "the tier forbids deployment; never passes and cannot be waived",
    "custom": "a measurement by the policy author's own code (a `govern.checks` entry point)",
    "training": "every holder of the listed roles has a dated training record, recent enough",
}
