"""The names of the built-in check kinds a template may require, with what each measures.

Kept free of heavy imports: `govern validate` and `govern plan` need the list, not the
implementations (which live in :mod:`govern.checks` submodules and load on demand).
"""

from __future__ import annotations

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
    "prohibited": "the tier forbids deployment; never passes and cannot be waived",
}
