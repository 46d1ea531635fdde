"""Train the credit-risk models and log them to an MLflow tracking server, as a team using MLflow would.

    .venv/bin/python examples/credit-risk/log_to_mlflow.py --tracking-uri http://127.0.0.1:5000

What it does, with the MLflow client only (no govern code):

1. trains and tests the release candidate exactly as ``build_evidence.py`` does (that script's
   ``main``: a real scikit-learn fit, a real pytest run of the model's validation suites) into a
   working folder;
2. logs the previous version 1.2.0 (the same recipe on the first 80 % of the training rows) as a
   run with its metrics and model, registers it and gives that version the alias ``champion``;
3. logs the release candidate 1.3.0 as a run: its hyper-parameters as params, every number of
   ``metrics.json`` as an MLflow metric (``test/auc``, ``slices/age_lt_35/auc`` …), the training
   rows as a dataset input named after their lineage node (``mlflow.log_input``), the model card, JUnit file, data,
   documents, environment and lineage as artifacts, a ``manifest.yaml`` artifact giving the
   documents their roles and the data its column mapping, and a nested ``validation`` run
   with one metric per test suite; the model is logged with its signature (skops format) and
   registered as the next version of ``credit-risk-scorer``.

It prints one JSON line: the run ids and registry versions. ``govern check --mlflow
models:/credit-risk-scorer/2`` then reads all of it back (docs/mlflow.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

# MLflow must never call home from an example (or from the tests that run it).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")

import yaml  # noqa: E402

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

import build_evidence  # noqa: E402
from pipeline import train  # noqa: E402

#: Files of the built bundle that govern derives from MLflow itself rather than reading as
#: artifacts: the metrics (logged as MLflow metrics), the champion's metrics (read from the
#: version holding the `champion` alias) and the model (logged as an MLflow model).
DERIVED = ("manifest.yaml", "metrics.json", "champion_metrics.json")


def flat_metrics(tree: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Every number of a metrics tree under a `/`-joined key (MLflow's own grouping separator)."""
    out: dict[str, float] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_metrics(value, name + "/"))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def run_manifest(bundle: Path) -> str:
    """The built manifest minus what MLflow holds natively: roles, digests and the column mapping."""
    manifest = yaml.safe_load((bundle / "manifest.yaml").read_text(encoding="utf-8"))
    manifest["files"] = [f for f in manifest["files"]
                         if f["path"] not in DERIVED and not f["path"].startswith("model/")]
    return yaml.safe_dump(manifest, sort_keys=False, width=100)


def log_model(mlflow: Any, pipeline: Any, frame: Any) -> Any:
    """The fitted pipeline as an MLflow model in skops format (never pickle), with its signature.

    Logged before the run's metrics: MLflow 3 links a new model to every metric the run already
    has, fetching each one's history (one request per metric, ~150 here)."""
    import sklearn
    import skops
    from mlflow.models import infer_signature

    sample = frame[list(train.FEATURES)].head(20)
    signature = infer_signature(sample, pipeline.predict_proba(sample))
    return mlflow.sklearn.log_model(
        pipeline, name="model", signature=signature, serialization_format="skops",
        skops_trusted_types=["numpy.dtype", "sklearn.tree._tree.Tree"],
        # pinned explicitly: inferring them would load the model in a subprocess
        pip_requirements=[f"scikit-learn=={sklearn.__version__}", f"skops=={skops.__version__}"])


def wait_for(uri: str, seconds: float = 300.0) -> None:
    """A server started alongside this script (as in CI) may still be coming up: wait for its /health."""
    import time
    import urllib.request

    if not uri.startswith(("http://", "https://")):
        return
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"no MLflow server answers at {uri}") from None
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI"),
                        help="MLflow tracking server (default: MLFLOW_TRACKING_URI)")
    parser.add_argument("--model-name", default=train.MODEL_NAME, help="registered model name")
    parser.add_argument("--experiment", default="credit-risk", help="MLflow experiment name")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for the built bundle (default: a temporary folder)")
    args = parser.parse_args(argv)
    if not args.tracking_uri:
        parser.error("give --tracking-uri or set MLFLOW_TRACKING_URI")
    with tempfile.TemporaryDirectory(prefix="credit-mlflow-") as tmp:
        work = (args.work or Path(tmp)) / "evidence"
        return log(args, work)


