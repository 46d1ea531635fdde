"""Reference and current tables → how well a classifier tells their rows apart (AUC) and which features it uses.

Per-feature tests miss drift in the joint distribution (each marginal unchanged, their
relationship changed). A classifier trained to separate reference rows from current rows
catches it: a cross-validated ROC AUC near 0.5 means the samples are indistinguishable, near
1.0 that they are different populations, and the features the classifier leans on are the
likely culprits. The sample is bounded and balanced so the cost does not grow with the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from govern.stats.values import ToDict, category_codes, finite

# HistGradientBoosting's native categorical support is limited to this many categories.
_MAX_NATIVE_CATEGORIES = 250


@dataclass(frozen=True, slots=True)
class DomainClassifierResult(ToDict):
    """Cross-validated AUC of reference-vs-current and features ranked by permutation importance."""

    auc: float | None
    auc_folds: tuple[float, ...]
    top_features: tuple[tuple[str, float], ...]
    n_used: int
    n_reference_used: int
    n_current_used: int
    reason: str | None = None


def _sample(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, size=k, replace=False)) if k < n else np.arange(n)


def _design(ref: pd.DataFrame, cur: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, list[bool]]:
    """Both samples stacked into one float matrix: numbers as is, categories as shared ordinal codes."""
    stacked = pd.concat([ref[columns], cur[columns]], ignore_index=True)
    matrix = np.empty((len(stacked), len(columns)), dtype=np.float64)
    categorical = []
    for j, name in enumerate(columns):
        col = stacked[name]
        is_cat = not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype)
        if is_cat:
            # canonical labels: code 1 in one sample and 1.0 in the other is one category
            codes, uniques = category_codes(col, sort=True)
            values = codes.astype(np.float64)
            values[codes < 0] = np.nan
            matrix[:, j] = values
            categorical.append(len(uniques) <= _MAX_NATIVE_CATEGORIES)
        else:
            if pd.api.types.is_datetime64_any_dtype(col.dtype):
                col = col.astype("int64").where(col.notna())
            matrix[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
            categorical.append(False)
    return matrix, categorical


def domain_classifier_drift(
    reference_df: pd.DataFrame,
    current_df: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    max_rows: int = 20000,
    folds: int = 5,
    seed: int = 0,
    top_k: int = 10,
) -> DomainClassifierResult:
    """Cross-validated ROC AUC of a gradient-boosted classifier separating reference from current.

    At most ``max_rows`` rows are used, half from each side when both are large enough, drawn
    with ``seed``; importances are permutation importances (drop in AUC) on held-out folds, so
    they rank features by how much of the separation they carry (measured on the first fold).
    """
    names = [c for c in (columns if columns is not None else reference_df.columns) if c in current_df.columns]
    if not names:
        return DomainClassifierResult(None, (), (), 0, 0, 0, "no column is present in both tables")
    rng = np.random.default_rng(seed)
    half = max_rows // 2
    k_ref = min(len(reference_df), max(half, max_rows - len(current_df)))
    k_cur = min(len(current_df), max_rows - k_ref)
    if min(k_ref, k_cur) < folds:
        return DomainClassifierResult(None, (), (), k_ref + k_cur, k_ref, k_cur,
                                      f"need at least {folds} rows on each side for {folds}-fold cross-validation")
    ref = reference_df.iloc[_sample(len(reference_df), k_ref, rng)]
    cur = current_df.iloc[_sample(len(current_df), k_cur, rng)]
    X, categorical = _design(ref, cur, names)
    y = np.concatenate((np.zeros(k_ref, dtype=np.int8), np.ones(k_cur, dtype=np.int8)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    # One OpenMP thread: on a shared CI runner, gradient boosting's spinning thread pool is several
    # times slower than a single thread for a sample this size (and the result is the same).
    with threadpool_limits(limits=1):
        return _fit_folds(X, y, names, categorical, splitter, seed, top_k, k_ref, k_cur)


def _fit_folds(X: np.ndarray, y: np.ndarray, names: list[str], categorical: list[bool], splitter: StratifiedKFold,
               seed: int, top_k: int, k_ref: int, k_cur: int) -> DomainClassifierResult:
    oof = np.empty(y.size, dtype=np.float64)
    fold_aucs = []
    importances = np.zeros(len(names), dtype=np.float64)
    for i, (train, test) in enumerate(splitter.split(X, y)):
        model = HistGradientBoostingClassifier(max_iter=100, categorical_features=np.array(categorical),
                                               early_stopping=False, random_state=seed)
        model.fit(X[train], y[train])
        oof[test] = model.predict_proba(X[test])[:, 1]
        fold_aucs.append(float(roc_auc_score(y[test], oof[test])))
        if i == 0:
            # One held-out fold is enough to rank culprits and keeps the cost at one fit's worth.
            perm = permutation_importance(model, X[test], y[test], scoring="roc_auc", n_repeats=3,
                                          random_state=seed)
            importances = perm.importances_mean
    ranked = sorted(zip(names, importances.tolist()), key=lambda t: (-t[1], t[0]))[:top_k]
    top = tuple((name, float(round(value, 12))) for name, value in ranked)
    return DomainClassifierResult(finite(float(np.mean(fold_aucs))), tuple(fold_aucs), top, int(y.size),
                                  k_ref, k_cur, None)
