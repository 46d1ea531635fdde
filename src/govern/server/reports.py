"""The PDF of a recorded evaluation, rendered by the report package exactly as `govern report --evaluation`.

The served pack whose digest the decision names adds its rule text and appendix, as
``--policy`` does for the CLI. The report's digest joins the audit trail, as the CLI records
it. Rendering needs the ``report`` extra (WeasyPrint and Pango); without it the download
answers 501 with what to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import HTTPException

if TYPE_CHECKING:
    from govern.server.data import Console


def available() -> str | None:
    """None if reports can be rendered here, else why not."""
    try:
        import jinja2  # noqa: F401

        from govern.report.render import load_weasyprint

        load_weasyprint()
    except (ImportError, OSError) as exc:
        return f"the PDF report needs the `report` extra and WeasyPrint's system libraries: {exc}"
    return None


def recorded_pdf(console: "Console", evaluation_id: int) -> tuple[bytes, str]:
    import hashlib

    try:
        decision = console.decision(evaluation_id)
    except KeyError:
        raise HTTPException(404, f"no evaluation #{evaluation_id} in the store") from None
    missing = available()
    if missing is not None:
        raise HTTPException(501, missing)
    from govern.report.recorded import render_recorded

    pack = console.pack((decision.get("policy") or {}).get("digest"))
    pdf, _ = render_recorded(console.store, evaluation_id, decision, policy=pack.policy if pack else None)
    name = f"{decision['use_case']['id']}-evaluation-{evaluation_id}.pdf"
    console.store.record_report(decision["use_case"]["id"], decision["decision_digest"],
                                f"sha256:{hashlib.sha256(pdf).hexdigest()}", name, evaluation_id)
    return pdf, name
