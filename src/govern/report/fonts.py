"""The fonts the report is set in: DejaVu, shipped in ``reports/fonts/``, never looked up on the machine.

A PDF that takes its fonts from fontconfig changes with the machine (another DejaVu build,
Liberation instead, nothing at all on a bare CI runner), so its bytes — and the report
digest recorded in the audit trail — would too. ``report.css`` declares the shipped files
with ``@font-face`` under family names no installed font has (:data:`SANS`, :data:`MONO`);
this module gives the same names to the SVG the charts and diagrams write, so their text is
drawn with the same glyphs.
"""

from __future__ import annotations

from pathlib import Path

SANS = "govern DejaVu Sans"
MONO = "govern DejaVu Sans Mono"
#: family list for SVG ``font-family`` (the generic fallback only for glyphs DejaVu lacks)
SANS_STACK = f"'{SANS}', sans-serif"


def builtin_template_dirs() -> list[Path]:
    """The templates shipped with govern: in the wheel (``govern/report/templates``), else a checkout's ``reports/``."""
    here = Path(__file__).resolve().parent
    dirs = []
    packaged = here / "templates"  # force-included into the wheel from reports/
    if packaged.is_dir():
        dirs.append(packaged)
    checkout = here.parents[2] / "reports"  # src/govern/report → repo root
    if checkout.is_dir():
        dirs.append(checkout)
    return dirs


def find(relative: str, dirs: list[Path]) -> Path | None:
    """``relative`` (a path inside a template folder) in the first of ``dirs`` that has it.

    Never outside those folders: ``..`` and absolute paths find nothing, so a stylesheet
    cannot make the renderer read an arbitrary file.
    """
    parts = Path(relative).parts
    if not parts or Path(relative).is_absolute() or ".." in parts:
        return None
    for d in dirs:
        candidate = d.joinpath(*parts)
        if candidate.is_file():
            return candidate
    return None
