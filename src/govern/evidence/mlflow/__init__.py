"""MLflow as an evidence source: a registry version or run → an ordinary, digested evidence folder.

``govern check --mlflow models:/NAME/VERSION`` and ``govern evidence pull`` both go through
:func:`pull`: parse the URI (:mod:`uri`), connect (:mod:`connect`), read and download
(:mod:`read`, the only module calling MLflow), then lay the result out as a bundle
(:mod:`snapshot`, with the metric-name mapping of :mod:`mapping`). The evaluator never learns
that the evidence came from MLflow: it opens a folder, as always. docs/mlflow.md has the
layout and the mapping defaults.

MLflow is imported only inside these calls (extra ``govern[mlflow]``).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from govern.errors import Diagnostic, Span
from govern.evidence.mlflow.uri import FORMS, MlflowError, ModelRef, parse_uri

__all__ = ["FORMS", "MlflowError", "ModelRef", "Pulled", "parse_uri", "pull", "pulled"]


@dataclass(frozen=True)
class Pulled:
    """A written snapshot and the registry identity it came from (None for ``runs:/``)."""

    path: Path
    ref: ModelRef
    name: str | None
    version: str | None
    run_id: str
    tracking_uri: str


def pull(uri: str, out: Path, *, tracking_uri: str | None = None, champion_alias: str | None = None) -> Pulled:
    """Write the snapshot of ``uri`` to ``out``: all or nothing (built beside it, then renamed into place).

    ``out`` must not exist, be empty, or be an earlier snapshot (which is replaced).
    """
    ref = parse_uri(uri)
    out = Path(out)
    _check_target(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.pull-", dir=out.parent))
    except OSError as exc:
        raise MlflowError(Diagnostic("output-unwritable", f"cannot write {out}: {exc.strerror or exc}",
                                     Span(str(out)))) from None
    try:
        pulled = _pull_into(ref, work, tracking_uri, champion_alias)
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{work.name}")
            out.rename(old)
        (work / "bundle").rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return Pulled(out, ref, pulled.name, pulled.version, pulled.run_id, pulled.tracking_uri)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def pulled(uri: str, *, tracking_uri: str | None = None, champion_alias: str | None = None) -> Iterator[Pulled]:
    """A snapshot in a temporary folder, removed afterwards (what `govern check --mlflow` evaluates)."""
    ref = parse_uri(uri)
    with tempfile.TemporaryDirectory(prefix="govern-mlflow-") as tmp:
        yield _pull_into(ref, Path(tmp), tracking_uri, champion_alias)


def digests_now(tracking_uri: str, name: str, version: str) -> tuple[str, str]:
    """Model and evidence digests of a version as the registry holds it now (a fresh pull):
    what a registry alias is compared with before it moves and when it is verified."""
    from govern.evidence.bundle import EvidenceBundle
    from govern.evidence.identity import evidence_digest, model_digest

    with pulled(f"models:/{name}/{version}", tracking_uri=tracking_uri) as snapshot:
        bundle = EvidenceBundle.open(snapshot.path)
        return model_digest(bundle), evidence_digest(bundle)


def _pull_into(ref: ModelRef, work: Path, tracking_uri: str | None, champion_alias: str | None) -> Pulled:
    from govern.evidence.mlflow.connect import connect
    from govern.evidence.mlflow.read import read
    from govern.evidence.mlflow.snapshot import assemble

    conn = connect(tracking_uri)
    reading = read(conn, ref, work / "staging", champion_alias=champion_alias)
    bundle = work / "bundle"
    bundle.mkdir()
    assemble(reading, bundle)
    shutil.rmtree(work / "staging", ignore_errors=True)
    return Pulled(bundle, ref, reading.name, reading.version, reading.run_id, conn.uri)


def _check_target(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise MlflowError(Diagnostic("output-unwritable", f"{out} exists and is not a folder", Span(str(out))))
    if any(out.iterdir()) and not (out / "mlflow" / "source.json").is_file():
        raise MlflowError(Diagnostic("output-not-empty", f"{out} is not empty and is not an earlier snapshot",
                                     Span(str(out)), "give a new or empty folder; an earlier snapshot is replaced"))