def log(args: argparse.Namespace, bundle: Path) -> int:
    import mlflow
    from mlflow import MlflowClient

    build_evidence.main(["--out", str(bundle), "--no-blocked"])  # train + test the release candidate
    metrics = json.loads((bundle / "metrics.json").read_text(encoding="utf-8"))
    previous_metrics = json.loads((bundle / "champion_metrics.json").read_text(encoding="utf-8"))
    raw = train.load_raw()
    frame = train.anonymise(raw)
    split = train.assign_split(frame)

    wait_for(args.tracking_uri)
    mlflow.set_tracking_uri(args.tracking_uri)
    client = MlflowClient(args.tracking_uri)
    experiment = mlflow.set_experiment(args.experiment)
    result: dict[str, Any] = {"experiment_id": experiment.experiment_id}

    # -- the version in production: 1.2.0, registered and aliased `champion` ----------------------
    previous = train.previous_version(frame, split)
    with mlflow.start_run(run_name=f"{previous.name} {previous.version}") as run:
        info = log_model(mlflow, previous.pipeline, frame)  # first: see log_model
        mlflow.set_tags({"model_version": previous.version, "algorithm": previous.algorithm})
        mlflow.log_params({"algorithm": previous.algorithm, "impute": previous.impute,
                           "training_rows": previous.training_rows, "C": 0.5})
        mlflow.log_metrics(flat_metrics({k: v for k, v in previous_metrics.items() if k != "model"}))
        result["champion_run_id"] = run.info.run_id
    champion = mlflow.register_model(info.model_uri, args.model_name)
    client.set_registered_model_alias(args.model_name, "champion", champion.version)
    result["champion_version"] = champion.version

    # -- the release candidate: 1.3.0 -------------------------------------------------------------
    release = train.release_candidate(frame, split)
    with mlflow.start_run(run_name=f"{release.name} {release.version}") as run:
        info = log_model(mlflow, release.pipeline, frame)
        mlflow.set_tags({"model_version": release.version, "algorithm": release.algorithm,
                         "owner": build_evidence.OWNER})
        mlflow.log_params({"algorithm": release.algorithm, "impute": release.impute,
                           "training_rows": release.training_rows, "C": 0.5,
                           "threshold": train.DECISION_THRESHOLD, **{f"seed_{k}": v for k, v in train.SEEDS.items()}})
        mlflow.log_metrics(flat_metrics({k: v for k, v in metrics.items() if k != "model"}))
        training = frame[(split == "train").to_numpy()].assign(split="train")
        mlflow.log_input(mlflow.data.from_pandas(training, source=build_evidence.UCI_URI, name="training_set",
                                                 targets=train.TARGET), context="training")
        artifacts = bundle.with_name("artifacts")  # the bundle minus what MLflow holds natively
        shutil.copytree(bundle, artifacts, ignore=lambda folder, names: [
            n for n in names if Path(folder) == bundle and (n in DERIVED or n == "model")])
        (artifacts / "manifest.yaml").write_text(run_manifest(bundle), encoding="utf-8")
        mlflow.log_artifacts(str(artifacts))
        junit = build_evidence.ET.parse(bundle / "junit" / "validation.xml").getroot()
        with mlflow.start_run(run_name="validation", nested=True) as child:
            for suite in junit.iter("testsuite"):
                name = suite.get("name")
                mlflow.log_metrics({f"{name}/tests": float(suite.get("tests", 0)),
                                    f"{name}/failures": float(suite.get("failures", 0)),
                                    f"{name}/errors": float(suite.get("errors", 0))})
            result["validation_run_id"] = child.info.run_id
        result["run_id"] = run.info.run_id
    candidate = mlflow.register_model(info.model_uri, args.model_name)
    result["version"] = candidate.version
    result["model_name"] = args.model_name
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
