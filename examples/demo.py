"""The main job end to end on the bundled credit-risk example (what `./dev demo` runs).

Every step is a real `govern` command, printed as a user would type it, with its output; its
exit code and what its output says (the decision JSON it also writes, or the refusal it
prints) are checked against what the step claims, and each `→` conclusion is printed from that
output, never assumed. The demo fails (exit 1) if any step behaves otherwise, so it doubles as
a smoke test of the quick start.

The story: a risk officer validates and tests the EU AI Act pack; the credit-risk use case is
classified high (Annex III 5(b)) and registered by the compliance officer; a deficient challenger is blocked in CI; the complete release
candidate waits only for people; each signer makes a key, the people sign in the audit store
(SQLite), production opens; the compliance officer accepts a known weakness with an expiring,
signed waiver; the inventory, history and the tamper-evident audit trail are shown.

Everything it writes goes to `build/demo/` (keys, the store, a copy of the pack with the
signers' public keys, the decisions as JSON): `policies/` and the examples are never modified.
The copy also makes alice, the model's author, an accredited validator (small teams do), so
the refusal of her own approval is segregation of duties, not a role she lacks.

Dates are today's (UTC): govern's clock is honest — a check is recorded at the date it runs, a
sign-off or waiver at the moment it is signed, and only a replay (`--as-of`, never recorded)
looks at another day. So the waiver's expiry and "a year on" are counted from today, and the
digests differ from one day to the next.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "demo"
SHIPPED_PACK = ROOT / "policies" / "eu-ai-act"
PACK = WORK / "eu-ai-act"  # the shipped pack plus the demo signers' public keys
USE_CASE = "examples/credit-risk/use_case.yaml"
EVIDENCE = "examples/credit-risk/evidence"
BLOCKED = "examples/credit-risk/evidence-blocked"
TODAY = dt.datetime.now(dt.timezone.utc).date()
WAIVER_EXPIRES = TODAY + dt.timedelta(days=120)
A_YEAR_ON = TODAY + dt.timedelta(days=400)  # past the validators' `valid_for: 365d`
SIGNERS = ("alice", "victor", "vera", "hugo", "sam", "dora", "paula", "rita")
#: roles the demo's copy of the pack adds: the model's author is also an accredited validator
EXTRA_ROLES = {"alice": "independent_validator"}
#: (gate, role, person, comment) — who approves what, as the eu-ai-act high-risk plan requires
SIGNOFFS = (
    ("development", "compliance_officer", "rita", "classification Annex III 5(b) confirmed"),
    ("pre_production", "independent_validator", "victor", "suites re-run; outcomes analysis reviewed"),
    ("pre_production", "independent_validator", "vera", "fairness and segment findings reviewed"),
    ("pre_production", "human_oversight", "hugo", "oversight plan staffed; officers trained"),
    ("pre_production", "security_officer", "sam", "skops allow-list and digests verified"),
    ("pre_production", "dpo", "dora", "DPIA accepted"),
    ("production", "provider_management", "paula", "residual risks accepted"),
    ("production", "compliance_officer", "rita", "conformity file complete"),
)


@dataclass
class Demo:
    env: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    number: int = 0

    def step(self, title: str) -> None:
        self.number += 1
        bold = sys.stdout.isatty()
        print(f"\n\033[1m── {self.number}. {title}\033[0m" if bold else f"\n── {self.number}. {title}", flush=True)

    def govern(self, *args: str, expect: int = 0, quiet: bool = False) -> subprocess.CompletedProcess:
        shown = " ".join(shlex.quote(a) for a in args).replace(str(WORK) + "/", "build/demo/")
        print(f"$ govern {shown}", flush=True)
        result = subprocess.run([sys.executable, "-m", "govern", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True)
        if not quiet:
            sys.stdout.write(result.stdout)
        sys.stdout.write(result.stderr)
        if result.returncode != expect:
            self.failures.append(f"step {self.number}: `govern {args[0]}` exited {result.returncode}, expected {expect}")
        return result

    def claim(self, holds: bool, conclusion: str, otherwise: str) -> bool:
        """Prints the step's conclusion only if the output shows it; otherwise records why not."""
        if holds:
            print(f"  → {conclusion}")
        else:
            print(f"  ✗ {otherwise}")
            self.failures.append(f"step {self.number}: {otherwise}")
        return holds

    def decision(self, path: Path) -> dict[str, Any]:
        """The decision a step wrote with `-o json=PATH` ({} and a failure if it wrote none)."""
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            self.failures.append(f"step {self.number}: no decision in {path.name}: {exc}")
            return {}


