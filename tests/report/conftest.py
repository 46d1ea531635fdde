"""Reports rendered once per session: rendering a full report takes seconds, so tests share them."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("weasyprint", reason="the report extra (weasyprint) is not installed")
pytest.importorskip("pypdf", reason="pypdf reads the reports back")

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "eu-ai-act"
USE_CASE = ROOT / "examples" / "credit-risk" / "use_case.yaml"
EVIDENCE = ROOT / "examples" / "credit-risk" / "evidence"
BLOCKED = ROOT / "examples" / "credit-risk" / "evidence-blocked"
MINI = ROOT / "tests" / "golden" / "mini"
AS_OF = dt.date(2026, 6, 1)

# the same layout engine on every machine, so the tests do not depend on graphviz being installed
os.environ.setdefault("GOVERN_REPORT_LAYOUT", "builtin")


class Rendered:
    def __init__(self, decision: Any, pdf: bytes, bundle: Any) -> None:
        self.decision = decision
        self.data = decision.to_dict()
        self.pdf = pdf
        self.bundle = bundle
        self._reader = None
        self._text: str | None = None

    @property
    def reader(self) -> Any:
        if self._reader is None:
            import io

            from pypdf import PdfReader

            self._reader = PdfReader(io.BytesIO(self.pdf))
        return self._reader

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "\n".join(page.extract_text() or "" for page in self.reader.pages)
        return self._text


def render(policy_dir: Path, use_case_path: Path, evidence: Path, *, target: str | None = "production",
           **kwargs: Any) -> Rendered:
    import govern
    from govern.classification import classify
    from govern.evaluate.pipeline import check
    from govern.evidence.bundle import EvidenceBundle
    from govern.plan.graph import compile_plan
    from govern.report.render import render_report

    policy = govern.load_policy(policy_dir)
    use_case = govern.load_use_case(use_case_path, policy)
    decision = check(policy, use_case, evidence, target=target, as_of=AS_OF)
    plan = compile_plan(policy, use_case, classify(policy, use_case, AS_OF))
    bundle = EvidenceBundle.open(evidence)
    pdf = render_report(decision.to_dict(), policy=policy, plan=plan, use_case=use_case, bundle=bundle, **kwargs)
    return Rendered(decision, pdf, bundle)


@pytest.fixture(scope="session")
def credit() -> Rendered:
    """The credit-risk example, evaluated for production."""
    return render(POLICY, USE_CASE, EVIDENCE)


@pytest.fixture(scope="session")
def credit_again() -> bytes:
    """A second, independent render of the same evaluation (for byte-identity)."""
    return render(POLICY, USE_CASE, EVIDENCE).pdf


@pytest.fixture(scope="session")
def mini_blocked() -> Rendered:
    """The golden mini pack with the credit example's blocked evidence."""
    return render(MINI, MINI / "use_cases" / "credit.yaml", BLOCKED, target=None)
