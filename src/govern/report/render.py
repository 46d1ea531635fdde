"""View-model → HTML (Jinja2, templates in ``reports/``) → PDF/A-3b (WeasyPrint), written atomically.

Templates are looked up in this order, file by file, so a risk team can override only the
stylesheet or one section: ``--templates DIR`` / ``GOVERN_REPORT_TEMPLATES``, then the copy
shipped inside the wheel (``govern/report/templates``), then ``reports/`` of a source checkout.

Stylesheets, fonts and images the templates refer to by relative URL are looked up the
same way (``report.css`` finds ``fonts/DejaVuSans.ttf`` in the first folder that has it);
nothing outside the template folders is read and nothing is fetched from the network.

Determinism: the PDF's creation and modification dates and those of its attachments are the
evaluation date (``as_of``, midnight UTC), the file identifier is the hash of the content
(WeasyPrint's ``pdf_identifier=True`` under PDF/A), charts and diagrams are deterministic
SVG, the fonts are the shipped ones (:mod:`govern.report.fonts`), and nothing reads the
clock: the subsetted fonts' own ``head.modified`` stamp, which fontTools would take from the
clock, is the evaluation date too (see :func:`_fixed_font_timestamps`). So the same evaluation
renders the same bytes with the same WeasyPrint, Pango and HarfBuzz, and the report's own
sha256 can be recorded in the audit trail.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

from govern.collector import start_up_over

PDF_VARIANT = "pdf/a-3b"

#: :func:`html_to_pdf`'s signature: (html, *, moment, attachments, templates, tagged) -> PDF bytes
PdfWriter = Callable[..., bytes]


# --------------------------------------------------------------------------- templates

def template_dirs(custom: Path | str | None = None) -> list[Path]:
    from govern.report.fonts import builtin_template_dirs

    dirs: list[Path] = []
    for candidate in (custom, os.environ.get("GOVERN_REPORT_TEMPLATES") or None):
        if candidate:
            dirs.append(Path(candidate))
    return dirs + builtin_template_dirs()


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
    from govern.report.template_cache import bytecode_cache

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in dirs]),
        autoescape=jinja2.select_autoescape(["html", "j2", "xml"], default_for_string=True),
        undefined=jinja2.ChainableUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
        finalize=_finalize, bytecode_cache=bytecode_cache(__file__))
    env.filters.update(fmt=f.fmt, pct=f.pct, short=f.short, when=f.when, pvalue=f.pvalue,
                       data_uri=_data_uri, status_word=lambda s: str(s or "").upper())
    return env


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}`` printable and breakable before it is escaped.

    Names and messages come from untrusted files: a control character is not allowed in HTML
    and a 300-character name without spaces would push a table off the page (see
    :func:`~govern.report.formatting.printable` and :func:`~govern.report.formatting.breakable`).
    Markup (macro output, figures' data URIs) is left alone: its parts were finalized already.
    """
    if isinstance(value, str):
        from markupsafe import Markup

        if isinstance(value, Markup):
            return value
        from govern.report.formatting import breakable, printable

        return breakable(printable(value))
    return value


def _data_uri(figure: Any) -> Any:
    from markupsafe import Markup

    svg = figure.svg if hasattr(figure, "svg") else str(figure)
    # Markup: base64 needs no escaping, and must not get break opportunities
    return Markup("data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii"))


def _existing_template_dirs(custom: Path | str | None) -> list[Path]:
    dirs = template_dirs(custom)
    if not dirs:
        from govern.errors import Diagnostic, InputError

        raise InputError(Diagnostic("report-templates", "no report templates found",
                                    hint="pass --templates DIR, or reinstall govern (they ship as govern/report/templates)"))
    return dirs


def render_html(template: str, data: dict[str, Any], *, templates: Path | str | None = None) -> str:
    return _environment(_existing_template_dirs(templates)).get_template(template).render(**data)


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


def load_weasyprint() -> Any:
    """WeasyPrint, quiet: its logs go only as far as errors, and its import-time warning that
    fontconfig has no fonts does not apply — the report brings its own (:mod:`govern.report.fonts`)."""
    import logging
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No fonts configured in FontConfig")
        warnings.filterwarnings("ignore", message="FontConfig cannot load default config file")
        import weasyprint
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint


