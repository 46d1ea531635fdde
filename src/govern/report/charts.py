"""The report's charts — bars, a four-fifths line, histograms — written as SVG by hand.

No plotting library: these are three chart types of a few dozen rectangles each, and
matplotlib cost more than a third of a second to import and wrote paths (tick marks, glyph
outlines, hatches expanded into strokes) that WeasyPrint then drew one by one. Here every
element is a ``rect``, ``line``, ``polyline`` or ``text``, so the same numbers give the same
bytes on any machine and the PDF draws them quickly. Text stays text (selectable, small) and
names the report's shipped family (:data:`govern.report.fonts.SANS_STACK`); labels from the
evidence are shown literally (``printable``, escaped). Colours come from the report theme
(``reports/theme.toml``); bars below a threshold are also hatched and groups too small to
assess are hollow and dashed, so the charts read in black and white.

Coordinates are in points (the ``viewBox``); the template sizes the image in millimetres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any, Sequence

from govern.report.fonts import SANS_STACK
from govern.report.formatting import printable

PT_PER_MM = 72 / 25.4
WIDTH_MM = 165.0


@dataclass(frozen=True)
class Chart:
    svg: str
    width_mm: float
    alt: str


def _short(label: str, n: int = 28) -> str:
    """A label from the evidence, printable and cut to ``n`` characters."""
    label = printable(label)
    return label if len(label) <= n else label[: n - 1] + "…"


def _n(x: float) -> str:
    """A coordinate, rounded so the bytes do not depend on float noise."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class _Svg:
    """An SVG document being written: elements in drawing order, one hatch pattern per colour."""

    def __init__(self, width_mm: float, height_pt: float) -> None:
        self.width = width_mm * PT_PER_MM
        self.height = height_pt
        self.width_mm = width_mm
        self.parts: list[str] = []
        self.patterns: dict[str, str] = {}

    def hatch(self, colour: str) -> str:
        """``url(#…)`` of a diagonal hatch in ``colour`` on white."""
        if colour not in self.patterns:
            pid = f"hatch{len(self.patterns)}"
            self.patterns[colour] = (
                f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="4" height="4">'
                f'<rect width="4" height="4" fill="{colour}" fill-opacity="0.35"/>'
                f'<path d="M0,4 L4,0" stroke="{colour}" stroke-width="1.1"/></pattern>')
        return f"url(#hatch{list(self.patterns).index(colour)})"

    def rect(self, x: float, y: float, w: float, h: float, **attrs: Any) -> None:
        self.parts.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0.0))}" height="{_n(h)}"'
                          f'{_attrs(attrs)}/>')

    def line(self, x1: float, y1: float, x2: float, y2: float, **attrs: Any) -> None:
        self.parts.append(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}"{_attrs(attrs)}/>')

    def polyline(self, points: Sequence[tuple[float, float]], **attrs: Any) -> None:
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(f'<polyline points="{pts}"{_attrs(attrs)}/>')

    def polygon(self, points: Sequence[tuple[float, float]], **attrs: Any) -> None:
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(f'<polygon points="{pts}"{_attrs(attrs)}/>')

    def text(self, x: float, y: float, text: str, *, size: float = 7.0, anchor: str = "start", bold: bool = False,
             fill: str = "#222222") -> None:
        weight = ' font-weight="bold"' if bold else ""
        align = f' text-anchor="{anchor}"' if anchor != "start" else ""
        self.parts.append(f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}"{align}{weight} fill="{fill}">'
                          f"{escape(printable(text))}</text>")

    def chart(self, alt: str) -> Chart:
        defs = f"<defs>{''.join(self.patterns.values())}</defs>" if self.patterns else ""
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(self.width)}pt" height="{_n(self.height)}pt" '
               f'viewBox="0 0 {_n(self.width)} {_n(self.height)}" style="font-family: {SANS_STACK}">'
               f"{defs}{''.join(self.parts)}</svg>")
        return Chart(svg, self.width_mm, alt)


def _attrs(attrs: dict[str, Any]) -> str:
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{v}"' for k, v in attrs.items() if v is not None)


