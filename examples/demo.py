"""The main job end to end on the bundled credit-risk example (what `./dev demo` runs).

Each step is a real `govern` command, shown as a user would type it, with its output and
its exit code checked against what the step is meant to demonstrate. The demo fails (exit 1)
if any step behaves otherwise, so it doubles as a smoke test of the quick start.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACK = "policies/eu-ai-act"
USE_CASE = "examples/credit-risk/use_case.yaml"
EVIDENCE = "examples/credit-risk/evidence"
BLOCKED = "examples/credit-risk/evidence-blocked"
AS_OF = "2026-06-01"  # fixed, so the demo prints the same digests every time


@dataclass
class Step:
    title: str
    args: list[str]
    expect: int = 0


STEPS = [
    Step("A risk officer validates the EU AI Act pack", ["validate", PACK]),
    Step("…and runs its test cases with rule coverage", ["test", PACK, "--min-coverage", "100"]),
    Step("The credit-risk use case is classified, with the rules and facts that decided it",
         ["classify", USE_CASE, "--policy", PACK, "--as-of", AS_OF]),
    Step("Its tier's template compiles into a gate graph", ["plan", USE_CASE, "--policy", PACK, "--as-of", AS_OF]),
    Step("CI: the deficient challenger bundle is blocked from validation (exit 1)",
         ["check", USE_CASE, "--policy", PACK, "--evidence", BLOCKED, "--target", "validation",
          "--as-of", AS_OF, "--explain"], expect=1),
    Step("CI: the release candidate passes validation (exit 0)",
         ["check", USE_CASE, "--policy", PACK, "--evidence", EVIDENCE, "--target", "validation", "--as-of", AS_OF]),
    Step("CI: production still waits for its human sign-offs (exit 1)",
         ["check", USE_CASE, "--policy", PACK, "--evidence", EVIDENCE, "--target", "production",
          "--as-of", AS_OF], expect=1),
]


def main() -> int:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    failures = []
    for number, step in enumerate(STEPS, start=1):
        print(f"\n\033[1m── {number}. {step.title}\033[0m" if sys.stdout.isatty() else f"\n── {number}. {step.title}")
        print("$ govern " + " ".join(shlex.quote(a) for a in step.args), flush=True)
        result = subprocess.run([sys.executable, "-m", "govern", *step.args], cwd=ROOT, env=env)
        if result.returncode != step.expect:
            failures.append(f"step {number} exited {result.returncode}, expected {step.expect}")
    print()
    if failures:
        print("demo FAILED:\n  " + "\n  ".join(failures))
        return 1
    print(f"demo OK: {len(STEPS)} steps behaved as expected.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