def items(decision: dict[str, Any], keep: Callable[[str, dict[str, Any]], bool] = lambda q, i: True) -> dict:
    """qualified id → check or sign-off of a decision's JSON, those ``keep`` accepts."""
    found = {}
    for gate in decision.get("gates", []):
        for check in gate["checks"]:
            found[f"{gate['id']}.{check['id']}"] = check
        for signoff in gate["signoffs"]:
            found[f"{gate['id']}.signoff:{signoff['id']}"] = signoff
    return {q: i for q, i in found.items() if keep(q, i)}


def prepare() -> dict[str, str]:
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "GOVERN_KEY_DIR": str(WORK / "keys"),
           "GOVERN_DATABASE_URL": f"sqlite:///{WORK / 'govern.db'}"}
    env.pop("GOVERN_KEY_PASSPHRASE", None)  # demo keys are not encrypted
    return env


def add_public_keys(keys: dict[str, str]) -> None:
    """Copy the shipped pack and give each demo signer a `public_key` in the copy's `people:`
    (and the extra roles of EXTRA_ROLES)."""
    # without tests/: they ran on the shipped pack in step 1, and they name the example by a path
    # relative to policies/ that does not resolve from the copy (validate checks test files too)
    shutil.copytree(SHIPPED_PACK, PACK, ignore=shutil.ignore_patterns("tests"))
    manifest = PACK / "policy.yaml"
    text = manifest.read_text(encoding="utf-8")
    for person, key in keys.items():
        pattern = re.compile(r"^(\s*- \{id: %s,.*?)\}\s*$" % re.escape(person), re.M)
        text, count = pattern.subn(lambda m: f'{m.group(1)}, public_key: "{key}"}}', text)
        if count != 1:
            raise SystemExit(f"demo: person {person} not found once in {manifest}")
    for person, role in EXTRA_ROLES.items():
        pattern = re.compile(r"^(\s*- \{id: %s,.*?roles: \[)([^\]]*)\]" % re.escape(person), re.M)
        text, count = pattern.subn(lambda m: f"{m.group(1)}{m.group(2)}, {role}]", text)
        if count != 1:
            raise SystemExit(f"demo: roles of {person} not found once in {manifest}")
    manifest.write_text(text, encoding="utf-8")


def main() -> int:
    demo = Demo(prepare())
    pack = str(PACK)
    check = ["check", USE_CASE, "--policy", pack]

    demo.step("A risk officer validates the EU AI Act pack and runs every shipped pack's tests")
    demo.govern("validate", str(SHIPPED_PACK))
    demo.govern("test", *sorted(str(p) for p in (ROOT / "policies").iterdir() if p.is_dir()),
                "--min-coverage", "100")

    demo.step("Each signer makes an Ed25519 key; the public keys go into a copy of the pack")
    keys = {}
    for person in SIGNERS:
        generated = json.loads(demo.govern("keys", "generate", "--name", person, "-f", "json", quiet=True).stdout)
        keys[person] = generated["public_key_base64"]
        print(f"  {person}: {generated['fingerprint']}")
    add_public_keys(keys)
    print("  (the copy also makes alice, who built the model, an accredited independent_validator)")
    validated = demo.govern("validate", pack, "-f", "json")
    digest = json.loads(validated.stdout)["policy"]["digest"] if validated.returncode == 0 else "sha256:?"
    # CI pins the reviewed pack's digest: every `check` below runs with it, as docs/ci.md sets it up
    check += ["--expect-policy-digest", digest]
    weaker = WORK / "eu-ai-act-weaker"
    shutil.copytree(PACK, weaker)
    weakened = (weaker / "policy.yaml").read_text(encoding="utf-8").replace("min_auc: 0.70", "min_auc: 0.50")
    (weaker / "policy.yaml").write_text(weakened, encoding="utf-8")  # same name, same version, a lower floor
    refused = demo.govern("check", USE_CASE, "--policy", str(weaker), "--evidence", EVIDENCE,
                          "--expect-policy-digest", digest, "--no-record", expect=2)
    demo.claim("policy-digest-mismatch" in refused.stderr,
               f"CI pins the reviewed pack ({digest[:19]}…): a copy with the AUC floor lowered to 0.50 is "
               "refused before anything is evaluated",
               "expected the weakened copy of the pack to be refused by its digest")

    demo.step("The credit-risk use case is classified, with the rule, citation and facts that decided it")
    demo.govern("classify", USE_CASE, "--policy", pack)

    demo.step("The compliance officer registers it: descriptor, tier and the model's authors, signed")
    registered = demo.govern("register", USE_CASE, "--policy", pack, "--key", "rita", "--signer", "rita",
                             "--comment", "descriptor reviewed; Annex III 5(b) high risk; author alice")
    demo.claim(registered.stdout.startswith("registered: consumer-credit-scoring as tier high by rita")
               and re.search(r"^\s+authors alice$", registered.stdout, re.M) is not None,
               "registered; segregation of duties will read the model's author (alice) from this record",
               "expected the registration to be signed and to name alice as the model's author")

    demo.step("Its tier's template compiles into a gate graph")
    demo.govern("plan", USE_CASE, "--policy", pack)

    demo.step("CI: the deficient challenger is blocked before pre-production, and govern explains why (exit 1)")
    challenger, annotations = WORK / "challenger.json", WORK / "challenger.github"
    demo.govern(*check, "--evidence", BLOCKED, "--target", "pre_production", "--explain", "--no-record",
                "-o", f"json={challenger}", "-o", f"github={annotations}", expect=1)
    decision = demo.decision(challenger)
    failing = items(decision, lambda q, i: q in decision["determining"] and i["status"] in ("failed", "error"))
    shown = annotations.read_text(encoding="utf-8") if annotations.exists() else ""
    errors = set(re.findall(r"^::error .*?title=govern (\S+) ", shown, re.M))
    demo.claim(not decision.get("allowed", True) and {"validation.data_lineage", "pre_production.robustness_suites"}
               <= set(failing) and errors == set(failing),
               f"blocked by {', '.join(failing)}; each is a CI error annotation, though its gate also waits upstream",
               f"expected the lineage and robustness failures to block and be annotated as errors: "
               f"failing {sorted(failing)}, annotated {sorted(errors)}")

    demo.step("CI: the complete release candidate waits only for people (exit 1, recorded)")
    candidate = WORK / "candidate.json"
    demo.govern(*check, "--evidence", EVIDENCE, "--target", "production", "-f", "markdown",
                "-o", f"json={candidate}", expect=1)
    decision = demo.decision(candidate)
    waiting = items(decision, lambda q, i: q in decision["determining"])
    demo.claim(bool(waiting) and all(".signoff:" in q and i["status"] == "pending" for q, i in waiting.items()),
               f"no check blocks; {len(waiting)} sign-off(s) awaited: "
               + ", ".join(sorted({str(i.get("role", q)) for q, i in waiting.items()})),
               f"expected only pending sign-offs to block, got {decision.get('determining')}")

    demo.step("The model's author may not approve her own model, though she holds the role: refused before "
              "signing (exit 2)")
    refusal = demo.govern("sign", USE_CASE, "--policy", pack, "--evidence", EVIDENCE, "--gate", "pre_production",
                          "--role", "independent_validator", "--decision", "approve", "--key", "alice",
                          "--signer", "alice", expect=2)
    demo.claim("sign-segregation-of-duties" in refusal.stderr and "segregation of duties" in refusal.stderr
               and "alice built this model" in refusal.stderr,
               "refused for segregation of duties (`not_author`), not for a missing role",
               "expected a segregation-of-duties refusal naming alice as the model's author")

    demo.step("The people the plan names sign their gates into the audit store")
    for gate, role, person, comment in SIGNOFFS:
        demo.govern("sign", USE_CASE, "--policy", pack, "--evidence", EVIDENCE, "--gate", gate, "--role", role,
                    "--decision", "approve", "--comment", comment, "--key", person, "--signer", person)

    demo.step("Production opens: every sign-off verifies and counts (exit 0, recorded)")
    opened = WORK / "production.json"
    demo.govern(*check, "--evidence", EVIDENCE, "--target", "production", "-o", f"json={opened}")
    decision = demo.decision(opened)
    stages = [g["id"] for g in decision.get("gates", [])]
    before = set(stages[:stages.index("production") + 1]) if "production" in stages else set()
    signoffs = items(decision, lambda q, i: ".signoff:" in q and i["gate"] in before)
    demo.claim(decision.get("allowed") is True and bool(signoffs)
               and all(i["status"] == "passed" and not i["rejected"] for i in signoffs.values()),
               f"allowed; {len(signoffs)} sign-off(s) on the way to production, each verified and counted",
               "expected production allowed with every sign-off on its way passed and none rejected")

    demo.step("The compliance officer accepts a known weakness with a signed waiver that expires")
    waived = WORK / "waived.json"
    gap = "pre_production.accuracy_gap_by_group"
    demo.govern("waive", USE_CASE, "--policy", pack, "--evidence", EVIDENCE,
                "--check", gap, "--expires", WAIVER_EXPIRES.isoformat(),
                "--reason", "AUC for furniture/equipment loans is 0.66 vs 0.80 overall; these go to manual "
                "underwriting until the re-development sample covers them",
                "--key", "rita", "--approver", "rita")
    demo.govern(*check, "--evidence", EVIDENCE, "--target", "production", "-o", f"json={waived}", quiet=True)
    result = items(demo.decision(waived)).get(gap, {})
    waiver = result.get("waiver") or {}
    demo.claim(result.get("status") == "waived" and waiver.get("approver") == "rita"
               and waiver.get("expires") == WAIVER_EXPIRES.isoformat(),
               f"{gap} is now `{result.get('status')}` (never `passed`): by {waiver.get('approver')} "
               f"until {waiver.get('expires')}",
               f"expected {gap} waived by rita until {WAIVER_EXPIRES}, got {result.get('status')!r} {waiver}")

    demo.step("The risk function's witness key signs a checkpoint of the audit log; the file leaves the database")
    checkpoint = WORK / "audit" / "checkpoint.json"
    demo.govern("keys", "generate", "--name", "witness", quiet=True)
    demo.govern("audit", "checkpoint", "--key", "witness", "-o", str(checkpoint))

    demo.step("A year on, the approvals valid for 365 days (the validators' among them) have lapsed: "
              "production closes (exit 1)")
    later = WORK / "a-year-on.json"
    demo.govern(*check, "--as-of", A_YEAR_ON.isoformat(), "--evidence", EVIDENCE, "--target", "production",
                "--no-record", "-o", f"json={later}", expect=1, quiet=True)
    decision = demo.decision(later)
    print(f"  {decision.get('verdict', '(no verdict)')}")
    blocking = items(decision, lambda q, i: q in decision["determining"])
    lapsed = {q: [r["problem"] for r in i.get("rejected", []) if r.get("problem", "").startswith("expired on")]
              for q, i in blocking.items()}
    validators = "pre_production.signoff:independent_validator"
    demo.claim(decision.get("allowed") is False and bool(blocking) and all(lapsed.values())
               and len(lapsed.get(validators, [])) == 2,
               "blocked: annual re-validation is due — "
               + "; ".join(f"{q}: {len(v)} approval(s) {v[0].split(' (')[0]}" for q, v in lapsed.items()),
               f"expected production blocked only by expired approvals, the two validators' among them: {lapsed}")

    demo.step("The model-risk committee's views: inventory, history, and the audit trail verified")
    demo.govern("status", "--expiring-within", "400")
    demo.govern("history", "consumer-credit-scoring")
    audit = demo.govern("audit", "verify")
    demo.claim("audit trail intact" in audit.stdout, "the audit trail verifies",
               "`govern audit verify` did not report the trail intact")

    report = WORK / "credit-risk-report.pdf"
    if has_report():
        demo.step("The auditor's PDF: decision, evidence and sign-offs, with the decision JSON embedded")
        wrote = demo.govern("report", USE_CASE, "--policy", pack, "--evidence", EVIDENCE, "--target", "production",
                            "-o", str(report))
        demo.claim(report.exists() and "allowed for production" in wrote.stdout,
                   f"build/demo/{report.name}: production allowed", "the report was not written as allowed")

    demo.step("The auditor, holding the checkpoint, proves the log only grew since: nothing it covers was changed")
    demo.govern("audit", "verify", "--checkpoint", str(checkpoint))

    print()
    if demo.failures:
        print("demo FAILED:\n  " + "\n  ".join(demo.failures))
        return 1
    print(f"demo OK: {demo.number} steps behaved as expected; store, keys and the pack copy are in build/demo/"
          + (f"; report: build/demo/{report.name}" if report.exists() else ""))
    print(f"\nOpen the console on the demo's store (then http://127.0.0.1:8321/):\n  {CONSOLE}")
    return 0


#: the one command that opens the web console on what the demo recorded (README's quick start names it)
CONSOLE = ("govern serve --database sqlite:///build/demo/govern.db --policy build/demo/eu-ai-act "
           "--allow-anonymous")


def has_report() -> bool:
    """The PDF needs the `report` extra (WeasyPrint and its system libraries)."""
    try:
        import weasyprint  # noqa: F401
    except Exception:
        print("\n(skipping the PDF report: install govern[report] and WeasyPrint's system libraries)")
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