def _bars(svg: _Svg, top: float, rows: Sequence[dict[str, Any]], *, x0: float, scale: float, row_h: float,
          main: str, low: str, muted: str) -> None:
    """Horizontal bars: ``rows`` of label, value, note, and style (normal | low | small)."""
    for i, r in enumerate(rows):
        y = top + i * row_h
        mid = y + row_h / 2
        svg.text(x0 - 4, mid + 2.4, r["label"], anchor="end")
        value = r["value"]
        if value is None:
            svg.text(x0 + 2, mid + 2.4, r["note"], size=6.3, fill="#555555")
            continue
        w = max(value, 0.0) * scale
        bar = (y + row_h * 0.18, row_h * 0.64)
        if r["style"] == "small":
            svg.rect(x0, bar[0], w, bar[1], fill="white", stroke=muted, stroke_width="0.7", stroke_dasharray="2 1.5")
        elif r["style"] == "low":
            svg.rect(x0, bar[0], w, bar[1], fill=svg.hatch(low), stroke=low, stroke_width="0.6")
        else:
            svg.rect(x0, bar[0], w, bar[1], fill=main)
        size = 6.5 if r["style"] != "small" else 6.3
        colour = "#222222" if r["style"] != "small" else "#555555"
        if x0 + w + 3 + len(r["note"]) * size * 0.56 <= svg.width:
            svg.text(x0 + w + 3, mid + 2.4, r["note"], size=size, fill=colour)
        else:  # no room right of a long bar: the note goes inside its end
            svg.text(x0 + w - 3, mid + 2.4, r["note"], size=size, anchor="end",
                     fill="#ffffff" if r["style"] == "main" else colour)


def _grid(svg: _Svg, top: float, bottom: float, *, x0: float, scale: float, ticks: Sequence[tuple[float, str]]) -> None:
    for value, label in ticks:
        x = x0 + value * scale
        svg.line(x, top, x, bottom, stroke="#dddddd", stroke_width="0.4")
        svg.text(x, bottom + 8, label, size=6.5, anchor="middle", fill="#333333")
    svg.line(x0, top, x0, bottom, stroke="#333333", stroke_width="0.6")


# --------------------------------------------------------------------------- fairness

def fairness_chart(groupings: Sequence[dict[str, Any]], theme: dict[str, Any], *, alt: str) -> Chart | None:
    """Selection rate per group, one panel per single attribute, with the four-fifths line.

    The line is drawn at 80 % of the highest selection rate among the groups large enough to
    assess; bars below it are hatched. Groups too small to assess are drawn hollow and marked.
    """
    panels = [g for g in groupings if len(g.get("attributes", [])) == 1 and g.get("groups")]
    if not panels:
        return None
    colours = theme.get("chart", {})
    main, low, muted = colours.get("primary", "#1f3a5f"), colours.get("alert", "#b3261e"), colours.get("muted", "#9e9e9e")
    row_h, head, foot = 13.0, 22.0, 16.0
    height = sum(head + row_h * len(p["groups"]) + foot for p in panels) + 4
    svg = _Svg(WIDTH_MM, height)
    x0 = svg.width * 0.26
    scale = (svg.width * 0.95 - x0) / 1.18
    top = 4.0
    for panel in panels:
        groups = panel["groups"]
        assessable = [g["selection_rate"] for g in groups if not g.get("too_small") and g.get("selection_rate") is not None]
        best = max(assessable) if assessable else None
        line = 0.8 * best if best is not None else None
        attributes = " × ".join(map(str, panel["attributes"]))
        svg.text(0, top + 9, f"Selection rate by {attributes}", size=8, bold=True)
        rows = []
        for g in groups:
            rate = g.get("selection_rate")
            label = f"{_short(str(g['label']))}  (n={g['n']})"
            if rate is None:
                rows.append({"label": label, "value": None, "note": "no selection rate", "style": "small"})
            elif g.get("too_small"):
                rows.append({"label": label, "value": rate, "note": f"{rate:.1%}  too small to assess", "style": "small"})
            else:
                ir = f"   IR {g['impact_ratio']:.2f}" if g.get("impact_ratio") is not None else ""
                rows.append({"label": label, "value": rate, "note": f"{rate:.1%}{ir}",
                             "style": "low" if line is not None and rate < line else "main"})
        body_top = top + head
        body_bottom = body_top + row_h * len(rows)
        _grid(svg, body_top - 4, body_bottom, x0=x0, scale=scale,
              ticks=[(v / 5, f"{v * 20}%") for v in range(6)])
        _bars(svg, body_top, rows, x0=x0, scale=scale, row_h=row_h, main=main, low=low, muted=muted)
        if line is not None:
            x = x0 + line * scale
            svg.line(x, body_top - 6, x, body_bottom, stroke="#222222", stroke_width="0.9", stroke_dasharray="4 2")
            svg.text(x + 2, body_top - 7, f"four-fifths line {line:.1%}", size=6.3)
        top = body_bottom + foot
    return svg.chart(alt)


# --------------------------------------------------------------------------- drift

def _histogram(values: Sequence[float], edges: Sequence[float]) -> list[float]:
    """Density per bin (numpy's convention: the last bin includes its right edge)."""
    counts = [0] * (len(edges) - 1)
    lo, hi = edges[0], edges[-1]
    import bisect

    for v in values:
        if v < lo or v > hi:
            continue
        i = min(bisect.bisect_right(edges, v) - 1, len(counts) - 1)
        counts[i] += 1
    total = sum(counts) or 1
    return [c / (total * (edges[i + 1] - edges[i])) for i, c in enumerate(counts)]


