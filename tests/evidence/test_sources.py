"""Sign-off and waiver sources: protocol conformance, file records, verifier injection."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Mapping

import pytest

from govern.evidence.bundle import EvidenceBundle
from govern.evidence.sources import FileSignoffSource, FileWaiverSource
from govern.sign.sources import (
    UNSIGNED, InMemorySignoffSource, InMemoryWaiverSource, SignoffRecord, SignoffSource, Verification, WaiverRecord,
    WaiverSource,
)

from .conftest import write_tree

DIGEST = "sha256:" + "1" * 64


def record(**kw: Any) -> SignoffRecord:
    base = dict(signer="jane", role="model-validator", gate="validation", decision="approve", model_digest=DIGEST,
                evidence_digest=None, policy_digest=None, signed_at=dt.datetime(2024, 5, 2, tzinfo=dt.timezone.utc),
                key_fingerprint=None, comment=None, verified=True, problem=None, use_case_id="credit-scoring")
    base.update(kw)
    return SignoffRecord(**base)


def test_in_memory_sources_filter_and_sort() -> None:
    later = record(signer="zed", signed_at=dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc))
    source = InMemorySignoffSource([later, record(), record(gate="deploy"), record(model_digest="sha256:" + "2" * 64),
                                    record(use_case_id="other")])
    assert isinstance(source, SignoffSource)
    # records for other models are returned too: the evaluator reports them as stale
    assert [r.signer for r in source.signoffs("credit-scoring", "validation", "model-validator")] == [
        "jane", "jane", "zed"]
    waiver = WaiverRecord("oot-auc", "r", "john", "head", dt.date(2024, 9, 30), True, None, "credit-scoring")
    waivers = InMemoryWaiverSource([waiver])
    assert isinstance(waivers, WaiverSource)
    assert waivers.waivers("credit-scoring", "oot-auc") == [waiver] and waivers.waivers("x", "oot-auc") == []
    assert waiver.active_on(dt.date(2024, 9, 30)) and not waiver.active_on(dt.date(2024, 10, 1))
    with pytest.raises(AttributeError):
        waiver.reason = "changed"  # type: ignore[misc]


def test_file_sources_return_unsigned_records(fixture_bundle: Path) -> None:
    bundle = EvidenceBundle.open(fixture_bundle)
    signoffs = FileSignoffSource(bundle)
    assert isinstance(signoffs, SignoffSource)
    (found,) = signoffs.signoffs("credit-scoring", "validation", "model-validator")
    assert (found.verified, found.problem, found.source) == (False, UNSIGNED, "signoffs/validation-mrm.yaml")
    assert found.signed_at == dt.datetime(2024, 5, 2, 10, tzinfo=dt.timezone.utc)
    assert signoffs.signoffs("credit-scoring", "validation", "other-role") == []
    (waiver,) = FileWaiverSource(bundle).waivers("credit-scoring", "oot-auc")
    assert waiver.expires == dt.date(2024, 9, 30) and not waiver.verified and waiver.problem == UNSIGNED


def test_verifier_is_injected_and_fails_closed(fixture_bundle: Path) -> None:
    bundle = EvidenceBundle.open(fixture_bundle)
    seen: list[tuple[str, bytes]] = []

    def verifier(path: str, raw: bytes, data: Mapping[str, Any]) -> Verification:
        seen.append((path, raw))
        return Verification(True, key_fingerprint="AB:CD")

    (ok,) = FileSignoffSource(bundle, verifier).signoffs("credit-scoring", "validation", "model-validator")
    assert ok.verified and ok.problem is None and ok.key_fingerprint == "AB:CD"
    assert seen[0][1] == (fixture_bundle / "signoffs" / "validation-mrm.yaml").read_bytes()  # exact bytes

    def broken(path: str, raw: bytes, data: Mapping[str, Any]) -> Verification:
        raise ValueError("bad key")

    (bad,) = FileWaiverSource(bundle, broken).waivers("credit-scoring", "oot-auc")
    assert not bad.verified and bad.problem == "verifier failed: ValueError: bad key"
    (rejected,) = FileWaiverSource(bundle, lambda p, r, d: Verification(False, "signature does not match")).waivers(
        "credit-scoring", "oot-auc")
    assert rejected.problem == "signature does not match"


def test_malformed_records_are_positioned_errors(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "signoffs/a.yaml": "use_case: u\ngate: g\nrole: r\nsigner: s\ndecision: maybe\n"
                           f"model_digest: {DIGEST}\nsigned_at: 2024-05-02T10:00:00\n",
        "signoffs/b.json": '{"use_case": "u", "gate": "g"',
        "waivers/w.yaml": "use_case: u\ncheck: c\nreason: r\napprover: a\nrole: r\nexpires: soon\nextra: 1\n",
    })
    bundle = EvidenceBundle.open(root)
    source = FileSignoffSource(bundle)
    # reported and skipped: each malformed file is an unverified record naming its first problem
    broken = source.signoffs("u", "g", "r")
    assert [(r.source, r.verified) for r in broken] == [("signoffs/a.yaml", False), ("signoffs/b.json", False)]
    assert broken[0].problem.startswith("malformed record file: signoffs/a.yaml:5:")
    found = sorted((d.span.file, d.span.line, d.code) for d in source.problems)
    assert found == [("signoffs/a.yaml", 5, "signoff-invalid"),   # decision
                     ("signoffs/a.yaml", 7, "signoff-invalid"),   # naive timestamp
                     ("signoffs/b.json", 1, "json-syntax")]
    waivers = FileWaiverSource(bundle)
    assert [w.verified for w in waivers.waivers("u", "c")] == [False]
    assert sorted((d.span.line, d.code) for d in waivers.problems) == [(6, "waiver-invalid"), (7, "waiver-invalid")]
