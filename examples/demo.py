"""The main job end to end on the bundled credit-risk example (what `./dev demo` runs).

Every step is a real `govern` command, printed as a user would type it, with its output, and
its exit code checked against what the step demonstrates; the demo fails (exit 1) if any step
behaves otherwise, so it doubles as a smoke test of the quick start.

The story: a risk officer validates and tests the EU AI Act pack; the credit-risk use case is
classified high (Annex III 5(b)); a deficient challenger is blocked in CI; the complete release
candidate waits only for people; each signer makes a key, the people sign in the audit store
(SQLite), production opens; the compliance officer accepts a known weakness with an expiring,
signed waiver; the inventory, history and the tamper-evident audit trail are shown.

Everything it writes goes to `build/demo/` (keys, the store, a copy of the pack with the
signers' public keys): `policies/` and the examples are never modified.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "demo"
SHIPPED_PACK = ROOT / "policies" / "eu-ai-act"
PACK = WORK / "eu-ai-act"  # the shipped pack plus the demo signers' public keys
USE_CASE = "examples/credit-risk/use_case.yaml"
EVIDENCE = "examples/credit-risk/evidence"
BLOCKED = "examples/credit-risk/evidence-blocked"
AS_OF = "2026-06-01"  # fixed, so the demo prints the same digests every time
SIGNED_AT = "2026-05-20T09:00:00Z"
SIGNERS = ("alice", "victor", "vera", "hugo", "sam", "dora", "paula", "rita")
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

    def govern(self, *args: str, expect: int = 0, quiet: bool = False) -> str:
        shown = " ".join(shlex.quote(a) for a in args).replace(str(WORK) + "/", "build/demo/")
        print(f"$ govern {shown}", flush=True)
        result = subprocess.run([sys.executable, "-m", "govern", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True)
        if not quiet:
            sys.stdout.write(result.stdout)
        sys.stdout.write(result.stderr)
        if result.returncode != expect:
            self.failures.append(f"step {self.number}: `govern {args[0]}` exited {result.returncode}, expected {expect}")
        return result.stdout


def prepare() -> dict[str, str]:
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "GOVERN_KEY_DIR": str(WORK / "keys"),
           "GOVERN_DATABASE_URL": f"sqlite:///{WORK / 'govern.db'}"}
    env.pop("GOVERN_KEY_PASSPHRASE", None)  # demo keys are not encrypted
    return env


def add_public_keys(keys: dict[str, str]) -> None:
    """Copy the shipped pack and give each demo signer a `public_key` in the copy's `people:`."""
    shutil.copytree(SHIPPED_PACK, PACK)
    manifest = PACK / "policy.yaml"
    text = manifest.read_text(encoding="utf-8")
    for person, key in keys.items():
        pattern = re.compile(r"^(\s*- \{id: %s,.*?)\}\s*$" % re.escape(person), re.M)
        text, count = pattern.subn(lambda m: f'{m.group(1)}, public_key: "{key}"}}', text)
        if count != 1:
            raise SystemExit(f"demo: person {person} not found once in {manifest}")
    manifest.write_text(text, encoding="utf-8")