def _step(edges: Sequence[float], density: Sequence[float], x: Any, y: Any) -> list[tuple[float, float]]:
    points = [(x(edges[0]), y(0.0))]
    for i, d in enumerate(density):
        points += [(x(edges[i]), y(d)), (x(edges[i + 1]), y(d))]
    points.append((x(edges[-1]), y(0.0)))
    return points


def drift_chart(panels: Sequence[dict[str, Any]], theme: dict[str, Any], *, alt: str) -> Chart | None:
    """Reference vs current distribution for each given feature (2 per row).

    A panel: ``name``, ``kind`` (numeric|categorical), ``reference`` and ``current`` (lists of
    values, missing already dropped) and ``caption`` (the statistics).
    """
    if not panels:
        return None
    colours = theme.get("chart", {})
    ref_c, cur_c = colours.get("reference", "#1f3a5f"), colours.get("current", "#c26a00")
    n_rows = math.ceil(len(panels) / 2)
    row_h = 150.0
    svg = _Svg(WIDTH_MM, n_rows * row_h + 16)
    svg.rect(svg.width - 190, 3, 10, 6, fill=ref_c, fill_opacity="0.45", stroke=ref_c, stroke_width="0.8")
    svg.text(svg.width - 177, 8.5, "reference", size=6.5)
    svg.line(svg.width - 130, 6, svg.width - 118, 6, stroke=cur_c, stroke_width="1.2", stroke_dasharray="3 1.5")
    svg.text(svg.width - 115, 8.5, "current (dashed / hatched)", size=6.5)
    col_w = svg.width / 2
    for k, panel in enumerate(panels):
        left = (k % 2) * col_w + 36
        right = (k % 2) * col_w + col_w - 10
        top = 16 + (k // 2) * row_h
        svg.text(left - 30, top + 10, _short(panel["name"], 60), size=7.5, bold=True)
        svg.text(left - 30, top + 20, panel.get("caption", ""), size=6.2, fill="#333333")
        plot_top, plot_bottom = top + 30, top + row_h - 26
        ref, cur = panel["reference"], panel["current"]
        if panel["kind"] == "numeric" and ref and cur:
            _numeric_panel(svg, ref, cur, left, right, plot_top, plot_bottom, ref_c, cur_c)
        else:
            _categorical_panel(svg, ref, cur, left, right, plot_top, plot_bottom, ref_c, cur_c)
    return svg.chart(alt)


def _numeric_panel(svg: _Svg, ref: Sequence[float], cur: Sequence[float], left: float, right: float, top: float,
                   bottom: float, ref_c: str, cur_c: str) -> None:
    lo, hi = min(min(ref), min(cur)), max(max(ref), max(cur))
    distinct = sorted(set(ref) | set(cur))
    if len(distinct) <= 12:
        edges = [v - 0.5 for v in distinct] + [distinct[-1] + 0.5]
        edges = sorted(set(edges))
    else:
        span = (hi - lo) or 1.0
        edges = [lo + span * i / 20 for i in range(21)]
    dr, dc = _histogram(ref, edges), _histogram(cur, edges)
    peak = max(dr + dc) or 1.0
    x = lambda v: left + (v - edges[0]) / ((edges[-1] - edges[0]) or 1.0) * (right - left)  # noqa: E731
    y = lambda d: bottom - d / (peak * 1.08) * (bottom - top)  # noqa: E731
    for frac in (0.5, 1.0):
        svg.line(left, y(peak * frac), right, y(peak * frac), stroke="#e2e2e2", stroke_width="0.4")
    svg.polygon(_step(edges, dr, x, y), fill=ref_c, fill_opacity="0.28", stroke=ref_c, stroke_width="1")
    svg.polyline(_step(edges, dc, x, y), fill="none", stroke=cur_c, stroke_width="1.2", stroke_dasharray="3 1.5")
    svg.line(left, bottom, right, bottom, stroke="#333333", stroke_width="0.6")
    svg.line(left, top, left, bottom, stroke="#333333", stroke_width="0.6")
    svg.text(left - 3, y(peak) + 2.4, f"{peak:.3g}", size=6, anchor="end", fill="#333333")
    svg.text(left - 3, bottom + 2.4, "0", size=6, anchor="end", fill="#333333")
    svg.text(left - 30, (top + bottom) / 2, "density", size=6, fill="#333333")
    svg.text(left, bottom + 9, f"{lo:.4g}", size=6.5, fill="#333333")
    svg.text(right, bottom + 9, f"{hi:.4g}", size=6.5, anchor="end", fill="#333333")


def _categorical_panel(svg: _Svg, ref: Sequence[Any], cur: Sequence[Any], left: float, right: float, top: float,
                       bottom: float, ref_c: str, cur_c: str) -> None:
    counts_r: dict[str, int] = {}
    counts_c: dict[str, int] = {}
    for v in ref:
        counts_r[str(v)] = counts_r.get(str(v), 0) + 1
    for v in cur:
        counts_c[str(v)] = counts_c.get(str(v), 0) + 1
    total_r, total_c = max(len(ref), 1), max(len(cur), 1)
    cats = sorted(set(counts_r) | set(counts_c),
                  key=lambda c: (-(counts_r.get(c, 0) / total_r + counts_c.get(c, 0) / total_c), c))[:8]
    if not cats:
        return
    x0 = left + 40
    share = [(counts_r.get(c, 0) / total_r, counts_c.get(c, 0) / total_c) for c in cats]
    peak = max(max(a, b) for a, b in share) or 1.0
    scale = (right - x0 - 22) / peak
    row_h = (bottom - top) / len(cats)
    for i, (c, (a, b)) in enumerate(zip(cats, share)):
        y = top + i * row_h
        svg.text(x0 - 3, y + row_h / 2 + 2.2, _short(c, 22), size=6, anchor="end")
        svg.rect(x0, y + row_h * 0.1, a * scale, row_h * 0.38, fill=ref_c)
        svg.rect(x0, y + row_h * 0.5, b * scale, row_h * 0.38, fill=svg.hatch(cur_c), stroke=cur_c, stroke_width="0.6")
    svg.line(x0, top, x0, bottom, stroke="#333333", stroke_width="0.6")
    svg.text(x0, bottom + 9, "share of rows: 0", size=6.5, fill="#333333")
    svg.text(x0 + peak * scale, bottom + 9, f"{peak:.0%}", size=6.5, anchor="middle", fill="#333333")


# --------------------------------------------------------------------------- performance

def performance_chart(groups: Sequence[dict[str, Any]], overall: float | None, floor: float | None, metric: str,
                      theme: dict[str, Any], *, alt: str) -> Chart | None:
    """The metric per group, with the overall value (solid line) and the policy's floor (dashed)."""
    shown = [g for g in groups if g.get("value") is not None]
    if not shown:
        return None
    colours = theme.get("chart", {})
    main, muted, low = colours.get("primary", "#1f3a5f"), colours.get("muted", "#9e9e9e"), colours.get("alert", "#b3261e")
    row_h = 13.0
    bounded = metric in ("auc", "accuracy", "precision", "recall", "f1")
    top_value = 1.12 if bounded else max([g["value"] for g in shown] + [overall or 0, floor or 0]) * 1.15 or 1.0
    svg = _Svg(WIDTH_MM, 24 + row_h * len(shown) + 22)
    x0 = svg.width * 0.26
    scale = (svg.width * 0.96 - x0) / top_value
    body_top = 20.0
    body_bottom = body_top + row_h * len(shown)
    step = 0.2 if bounded else _nice_step(top_value)
    ticks = [(i * step, f"{i * step:g}") for i in range(int(top_value / step + 1e-9) + 1)]
    _grid(svg, body_top - 4, body_bottom, x0=x0, scale=scale, ticks=ticks)
    rows = []
    for g in shown:
        v = g["value"]
        label = f"{_short(str(g['label']))}  (n={g['n']})"
        if g.get("too_small"):
            rows.append({"label": label, "value": v, "note": f"{v:.3f}  (too small to assess)", "style": "small"})
        else:
            rows.append({"label": label, "value": v, "note": f"{v:.3f}",
                         "style": "low" if floor is not None and v < floor else "main"})
    _bars(svg, body_top, rows, x0=x0, scale=scale, row_h=row_h, main=main, low=low, muted=muted)
    legend_x = x0
    if overall is not None:
        x = x0 + overall * scale
        svg.line(x, body_top - 6, x, body_bottom, stroke="#222222", stroke_width="0.9")
        svg.line(legend_x, 8, legend_x + 14, 8, stroke="#222222", stroke_width="0.9")
        svg.text(legend_x + 17, 10.4, f"overall {overall:.3f}", size=6.3)
        legend_x += 90
    if floor is not None:
        x = x0 + floor * scale
        svg.line(x, body_top - 6, x, body_bottom, stroke=low, stroke_width="0.9", stroke_dasharray="4 2")
        svg.line(legend_x, 8, legend_x + 14, 8, stroke=low, stroke_width="0.9", stroke_dasharray="4 2")
        svg.text(legend_x + 17, 10.4, f"policy floor {floor:g}", size=6.3)
    svg.text((x0 + svg.width * 0.96) / 2, body_bottom + 18, metric.upper() if len(metric) <= 4 else metric,
             size=7, anchor="middle")
    return svg.chart(alt)


def _nice_step(top: float) -> float:
    """A round tick step giving four to ten ticks up to ``top``."""
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for m in (1, 2, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude
