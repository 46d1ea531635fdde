"""Expected calibration error (ECE) of predicted probabilities, read from the evidence bundle.

A probability of default of 0.2 should come true about one time in five: Art. 15 of the EU AI
Act and SR 11-7's outcomes analysis both ask whether scores mean what they say. ECE bins the
predictions by score and averages |observed rate − mean score| weighted by bin size.

govern calls ``calibration_error(evidence, options)``: ``evidence`` is its confined reader
(files by role or bundle-relative path; every file read is listed with its digest in the
result), ``options`` the template's ``params.options``. It returns the measured values its
template's ``condition`` judges, e.g. ``result.ece <= 0.05``. Any exception it raises makes
the check ``error``, never ``passed``.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any


def calibration_error(evidence: Any, options: dict[str, Any]) -> dict[str, Any]:
    file = str(options.get("file", "data/predictions.csv"))
    columns = evidence.columns()
    score = str(options.get("score") or columns.get("score") or "score")
    target = str(options.get("y_true") or columns.get("target") or "y_true")
    bins = int(options.get("bins", 10))
    if not 1 <= bins <= 1000:
        raise ValueError(f"bins must be between 1 and 1000, got {bins}")

    rows = csv.DictReader(io.StringIO(evidence.read_text(file)))
    missing = [c for c in (score, target) if c not in (rows.fieldnames or [])]
    if missing:
        raise ValueError(f"{file} has no column {', '.join(missing)}")
    count = [0] * bins
    score_sum = [0.0] * bins
    positives = [0] * bins
    skipped = 0
    for row in rows:
        try:
            p = float(row[score])
            y = int(float(row[target]))
        except (TypeError, ValueError):
            skipped += 1
            continue
        if not (math.isfinite(p) and 0.0 <= p <= 1.0) or y not in (0, 1):
            raise ValueError(f"{file}: score {row[score]!r} / label {row[target]!r} is not a probability and 0/1")
        b = min(int(p * bins), bins - 1)
        count[b] += 1
        score_sum[b] += p
        positives[b] += y
    n = sum(count)
    if n == 0:
        raise ValueError(f"{file} has no usable rows")
    gaps = [abs(positives[b] / count[b] - score_sum[b] / count[b]) for b in range(bins) if count[b]]
    weights = [count[b] / n for b in range(bins) if count[b]]
    return {
        "ece": round(sum(g * w for g, w in zip(gaps, weights)), 6),
        "max_bin_gap": round(max(gaps), 6),
        "n": n,
        "skipped_rows": skipped,
        "bins": bins,
    }