def main() -> int:
    demo = Demo(prepare())
    pack = str(PACK)
    check = ["check", USE_CASE, "--policy", pack, "--as-of", AS_OF]

    demo.step("A risk officer validates the EU AI Act pack and runs every shipped pack's tests")
    demo.govern("validate", str(SHIPPED_PACK))
    demo.govern("test", *sorted(str(p) for p in (ROOT / "policies").iterdir() if p.is_dir()),
                "--min-coverage", "100")

    demo.step("Each signer makes an Ed25519 key; the public keys go into a copy of the pack")
    keys = {}
    for person in SIGNERS:
        generated = demo.govern("keys", "generate", "--name", person, "-f", "json", quiet=True)
        keys[person] = json.loads(generated)["public_key_base64"]
        print(f"  {person}: {json.loads(generated)['fingerprint']}")
    add_public_keys(keys)
    demo.govern("validate", pack)

    demo.step("The credit-risk use case is classified, with the rule, citation and facts that decided it")
    demo.govern("classify", USE_CASE, "--policy", pack, "--as-of", AS_OF)

    demo.step("Its tier's template compiles into a gate graph")
    demo.govern("plan", USE_CASE, "--policy", pack, "--as-of", AS_OF)

    demo.step("CI: the deficient challenger is blocked before pre-production, and govern explains why (exit 1)")
    demo.govern(*check, "--evidence", BLOCKED, "--target", "pre_production", "--explain", "--no-record", expect=1)

    demo.step("CI: the complete release candidate waits only for people (exit 1, recorded)")
    demo.govern(*check, "--evidence", EVIDENCE, "--target", "production", "-f", "markdown", expect=1)

    demo.step("The model's author may not approve her own model: refused before signing (exit 2)")
    demo.govern("sign", USE_CASE, "--policy", pack, "--evidence", EVIDENCE, "--gate", "pre_production",
                "--role", "independent_validator", "--decision", "approve", "--key", "alice", "--signer", "alice",
                "--at", SIGNED_AT, expect=2)

    demo.step("The people the plan names sign their gates into the audit store")
    for gate, role, person, comment in SIGNOFFS:
        demo.govern("sign", USE_CASE, "--policy", pack, "--evidence", EVIDENCE, "--gate", gate, "--role", role,
                    "--decision", "approve", "--comment", comment, "--key", person, "--signer", person,
                    "--at", SIGNED_AT)

    demo.step("Production opens: every sign-off verifies and counts (exit 0, recorded)")
    demo.govern(*check, "--evidence", EVIDENCE, "--target", "production")

    demo.step("The compliance officer accepts a known weakness with a signed waiver that expires")
    demo.govern("waive", USE_CASE, "--policy", pack, "--evidence", EVIDENCE,
                "--check", "pre_production.accuracy_gap_by_group", "--expires", "2026-09-30",
                "--reason", "AUC for furniture/equipment loans is 0.66 vs 0.80 overall; these go to manual "
                "underwriting until the re-development sample covers them",
                "--key", "rita", "--approver", "rita", "--at", SIGNED_AT)
    demo.govern(*check, "--evidence", EVIDENCE, "--target", "production", "--format", "json", quiet=True)
    print("  → pre_production.accuracy_gap_by_group is now `waived` (never `passed`), with reason and expiry")

    demo.step("The risk function's witness key signs a checkpoint of the audit log; the file leaves the database")
    checkpoint = WORK / "audit" / "checkpoint.json"
    demo.govern("keys", "generate", "--name", "witness", quiet=True)
    demo.govern("audit", "checkpoint", "--key", "witness", "-o", str(checkpoint))

    demo.step("A year on, the validators' approvals (valid 365 days) have lapsed: production closes (exit 1)")
    demo.govern("check", USE_CASE, "--policy", pack, "--as-of", "2027-06-01", "--evidence", EVIDENCE,
                "--target", "production", "--no-record", expect=1, quiet=True)
    print("  → blocked: annual re-validation is due")

    demo.step("The model-risk committee's views: inventory, history, and the audit trail verified")
    demo.govern("status", "--expiring-within", "400")
    demo.govern("history", "consumer-credit-scoring")
    demo.govern("audit", "verify")

    report = WORK / "credit-risk-report.pdf"
    if has_report():
        demo.step("The auditor's PDF: decision, evidence and sign-offs, with the decision JSON embedded")
        demo.govern("report", USE_CASE, "--policy", pack, "--evidence", EVIDENCE, "--target", "production",
                    "--as-of", AS_OF, "-o", str(report))

    demo.step("The auditor, holding the checkpoint, proves the log only grew since: nothing it covers was changed")
    demo.govern("audit", "verify", "--checkpoint", str(checkpoint))

    print()
    if demo.failures:
        print("demo FAILED:\n  " + "\n  ".join(demo.failures))
        return 1
    print(f"demo OK: {demo.number} steps behaved as expected; store, keys and the pack copy are in build/demo/"
          + (f"; report: build/demo/{report.name}" if report.exists() else ""))
    return 0


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
