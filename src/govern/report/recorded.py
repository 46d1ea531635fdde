"""The PDF of a recorded evaluation: what `govern report --evaluation ID` and the console's download share.

The decision comes from the store (checked against its audit event by the caller); the audit
section, the signed records, the inclusion proof and the newest checkpoint are read from the
same store, so a report rendered from the console is the one the CLI writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from govern.record.store import Store
    from govern.report.render import PdfWriter

NO_CHECKPOINT = ("no witness checkpoint covers this decision yet: `govern audit checkpoint --key WITNESS`, "
                 "then render again, for a report `govern verify-report` can prove against it")


def render_recorded(store: "Store", evaluation_id: int, decision: dict[str, Any], *, policy: Any = None,
                    plan: Any = None, use_case: Any = None, bundle: Any = None,
                    templates: "Path | str | None" = None,
                    to_pdf: "PdfWriter | None" = None) -> tuple[bytes, list[str]]:
    """(PDF bytes, notes for the reader) of evaluation ``evaluation_id`` whose decision JSON is ``decision``."""
    from govern.record.report_proof import attachments
    from govern.report.audit import audit_section
    from govern.report.render import render_report

    audit = audit_section(store, decision, evaluation_id=evaluation_id)
    proof = attachments(store, decision, policy=policy, evaluation_id=evaluation_id)
    notes = [] if any(name.endswith("checkpoint.json") for name, *_ in proof) else [NO_CHECKPOINT]
    pdf = render_report(decision, policy=policy, plan=plan, use_case=use_case, bundle=bundle, audit=audit,
                        templates=templates, proof=proof, to_pdf=to_pdf)
    return pdf, notes
