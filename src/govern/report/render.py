"""View-model → HTML (Jinja2, templates in ``reports/``) → PDF/A-3b (WeasyPrint), written atomically.

Templates are looked up in this order, file by file, so a risk team can override only the
stylesheet or one section: ``--templates DIR`` / ``GOVERN_REPORT_TEMPLATES``, then the copy
shipped inside the wheel (``govern/report/templates``), then ``reports/`` of a source checkout.

Determinism: the PDF's creation and modification dates and those of its attachments are the
evaluation date (``as_of``, midnight UTC), the file identifier is the hash of the content
(WeasyPrint's ``pdf_identifier=True`` under PDF/A), charts and diagrams are deterministic
SVG, and nothing reads the clock — so the same evaluation renders the same bytes, and the
report's own sha256 can be recorded in the audit trail.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

PDF_VARIANT = "pdf/a-3b"
DECISION_ATTACHMENT = "decision.json"
MANIFEST_ATTACHMENT = "evidence-manifest.json"


# --------------------------------------------------------------------------- templates

def template_dirs(custom: Path | str | None = None) -> list[Path]:
    dirs: list[Path] = []
    for candidate in (custom, os.environ.get("GOVERN_REPORT_TEMPLATES") or None):
        if candidate:
            dirs.append(Path(candidate))
    here = Path(__file__).resolve().parent
    packaged = here / "templates"  # force-included into the wheel from reports/
    if packaged.is_dir():
        dirs.append(packaged)
    checkout = here.parents[2] / "reports"  # src/govern/report → repo root
    if checkout.is_dir():
        dirs.append(checkout)
    return dirs


def load_theme(dirs: list[Path]) -> dict[str, Any]:
    """``theme.toml`` from the first template folder that has one: colours for charts and diagrams."""
    import tomllib

    for d in dirs:
        path = d / "theme.toml"
        if path.is_file():
            with path.open("rb") as fh:
                return tomllib.load(fh)
    return {}


def _environment(dirs: list[Path]) -> Any:
    import jinja2

    from govern.report import formatting as f

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in dirs]),
        autoescape=jinja2.select_autoescape(["html", "j2", "xml"], default_for_string=True),
        undefined=jinja2.ChainableUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters.update(fmt=f.fmt, pct=f.pct, short=f.short, when=f.when, pvalue=f.pvalue,
                       data_uri=_data_uri, status_word=lambda s: str(s or "").upper())
    return env


def _data_uri(figure: Any) -> str:
    svg = figure.svg if hasattr(figure, "svg") else str(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def render_html(template: str, data: dict[str, Any], *, templates: Path | str | None = None) -> str:
    dirs = template_dirs(templates)
    if not dirs:
        from govern.errors import Diagnostic, InputError

        raise InputError(Diagnostic("report-templates", "no report templates found",
                                    hint="pass --templates DIR, or reinstall govern (they ship as govern/report/templates)"))
    return _environment(dirs).get_template(template).render(**data)


# --------------------------------------------------------------------------- PDF

def _moment(as_of: Any) -> _dt.datetime:
    if isinstance(as_of, _dt.datetime):
        return as_of.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    if isinstance(as_of, _dt.date):
        return _dt.datetime(as_of.year, as_of.month, as_of.day)
    try:
        day = _dt.date.fromisoformat(str(as_of)[:10])
    except ValueError:
        day = _dt.date(1970, 1, 1)
    return _dt.datetime(day.year, day.month, day.day)


def decision_json(decision: dict[str, Any]) -> str:
    """The decision as `govern check -f json` prints it."""
    return json.dumps(decision, indent=2, ensure_ascii=False, default=str) + "\n"


def html_to_pdf(html: str, *, moment: _dt.datetime, attachments: list[tuple[str, str, str, str]] = (),
                base_url: str | None = None, tagged: bool = True) -> bytes:
    """HTML → PDF/A-3b bytes; ``attachments`` are (name, text, description, relationship)."""
    import logging

    from weasyprint import HTML, Attachment

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    files = [Attachment(string=text, name=name, description=description, created=moment, modified=moment,
                        relationship=relationship)
             for name, text, description, relationship in attachments]
    return HTML(string=html, base_url=base_url or ".").write_pdf(
        pdf_variant=PDF_VARIANT, attachments=files, pdf_tags=tagged, pdf_identifier=True,
        uncompressed_pdf=False, custom_metadata=True, optimize_images=False)


def render_report(decision: dict[str, Any], *, policy: Any = None, plan: Any = None, use_case: Any = None,
                  bundle: Any = None, audit: dict[str, Any] | None = None, templates: Path | str | None = None,
                  tagged: bool = True) -> bytes:
    """The audit-ready PDF of one decision (``Decision.to_dict()``), as bytes."""
    from govern.report.context import build_context, evidence_manifest

    dirs = template_dirs(templates)
    theme = load_theme(dirs)
    ctx = build_context(decision, policy=policy, plan=plan, use_case=use_case, bundle=bundle, audit=audit,
                        theme=theme, source="store" if audit and audit.get("from_store") else "evaluated")
    moment = _moment(decision.get("as_of"))
    ctx["created"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    ctx["attachments"] = [DECISION_ATTACHMENT, MANIFEST_ATTACHMENT]
    html = _environment(dirs).get_template("report.html.j2").render(**ctx)
    manifest = evidence_manifest(decision, bundle)
    return html_to_pdf(html, moment=moment, tagged=tagged, attachments=[
        (DECISION_ATTACHMENT, decision_json(decision),
         "The machine-readable decision this report renders (govern check -f json)", "Data"),
        (MANIFEST_ATTACHMENT, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
         "Every evidence file with its role, size and sha256", "Supplement"),
    ])


def render_inventory(items: list[dict[str, Any]], *, as_of: _dt.date, chain: dict[str, Any] | None = None,
                     templates: Path | str | None = None, expiring_within: int = 30,
                     store_url: str | None = None) -> bytes:
    """The portfolio view (every use case in the store) as a PDF for the model-risk committee."""
    dirs = template_dirs(templates)
    theme = load_theme(dirs)
    moment = _moment(as_of)
    tiers: dict[str, int] = {}
    for i in items:
        tiers[i["tier"]] = tiers.get(i["tier"], 0) + 1
    data = {"items": items, "as_of": as_of.isoformat(), "chain": chain, "theme": theme,
            "created": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "expiring_within": expiring_within,
            "tiers": sorted(tiers.items()), "store_url": store_url,
            "counts": {"use_cases": len(items), "blocked": sum(1 for i in items if not i["allowed"]),
                       "pending": sum(1 for i in items if i["pending"]),
                       "expiring": sum(len(i["expiring_approvals"]) + len(i["expiring_waivers"]) for i in items)}}
    html = _environment(dirs).get_template("inventory.html.j2").render(**data)
    payload = {"as_of": as_of.isoformat(), "expiring_within_days": expiring_within, "use_cases": items,
               "audit_chain": chain}
    return html_to_pdf(html, moment=moment, attachments=[
        ("inventory.json", json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n",
         "The inventory as data (govern status -f json)", "Data")])


# --------------------------------------------------------------------------- output

def write_atomically(path: Path | str, data: bytes) -> Path:
    """Write to a temporary file in the target folder, fsync, then rename: never a half-written report."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
