"""The audit-ready PDF report: a decision (+ policy, plan, evidence, audit store) → one PDF/A-3b file.

Modules, one job each:

* :mod:`~govern.report.context` — the report's view-model: plain dicts and lists built from
  ``Decision.to_dict()`` and, where available, the ``Policy``, the ``Plan``, the evidence
  bundle and the audit store. Templates only format what is here. It composes
  :mod:`~govern.report.sections` (one module per section of the PDF), with the value
  formatters in :mod:`~govern.report.formatting`.
* :mod:`~govern.report.figures` — which figures a report gets, and the data they are drawn from.
* :mod:`~govern.report.charts` — bar charts and histograms written as deterministic SVG by hand.
* :mod:`~govern.report.fonts` — the DejaVu fonts shipped in ``reports/fonts/``: the PDF, the
  charts and the diagrams never take a font from the machine.
* :mod:`~govern.report.diagrams` — the gate graph and the lineage graph as SVG (graphviz
  ``dot`` when installed, otherwise a pure-Python layered layout).
* :mod:`~govern.report.render` — Jinja2 templates from ``reports/`` → HTML → WeasyPrint PDF,
  with the decision JSON and the evidence manifest embedded, written atomically.

Heavy dependencies (WeasyPrint, Jinja2) are imported only inside this package,
never on ``govern check``'s path. They come with the ``report`` extra.
"""

from __future__ import annotations

from typing import Any

__all__ = ["render_report", "render_inventory", "write_atomically", "build_context"]


def __getattr__(name: str) -> Any:
    if name in ("render_report", "render_inventory", "write_atomically"):
        from govern.report import render

        return getattr(render, name)
    if name == "build_context":
        from govern.report.context import build_context

        return build_context
    raise AttributeError(f"module 'govern.report' has no attribute {name!r}")
