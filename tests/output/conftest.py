"""Real decisions for the output formats: one blocked, one allowed (both from the credit example
against the mini pack), and one built from the blocked one that has every status in it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "golden" / "mini"
CREDIT = MINI / "use_cases" / "credit.yaml"
EVIDENCE = ROOT / "examples" / "credit-risk" / "evidence"
EVIDENCE_BLOCKED = ROOT / "examples" / "credit-risk" / "evidence-blocked"
AS_OF = dt.date(2026, 6, 1)

#: text no renderer may let break its format: table pipes, newlines, workflow-command
#: separators, XML-illegal control characters, HTML
NASTY = "bad | cell\nnext line % 50, a:b <b>bold</b> \x07bell\r\n::error::injected"


@pytest.fixture
def nasty() -> str:
    return NASTY


@pytest.fixture(autouse=True)
def _no_ci_paths(monkeypatch):
    """Renderers read GOVERN_POLICY_PATH/GOVERN_EVIDENCE_PATH; tests start without them."""
    for name in ("GOVERN_POLICY_PATH", "GOVERN_EVIDENCE_PATH", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def policy():
    import govern

    return govern.load_policy(MINI)


@pytest.fixture(scope="session")
def use_case(policy):
    import govern

    return govern.load_use_case(CREDIT, policy)


@pytest.fixture(scope="session")
def blocked(policy, use_case):
    from govern.evaluate.pipeline import check

    decision = on_the_day(check(policy, use_case, EVIDENCE_BLOCKED, target="production", as_of=AS_OF))
    assert not decision.allowed
    return decision


@pytest.fixture(scope="session")
def allowed(policy, use_case):
    from govern.evaluate.pipeline import check

    decision = on_the_day(check(policy, use_case, EVIDENCE, target="validation", as_of=AS_OF))
    assert decision.allowed
    return decision


@pytest.fixture(scope="session")
def mixed(blocked):
    """Every status at once: warned, waived, blocking error (with nasty text), a non-blocking
    error, a passing sign-off, and a blocked gate that holds a failed check."""
    from govern.checks.base import EvidenceRef
    from govern.evaluate.results import CheckResult, GateResult, SignoffResult

    validation = blocked.gate("validation")
    auc, no_drop, model_card = validation.checks
    waiver = {"approver": "rita", "expires": "2026-12-31", "reason": "champion retrained next quarter"}
    validation = replace(validation, status="waived", message="passed with waivers", checks=(
        replace(auc, status="waived", waiver=waiver, message=f"{auc.message} — waived by rita"),
        replace(no_drop, status="warned", message="champion.test.auc - metrics.test.auc <= params.max_auc_drop "
                                                  "does not hold"),
        replace(model_card, status="error", enforcement="warn", message="model_card.md is not valid UTF-8"),
    ))
    production = blocked.gate("production")
    suites = production.checks[0]
    production = replace(production, status="failed", checks=(
        replace(suites, status="error", message=NASTY, details=(NASTY,),
                evidence=(EvidenceRef("junit/with space|pipe.xml", "ab" * 32),)),
        production.checks[1],
    ), signoffs=(
        replace(production.signoffs[0], status="passed", approvals=({"signer": "victor"}, {"signer": "vera"}),
                message="2 of 2 validator sign-offs"),
        replace(production.signoffs[1], status="failed", rejected=({"signer": "alice", "problem": NASTY},),
                message="risk_officer sign-off rejected"),
    ))
    monitoring = GateResult(
        "monitoring", "Monitoring", "blocked", checks=(
            CheckResult(id="drift", gate="monitoring", kind="metric", status="failed", enforcement="block",
                        message="psi 0.31 > 0.2", expected="metrics.psi <= 0.2", measured={"metrics.psi": 0.31},
                        evidence=(EvidenceRef("metrics.json", "cd" * 32),), location="templates/high.yaml:40:11"),
        ), signoffs=(SignoffResult("monitoring", "risk_officer", 1, "pending", message="awaiting 1 more",
                                   location="templates/high.yaml:42:11"),),
        blocked_by=("production",), message="waiting for production")
    gates = (blocked.gate("development"), validation, production, monitoring)
    determining = ("production.validation_suites", "production.fria", "production.signoff:risk_officer")
    decision = replace(blocked, gates=gates, determining=determining,
                       verdict="BLOCKED: consumer-credit may not enter `production` — " + ", ".join(determining) + ".")
    object.__setattr__(decision, "digest", decision.compute_digest())
    return decision


@pytest.fixture(params=["blocked", "allowed", "mixed"])
def decision(request):
    return request.getfixturevalue(request.param)


# --- four real decisions the formats are compared on (tests/output/test_agreement.py) --------

UTC = dt.timezone.utc
FRIA = ("\n## Fundamental rights impact assessment\n\nThe assessment covers affected groups, risks of "
        "discrimination in credit access, mitigation and human oversight.\n")


def _bundle(source: Path, target: Path) -> Path:
    """A private copy of an example bundle without its manifest, so files in it can change."""
    shutil.copytree(source, target)
    (target / "manifest.yaml").unlink()
    return target


def _signoff(probe, signer: str, role: str, **kw):
    from govern.sign.sources import SignoffRecord

    base = dict(signer=signer, role=role, gate="production", decision="approve", model_digest=probe.model_digest,
                evidence_digest=probe.evidence_digest, policy_digest=probe.policy["digest"],
                signed_at=dt.datetime(2026, 5, 1, 9, tzinfo=UTC), key_fingerprint="fp", comment=None,
                verified=True, problem=None, use_case_id="consumer-credit")
    return SignoffRecord(**{**base, **kw})


def _production(policy, use_case, evidence: Path, records=(), waivers=()):
    from govern.evaluate.pipeline import check
    from govern.sign.sources import InMemorySignoffSource, InMemoryWaiverSource

    return on_the_day(check(policy, use_case, evidence, target="production", as_of=AS_OF,
                            signoffs=InMemorySignoffSource(list(records)), waivers=InMemoryWaiverSource(list(waivers))))


def on_the_day(decision):
    """The decision as if made on AS_OF rather than replayed: the formats are under test here, and a
    fixed date keeps their bytes stable (test_replay_is_labelled_in_every_format covers replays)."""
    from dataclasses import replace

    return replace(decision, replay=False)


@pytest.fixture(scope="session")
def blocked_failing(policy, use_case, tmp_path_factory):
    """The deficient challenger's shape: validation fails (AUC below the floor), so production is
    blocked upstream, and production's own checks fail too (missing suites, no FRIA) while its
    sign-offs are awaited. Production's failures are real whether or not it is reachable yet."""
    bundle = _bundle(EVIDENCE_BLOCKED, tmp_path_factory.mktemp("failing") / "evidence")
    metrics = json.loads((bundle / "metrics.json").read_text(encoding="utf-8"))
    metrics["test"]["auc"] = 0.61
    (bundle / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    decision = _production(policy, use_case, bundle)
    assert decision.gate("validation").status == "failed" and decision.gate("production").status == "blocked"
    assert any(c.status == "failed" for c in decision.gate("production").checks)
    return decision


@pytest.fixture(scope="session")
def blocked_pending(policy, use_case, tmp_path_factory):
    """Everything a machine checks holds; production waits for people: one validator of two has
    signed, the model's author tried to sign too (does not count), the risk officer has not."""
    bundle = _bundle(EVIDENCE, tmp_path_factory.mktemp("pending") / "evidence")
    with (bundle / "model_card.md").open("a", encoding="utf-8") as card:
        card.write(FRIA)
    probe = _production(policy, use_case, bundle)
    records = [_signoff(probe, "victor", "validator"), _signoff(probe, "alice", "validator")]
    decision = _production(policy, use_case, bundle, records)
    gate = decision.gate("production")
    assert gate.status == "pending" and all(c.status == "passed" for c in gate.checks)
    return decision


@pytest.fixture(scope="session")
def waived(policy, use_case, tmp_path_factory):
    """Production allowed with a waiver in force: the FRIA is missing, and the risk officer
    accepted that until a date; every sign-off is given."""
    from govern.sign.sources import WaiverRecord

    bundle = _bundle(EVIDENCE, tmp_path_factory.mktemp("waived") / "evidence")
    probe = _production(policy, use_case, bundle)
    records = [_signoff(probe, "victor", "validator"), _signoff(probe, "vera", "validator"),
               _signoff(probe, "rita", "risk_officer")]
    waiver = WaiverRecord(check_id="production.fria", reason="FRIA | scheduled\nfor Q3", approver="rita",
                          role="risk_officer", expires=dt.date(2026, 9, 30), verified=True, problem=None,
                          use_case_id="consumer-credit", policy_digest=probe.policy["digest"],
                          signed_at=dt.datetime(2026, 5, 1, 9, tzinfo=UTC), model_digest=probe.model_digest)
    decision = _production(policy, use_case, bundle, records, [waiver])
    assert decision.allowed and decision.gate("production").status == "waived"
    return decision
