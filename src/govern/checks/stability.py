"""`stability` check: a small perturbation of the inputs must give a bounded change in the model's output.

The model is loaded from a skops file with an allow-list of types (scikit-learn, numpy,
scipy): govern never unpickles user files, and refuses a model needing anything else. Only the
modules the file names are imported (see :mod:`govern.evidence.model_file`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.checks.base import Measurement
from govern.checks.data_params import data_file, table
from govern.errors import Diagnostic, InputError, Span

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec

def load_model(path, shown: str):
    """The model in a skops file, refusing any type outside govern's allow-list (never unpickled).

    Most files are read by :mod:`govern.evidence.model_file`, which imports only the modules the
    file names; files using node kinds it does not reproduce go through skops itself.
    """
    from zipfile import BadZipFile

    from govern.evidence import model_file

    try:
        return model_file.load(path)
    except model_file.Untrusted as exc:
        raise _untrusted(shown, exc.types) from None
    except model_file.NotHandled:
        pass
    except (BadZipFile, OSError) as exc:
        raise InputError(Diagnostic("stability-model", f"{shown} is not a readable skops file: {exc}",
                                    Span(shown))) from None
    except Exception as exc:
        raise InputError(Diagnostic("stability-model", f"{shown} could not be loaded: {exc}", Span(shown))) from None
    return _load_with_skops(path, shown)


def _load_with_skops(path, shown: str):
    try:
        import skops.io as sio
    except ImportError:
        raise InputError(Diagnostic("stability-no-skops", "the stability check needs skops to read the model",
                                    Span(shown), "pip install 'govern[stats]'")) from None
    from govern.evidence.model_file import untrusted_types

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # a malformed archive
        raise InputError(Diagnostic("stability-model", f"{shown} is not a readable skops file: {exc}",
                                    Span(shown))) from None
    refused = untrusted_types(set(untrusted))
    if refused:
        raise _untrusted(shown, refused)
    try:
        return sio.load(path, trusted=untrusted)
    except Exception as exc:
        raise InputError(Diagnostic("stability-model", f"{shown} could not be loaded: {exc}", Span(shown))) from None


def _untrusted(shown: str, refused: list[str]) -> InputError:
    return InputError(Diagnostic("stability-untrusted", f"{shown} needs types govern does not load: "
                                 + ", ".join(refused[:5]), Span(shown),
                                 "only scikit-learn, numpy and scipy objects are loaded from model files"))


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    import numpy as np

    p = spec.params
    name = str(p.get("model") or "")
    if not name:
        candidates = [f for f in ctx.bundle.files_with_role("artifact") if f.path.endswith(".skops")]
        if len(candidates) != 1:
            raise InputError(Diagnostic("stability-model", "name the model file in params.model "
                                        f"({len(candidates)} .skops artifacts in the evidence)"))
        name = candidates[0].path
    source = ctx.file(name)
    model = ctx.cached(f"model:{source.path}", lambda: load_model(source.abs_path, source.path))
    frame, ref = table(ctx, data_file(p, "data/current.csv"))
    features = list(getattr(model, "feature_names_in_", [])) or [c for c in frame.columns if not str(c).endswith("_id")]
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise InputError(Diagnostic("evidence-column-missing", f"{ref.path} lacks model inputs: {', '.join(missing[:5])}"))
    rows = frame[features].head(int(p.get("max_rows", 2000))).copy()
    epsilon = float(p.get("epsilon", 0.01))
    numeric = [c for c in features if rows[c].dtype.kind in "if" and rows[c].std(skipna=True) > 0]
    perturbed = rows.copy()
    rng = np.random.default_rng(0)  # deterministic perturbation: the same evidence gives the same number
    for column in numeric:
        scale = float(rows[column].std(skipna=True)) * epsilon
        perturbed[column] = rows[column] + rng.choice([-1.0, 1.0], size=len(rows)) * scale
        if rows[column].dtype.kind == "i":
            perturbed[column] = perturbed[column].astype(float)
    try:
        predict = model.predict_proba if hasattr(model, "predict_proba") else model.predict
        before = np.asarray(predict(rows), dtype=float)
        after = np.asarray(predict(perturbed), dtype=float)
    except Exception as exc:
        raise InputError(Diagnostic("stability-predict", f"the model could not score {ref.path}: {exc}")) from None
    if before.ndim == 2:
        before, after = before[:, -1], after[:, -1]
    change = np.abs(after - before)
    measured = {"max_change": float(change.max()), "mean_change": float(change.mean()), "epsilon": epsilon,
                "rows": int(len(rows)), "perturbed_columns": numeric}
    message = (f"±{epsilon:g}σ on {len(numeric)} numeric inputs moves the output by at most "
               f"{measured['max_change']:.4f} (mean {measured['mean_change']:.4f}, {len(rows)} rows)")
    return Measurement(measured=measured, ok=None, message=message, evidence=[ctx.ref(source), ref])
