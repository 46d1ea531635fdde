"""The fonts the report is set in: DejaVu, shipped in ``reports/fonts/``, never looked up on the machine.

A PDF that takes its fonts from fontconfig changes with the machine (another DejaVu build,
Liberation instead, nothing at all on a bare CI runner), so its bytes — and the report
digest recorded in the audit trail — would too. ``report.css`` declares the shipped files
with ``@font-face`` under family names no installed font has (:data:`SANS`, :data:`MONO`);
this module gives the same names to the SVG the diagrams write and to matplotlib, which
measures chart labels with the shipped files, so the text is laid out and drawn with the
same glyphs.
"""

from __future__ import annotations

import os
from pathlib import Path

SANS = "govern DejaVu Sans"
MONO = "govern DejaVu Sans Mono"
#: family list for SVG ``font-family`` (the generic fallback only for glyphs DejaVu lacks)
SANS_STACK = f"'{SANS}', sans-serif"
#: the shipped faces of :data:`SANS` matplotlib needs (regular, bold, oblique), relative to a template folder
SANS_FILES = ("fonts/DejaVuSans.ttf", "fonts/DejaVuSans-Bold.ttf", "fonts/DejaVuSans-Oblique.ttf")


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


_registered = False


def register_with_matplotlib() -> None:
    """Make :data:`SANS` a matplotlib family backed by the shipped files (once per process).

    matplotlib's own DejaVu Sans is not used: chart labels are measured with exactly the
    files the PDF embeds. The entries are added under our family name, so ``font.family``
    names no font matplotlib would have to look for (and warn about) elsewhere.
    """
    global _registered
    if _registered:
        return
    import dataclasses

    from matplotlib import font_manager

    for relative in SANS_FILES:
        path = find(relative, builtin_template_dirs())
        if path is None:
            raise FileNotFoundError(f"govern's report font {relative} is missing; reinstall govern")
        entry = font_manager.ttfFontProperty(font_manager.get_font(os.fspath(path)))
        font_manager.fontManager.ttflist.append(dataclasses.replace(entry, name=SANS))
    _registered = True
