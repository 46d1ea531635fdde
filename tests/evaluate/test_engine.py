"""Gate evaluation: every status, fail-closed evidence errors, sign-off rules, waivers, digests."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from govern.evaluate.pipeline import UsageError, check
from govern.sign.sources import InMemorySignoffSource, InMemoryWaiverSource, SignoffRecord, WaiverRecord
from tests.evaluate.conftest import AS_OF, BLOCKED, EVIDENCE, MINI, ROOT

UTC = dt.timezone.utc


def statuses(decision) -> dict[str, str]:
    out = {}
    for gate in decision.gates:
        out[gate.id] = gate.status
        for c in gate.checks:
            out[f"{gate.id}.{c.id}"] = c.status
        for s in gate.signoffs:
            out[f"{gate.id}.signoff:{s.role}"] = s.status
    return out


def test_passing_bundle_allows_validation_and_production_waits_for_people(policy, use_case):
    decision = check(policy, use_case, EVIDENCE, target="validation", as_of=AS_OF)
    assert decision.allowed and decision.exit_code == 0
    got = statuses(decision)
    assert got["validation"] == "passed" and got["validation.auc"] == "passed"
    assert got["production.signoff:validator"] == "pending"
    assert got["monitoring"] == "blocked"
    auc = next(c for c in decision.checks if c.id == "auc")
    assert auc.measured["metrics.test.auc"] > 0.75 and auc.measured["params.min_auc"] == 0.75
    assert auc.evidence[0].path == "metrics.json" and len(auc.evidence[0].sha256) == 64


def test_blocked_bundle_names_what_blocks(policy, use_case):
    decision = check(policy, use_case, BLOCKED, target="production", as_of=AS_OF)
    assert not decision.allowed and decision.exit_code == 1
    assert "production.validation_suites" in decision.determining
    suites = next(c for c in decision.checks if c.id == "validation_suites")
    assert suites.status == "failed" and any("missing_values" in d for d in suites.details)
    assert decision.verdict.startswith("BLOCKED") and "production.validation_suites" in decision.verdict


def test_missing_evidence_is_an_error_never_a_pass(policy, use_case, bundle):
    (bundle / "metrics.json").unlink()
    decision = check(policy, use_case, bundle, target="validation", as_of=AS_OF)
    auc = next(c for c in decision.checks if c.id == "auc")
    assert auc.status == "error" and "`metrics.test.auc`" in auc.message
    assert decision.gate("validation").status == "error" and not decision.allowed


@pytest.mark.parametrize("content, fragment", [
    ('{"test": {"auc": NaN}}', "NaN"),
    ('{"test": {"auc": 0.8', ""),
    ("", "empty"),
    ('{"test": {"auc": "high"}}', "cannot compare"),
])
def test_malformed_metrics_make_the_check_error(policy, use_case, bundle, content, fragment):
    (bundle / "metrics.json").write_text(content)
    decision = check(policy, use_case, bundle, target="validation", as_of=AS_OF)
    auc = next(c for c in decision.checks if c.id == "auc")
    assert auc.status == "error", auc
    assert fragment.lower() in auc.message.lower()


def test_failed_metric_and_warn_enforcement(policy, use_case, bundle):
    metrics = json.loads((bundle / "metrics.json").read_text())
    metrics["test"]["auc"] = 0.70
    (bundle / "metrics.json").write_text(json.dumps(metrics))
    decision = check(policy, use_case, bundle, target="validation", as_of=AS_OF)
    got = statuses(decision)
    assert got["validation.auc"] == "failed"
    assert got["validation.no_drop"] == "warned"  # champion 0.79 → 0.70 is a drop, but only a warning
    assert got["validation"] == "failed"


def test_required_document_missing_fails_the_gate(policy, use_case, bundle):
    (bundle / "model_card.md").unlink()
    decision = check(policy, use_case, bundle, target="validation", as_of=AS_OF)
    doc = next(c for c in decision.checks if c.id == "model_card")
    assert doc.status == "failed" and "missing" in doc.message


def test_path_escape_in_evidence_is_refused(policy, use_case, bundle, tmp_path):
    outside = tmp_path / "secret.json"
    outside.write_text("{}")
    (bundle / "link.json").symlink_to(outside)
    from govern.errors import EvidenceError

    with pytest.raises(EvidenceError) as caught:
        check(policy, use_case, bundle, as_of=AS_OF)
    assert "link.json" in caught.value.render()


def test_unknown_target_is_a_usage_error(policy, use_case):
    with pytest.raises(UsageError) as caught:
        check(policy, use_case, EVIDENCE, target="prod", as_of=AS_OF)
    assert "did you mean `production`?" in caught.value.render()


# --- sign-offs --------------------------------------------------------------------------

def record(probe, **kw) -> SignoffRecord:
    base = dict(signer="victor", role="validator", gate="production", decision="approve",
                model_digest=probe.model_digest, evidence_digest=probe.evidence_digest,
                policy_digest=probe.policy["digest"], signed_at=dt.datetime(2026, 5, 1, 9, tzinfo=UTC), key_fingerprint="fp",
                comment=None, verified=True, problem=None, use_case_id="consumer-credit")
    base.update(kw)
    return SignoffRecord(**base)


def production(policy, use_case, evidence, records, as_of=AS_OF, waivers=()):
    return check(policy, use_case, evidence, target="production", as_of=as_of,
                 signoffs=InMemorySignoffSource(records), waivers=InMemoryWaiverSource(waivers))


def test_signoff_rules(policy, use_case, bundle):
    probe = check(policy, use_case, bundle, as_of=AS_OF)
    stale = "sha256:" + "0" * 64
    records = [
        record(probe),
        record(probe, signer="victor", signed_at=dt.datetime(2026, 5, 2, tzinfo=UTC)),  # counted twice
        record(probe, signer="alice"),  # does not hold the role
        record(probe, signer="vera", model_digest=stale),  # retrained since
        record(probe, signer="vera", verified=False, problem="bad signature"),
        record(probe, signer="vera", signed_at=dt.datetime(2025, 1, 1, tzinfo=UTC)),  # expired (365d)
        record(probe, signer="vera", signed_at=dt.datetime(2026, 7, 1, tzinfo=UTC)),  # after as_of
    ]
    decision = production(policy, use_case, bundle, records)
    validator = next(s for s in decision.gate("production").signoffs if s.role == "validator")
    assert validator.status == "pending" and [a["signer"] for a in validator.approvals] == ["victor"]
    problems = [r["problem"] for r in validator.rejected]
    assert any("already counted" in p for p in problems)
    assert any("does not hold role `validator`" in p for p in problems)
    assert any(p.startswith("stale: signed for model") for p in problems)
    assert "bad signature" in problems
    assert any(p.startswith("expired on 2026-01-01") for p in problems)
    assert any("after the evaluation date" in p for p in problems)


def test_signoffs_complete_the_gate_and_a_reject_fails_it(policy, use_case, bundle):
    fria = bundle / "model_card.md"
    fria.write_text(fria.read_text() + "\n## Fundamental rights impact assessment\n\nThe assessment covers "
                    "affected groups, risks of discrimination in credit access, mitigation and human oversight.\n")
    probe = check(policy, use_case, bundle, as_of=AS_OF)  # sign-offs bind to the evidence as it now is
    ok = [record(probe), record(probe, signer="vera"), record(probe, signer="rita", role="risk_officer")]
    decision = production(policy, use_case, bundle, ok)
    assert decision.allowed, decision.verdict
    rejected = ok + [record(probe, signer="rita", role="risk_officer", decision="reject", comment="no")]
    # rita is counted once: her later reject is reported as a duplicate, so the gate still passes
    assert production(policy, use_case, bundle, rejected).allowed
    vetoed = ok[:2] + [record(probe, signer="rita", role="risk_officer", decision="reject", comment="overlays")]
    decision = production(policy, use_case, bundle, vetoed)
    assert not decision.allowed and decision.gate("production").status == "failed"


def test_author_may_not_approve(policy, use_case, bundle):
    from dataclasses import replace

    from govern.load.use_case import ModelRef

    authored = replace(use_case, model=ModelRef(name="credit-risk-scorer", author="victor"))
    probe = check(policy, authored, bundle, as_of=AS_OF)
    decision = production(policy, authored, bundle, [record(probe), record(probe, signer="vera")])
    validator = next(s for s in decision.gate("production").signoffs if s.role == "validator")
    assert any("built this model" in r["problem"] for r in validator.rejected)


# --- waivers ------------------------------------------------------------------------------

def _model_of_the_evidence() -> str:
    from govern.evidence.bundle import EvidenceBundle
    from govern.evidence.identity import model_digest

    return model_digest(EvidenceBundle.open(EVIDENCE))  # the bundle fixtures copy it: same model


def waiver(policy_digest: str, **kw) -> WaiverRecord:
    kw.setdefault("model_digest", _model_of_the_evidence())
    base = dict(check_id="production.fria", reason="FRIA scheduled for Q3", approver="rita", role="risk_officer",
                expires=dt.date(2026, 9, 30), verified=True, problem=None, use_case_id="consumer-credit",
                policy_digest=policy_digest, signed_at=dt.datetime(2026, 5, 1, 9, tzinfo=UTC))
    base.update(kw)
    return WaiverRecord(**base)


def test_waiver_shows_waived_never_passed_and_expires(policy, use_case, bundle):
    probe = check(policy, use_case, bundle, as_of=AS_OF)
    people = [record(probe), record(probe, signer="vera"), record(probe, signer="rita", role="risk_officer")]
    decision = production(policy, use_case, bundle, people, waivers=[waiver(policy.digest)])
    fria = next(c for c in decision.checks if c.id == "fria")
    assert fria.status == "waived" and fria.waiver["approver"] == "rita"
    assert decision.allowed and decision.gate("production").status == "waived"
    later = production(policy, use_case, bundle, people, as_of=dt.date(2026, 10, 1), waivers=[waiver(policy.digest)])
    assert next(c for c in later.checks if c.id == "fria").status == "failed"
    wrong_role = production(policy, use_case, bundle, people, waivers=[waiver(policy.digest, approver="victor", role="validator")])
    assert next(c for c in wrong_role.checks if c.id == "fria").status == "failed"


def test_a_waiver_longer_than_max_waiver_days_does_not_count_and_says_why(policy, use_case, bundle):
    from dataclasses import replace

    probe = check(policy, use_case, bundle, as_of=AS_OF)
    people = [record(probe), record(probe, signer="vera"), record(probe, signer="rita", role="risk_officer")]

    def fria(pack, *waivers):
        return next(c for c in production(pack, use_case, bundle, people, waivers=waivers).checks if c.id == "fria")

    forever = fria(policy, waiver(policy.digest, expires=dt.date(2099, 12, 31)))  # default bound: 365 days
    assert forever.status == "failed"
    assert ("the waiver by rita does not count: expires 2099-12-31, 26907 days after it was signed on 2026-05-01; "
            "policy mini allows waivers of at most 365 days (`max_waiver_days`)") in forever.message
    assert fria(policy, waiver(policy.digest, expires=dt.date(2027, 5, 1))).status == "waived"  # exactly 365 days
    assert fria(policy, waiver(policy.digest, expires=dt.date(2027, 5, 2))).status == "failed"

    strict = replace(policy, manifest=policy.manifest.model_copy(
        update={"parameters": {**policy.manifest.parameters, "max_waiver_days": 90}}))
    assert fria(strict, waiver(policy.digest)).status == "failed"  # 152 days
    assert fria(strict, waiver(policy.digest), waiver(policy.digest, expires=dt.date(2026, 7, 30))).status == "waived"  # another one fits

    undated = fria(policy, waiver(policy.digest, signed_at=None))
    assert undated.status == "failed" and "no signing time" in undated.message


# --- determinism ----------------------------------------------------------------------------

def _digest_in_subprocess(evidence: Path) -> str:
    code = ("import datetime, govern; from govern.evaluate.pipeline import check\n"
            f"p = govern.load_policy({str(MINI)!r})\n"
            f"u = govern.load_use_case({str(MINI / 'use_cases' / 'credit.yaml')!r}, p)\n"
            f"print(check(p, u, {str(evidence)!r}, as_of=datetime.date(2026, 6, 1)).digest)")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=ROOT).stdout.strip()


def test_decision_digest_is_deterministic_across_processes_and_byte_sensitive(bundle):
    first = _digest_in_subprocess(bundle)
    assert first == _digest_in_subprocess(bundle) and first.startswith("sha256:")
    readme = bundle / "data" / "reference.csv"
    readme.write_bytes(readme.read_bytes() + b"\n")
    assert _digest_in_subprocess(bundle) != first


def test_cli_exit_codes(tmp_path):
    base = [sys.executable, "-m", "govern", "check", str(MINI / "use_cases" / "credit.yaml"), "-p", str(MINI),
            "--as-of", "2026-06-01", "--no-record"]
    ok = subprocess.run(base + ["-e", str(EVIDENCE), "--target", "validation"], capture_output=True, text=True)
    assert ok.returncode == 0 and "ALLOWED" in ok.stdout
    blocked = subprocess.run(base + ["-e", str(BLOCKED), "--target", "production"], capture_output=True, text=True)
    assert blocked.returncode == 1 and "BLOCKED" in blocked.stdout
    bad = subprocess.run(base + ["-e", str(tmp_path / "absent")], capture_output=True, text=True)
    assert bad.returncode == 2 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr


def test_a_suite_whose_tests_were_all_skipped_proves_nothing(policy, use_case, bundle):
    junit = bundle / "junit" / "validation.xml"
    junit.write_text('<testsuites><testsuite name="base_case" tests="2" skipped="2">'
                     '<testcase name="a"><skipped/></testcase><testcase name="b"><skipped/></testcase></testsuite>'
                     '<testsuite name="missing_values" tests="1"><testcase name="c"/></testsuite></testsuites>')
    suites = next(c for c in check(policy, use_case, bundle, as_of=AS_OF).checks if c.id == "validation_suites")
    assert suites.status == "failed" and "base_case" in suites.measured["missing"]


def test_reproducibility_without_data_references_is_not_verified():
    from types import SimpleNamespace

    from govern.checks import reproducibility
    from govern.policy.model import CheckSpec

    card = SimpleNamespace(metadata={"name": "m"})
    ctx = SimpleNamespace(model_card=lambda: card, bundle=SimpleNamespace(get=lambda path: None))
    spec = CheckSpec(id="r", kind="reproducibility",
                     params={"require_lock": False, "require_seeds": False, "verify_data_digests": True})
    measurement = reproducibility.run(spec, ctx)
    assert measurement.ok is False and "names no training or evaluation data" in measurement.message


def test_a_waiver_goes_stale_with_the_model_unless_the_pack_says_otherwise(policy, use_case, bundle):
    from dataclasses import replace

    probe = check(policy, use_case, bundle, as_of=AS_OF)
    people = [record(probe), record(probe, signer="vera"), record(probe, signer="rita", role="risk_officer")]
    retrained = waiver(policy.digest, model_digest="sha256:" + "1" * 64)
    fria = next(c for c in production(policy, use_case, bundle, people, waivers=[retrained]).checks if c.id == "fria")
    assert fria.status == "failed" and "stale: granted for model 111111111111" in fria.message
    lenient = replace(policy, manifest=policy.manifest.model_copy(update={"waivers_survive_retraining": True}))
    fria = next(c for c in production(lenient, use_case, bundle, people, waivers=[retrained]).checks if c.id == "fria")
    assert fria.status == "waived"
