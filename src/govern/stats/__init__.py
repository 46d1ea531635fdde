"""Tables of model inputs and outputs → fairness, drift, per-group performance and data-quality results.

The numerical core of the statistical checks. Nothing is imported here on purpose: numpy,
pandas, scipy and scikit-learn load only when a statistical check imports one of the
modules below, so the rest of govern keeps its fast start.

Modules, one job each:

- ``drift`` — reference vs current columns → KS, Wasserstein, PSI, chi-squared, Cramér's V
- ``domain_classifier`` — reference vs current rows → cross-validated AUC and culprit features
- ``fairness`` — predictions + sensitive attributes → selection rates, impact ratios, TPR/FPR gaps
- ``performance`` — predictions + groups → metric per subpopulation, worst group, gap
- ``quality`` — a table (+ training table) → schema, missing rates, ranges, duplicates
- ``frames`` — a CSV/Parquet path → a DataFrame, with size limits and diagnostics
"""

__all__ = ["domain_classifier", "drift", "fairness", "frames", "performance", "quality"]