def _template_fetcher(dirs: list[Path]) -> Any:
    """A WeasyPrint URL fetcher that reads relative URLs from the template folders, file by file.

    The base URL is the first folder; a ``file:`` URL under it is looked up in each folder in
    turn, like the templates themselves. ``data:`` URLs (the charts and diagrams) are read as
    usual; anything else — another file, the network — is refused, because the report must
    not depend on, or reveal, what the rendering machine can reach.
    """
    from urllib.parse import unquote, urlsplit

    load_weasyprint()
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from govern.report.fonts import find

    base = dirs[0].resolve().as_uri() + "/"

    class TemplateFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(base):
                found = find(unquote(urlsplit(url).path[len(urlsplit(base).path):]), dirs)
                if found is not None:
                    return URLFetcherResponse(found.as_uri(), found.read_bytes(), status=200)
                raise ValueError(f"not in the report templates: {url}")
            raise ValueError(f"the report reads only its template folders and data: URLs, not {url}")

    return TemplateFetcher(allowed_protocols=("file", "data")), base


@contextlib.contextmanager
def _fixed_font_timestamps(moment: _dt.datetime) -> Iterator[None]:
    """Subsetted fonts stamped with the evaluation date instead of the clock.

    When WeasyPrint cannot use HarfBuzz's subsetter (libharfbuzz-subset is not installed
    everywhere) it subsets with fontTools, which writes the current time into each embedded
    font's ``head.modified`` — so two renders a second apart differed inside the font
    streams. fontTools reads SOURCE_DATE_EPOCH (the reproducible-builds convention) instead
    of the clock when it is set; it is set only while the PDF is written, then restored.
    """
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(max(0, int(moment.replace(tzinfo=_dt.timezone.utc).timestamp())))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def layout(html: str, *, templates: Path | str | None = None, **options: Any) -> Any:
    """HTML → a laid-out WeasyPrint document, with the report's fonts and URL rules (no PDF yet).

    ``options`` are WeasyPrint's rendering options; the PDF variant and tags are the report's
    unless given, since both change the layout.
    """
    weasyprint = load_weasyprint()
    start_up_over()  # WeasyPrint's boxes make cycles worth collecting (govern.collector)
    fetcher, base = _template_fetcher(_existing_template_dirs(templates))
    options = {"pdf_variant": PDF_VARIANT, "pdf_tags": True, **options}
    return weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher).render(**options)


def html_to_pdf(html: str, *, moment: _dt.datetime, attachments: list[tuple[str, str, str, str]] = (),
                templates: Path | str | None = None, tagged: bool = True) -> bytes:
    """HTML → PDF/A-3b bytes; ``attachments`` are (name, text, description, relationship)."""
    Attachment = load_weasyprint().Attachment

    files = [Attachment(string=text, name=name, description=description, created=moment, modified=moment,
                        relationship=relationship)
             for name, text, description, relationship in attachments]
    options = {"pdf_variant": PDF_VARIANT, "attachments": files, "pdf_tags": tagged, "pdf_identifier": True,
               "uncompressed_pdf": False, "custom_metadata": True, "optimize_images": False}
    document = layout(html, templates=templates, **options)
    with _fixed_font_timestamps(moment):
        return document.write_pdf(**options)


def render_report(decision: dict[str, Any], *, policy: Any = None, plan: Any = None, use_case: Any = None,
                  bundle: Any = None, audit: dict[str, Any] | None = None, templates: Path | str | None = None,
                  tagged: bool = True, proof: list[tuple[str, str, str, str]] = (),
                  to_pdf: "PdfWriter | None" = None) -> bytes:
    """The audit-ready PDF of one decision (``Decision.to_dict()``), as bytes.

    ``proof``: attachments that let the report prove itself offline (the signed records, the
    decision's inclusion proof and checkpoint, from :mod:`govern.record.report_proof`), for a
    decision rendered from the store; ``govern verify-report`` checks them. ``to_pdf`` replaces
    :func:`html_to_pdf` (same arguments, same bytes): the CLI's forked WeasyPrint worker.
    """
    from govern.report import attachments
    from govern.report.context import build_context

    dirs = template_dirs(templates)
    theme = load_theme(dirs)
    ctx = build_context(decision, policy=policy, plan=plan, use_case=use_case, bundle=bundle, audit=audit,
                        theme=theme, source="store" if audit and audit.get("from_store") else "evaluated")
    moment = _moment(decision.get("as_of"))
    ctx["created"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    files = attachments.build(decision, ctx, bundle=bundle, proof=proof)
    ctx["attachments"] = [f.listed() for f in files]
    html = _environment(dirs).get_template("report.html.j2").render(**ctx)
    return (to_pdf or html_to_pdf)(html, moment=moment, tagged=tagged, templates=templates,
                                   attachments=[f.as_tuple() for f in files])


def render_inventory(items: list[dict[str, Any]], *, as_of: _dt.date, chain: dict[str, Any] | None = None,
                     templates: Path | str | None = None, expiring_within: int = 30,
                     store_url: str | None = None, to_pdf: "PdfWriter | None" = None) -> bytes:
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
    return (to_pdf or html_to_pdf)(html, moment=moment, templates=templates, attachments=[
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
