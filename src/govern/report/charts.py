"""matplotlib figures for the report, as deterministic SVG.

Headless (``Agg``; pyplot is never imported, figures are plain :class:`~matplotlib.figure.Figure`
objects), a fixed ``svg.hashsalt`` so clip-path ids do not change between runs, and no date
in the metadata: the same numbers give the same bytes. Text stays text (selectable in the
PDF, and small): labels are measured with govern's shipped DejaVu files and name their
family (:data:`govern.report.fonts.SANS`), which the report's stylesheet maps to the same
files — so a chart looks the same on every machine whatever fonts it has. Labels from
evidence are shown literally: no mathtext for a ``$`` in a group name, no control
characters. Colours come from the report theme
(``reports/theme.toml``); every series also differs by hatch or line style, so charts
read in black and white.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any, Sequence

from govern.report.formatting import printable

MM = 1 / 25.4  # inches per mm


@dataclass(frozen=True)
class Chart:
    svg: str
    width_mm: float
    alt: str


_configured = False


def _mpl() -> Any:
    global _configured
    import matplotlib

    if not _configured:
        from govern.report.fonts import SANS, register_with_matplotlib

        matplotlib.use("Agg", force=True)
        register_with_matplotlib()
        matplotlib.rcParams.update({
            "svg.hashsalt": "govern-report", "svg.fonttype": "none", "svg.image_inline": True,
            "text.parse_math": False, "font.family": [SANS],
            "font.size": 7.5, "axes.titlesize": 8, "axes.labelsize": 7.5,
            "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7, "axes.linewidth": 0.6,
            "xtick.major.width": 0.5, "ytick.major.width": 0.5, "axes.spines.top": False,
            "axes.spines.right": False, "hatch.linewidth": 0.5, "path.simplify": False,
        })
        _configured = True
    return matplotlib


def _figure(width_mm: float, height_mm: float) -> Any:
    _mpl()
    from matplotlib.figure import Figure

    return Figure(figsize=(width_mm * MM, height_mm * MM), dpi=72)


def _svg(fig: Any, width_mm: float, alt: str) -> Chart:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "govern report"}, bbox_inches=None)
    text = buf.getvalue()
    start = text.find("<svg")
    return Chart(text[start:] if start >= 0 else text, width_mm, alt)


def _short(label: str, n: int = 28) -> str:
    """A label from the evidence, printable and cut to ``n`` characters."""
    label = printable(label)
    return label if len(label) <= n else label[: n - 1] + "…"


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
    main, low, small = colours.get("primary", "#1f3a5f"), colours.get("alert", "#b3261e"), colours.get("muted", "#9e9e9e")
    rows = [len(p["groups"]) for p in panels]
    height = 14 + sum(6.2 * r + 14 for r in rows)
    width = 165.0
    fig = _figure(width, height)
    gs = fig.add_gridspec(len(panels), 1, height_ratios=[r + 2.2 for r in rows], hspace=0.85,
                          left=0.24, right=0.97, top=1 - 6 / height, bottom=11 / height)
    for k, panel in enumerate(panels):
        ax = fig.add_subplot(gs[k])
        groups = panel["groups"]
        assessable = [g["selection_rate"] for g in groups if not g.get("too_small") and g.get("selection_rate") is not None]
        best = max(assessable) if assessable else None
        line = 0.8 * best if best is not None else None
        labels = [f"{_short(str(g['label']))}  (n={g['n']})" for g in groups]
        for i, g in enumerate(groups):
            rate = g.get("selection_rate")
            if rate is None:
                continue
            if g.get("too_small"):
                ax.barh(i, rate, height=0.62, facecolor="white", edgecolor=small, linestyle=(0, (2, 1.5)), linewidth=0.7)
                ax.text(rate + 0.01, i, f"{rate:.1%}  too small to assess", va="center", fontsize=6.3, color="#555555")
                continue
            below = line is not None and rate < line
            ax.barh(i, rate, height=0.62, color=low if below else main, hatch="////" if below else None,
                    edgecolor="white" if below else main, linewidth=0.4)
            ax.text(rate + 0.01, i, f"{rate:.1%}" + (f"   IR {g['impact_ratio']:.2f}" if g.get("impact_ratio") is not None
                                                       else ""), va="center", fontsize=6.5, color="#222222")
        if line is not None:
            ax.axvline(line, color="#222222", linestyle=(0, (4, 2)), linewidth=0.9)
            ax.text(line, -0.62, f" four-fifths line {line:.1%}", fontsize=6.3, va="bottom", ha="left",
                    color="#222222")
        ax.set_yticks(range(len(groups)), labels)
        ax.set_ylim(len(groups) - 0.5, -1.05)
        ax.set_xlim(0, 1.18)
        ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0], ["0%", "20%", "40%", "60%", "80%", "100%"])
        attributes = " × ".join(map(str, panel["attributes"]))
        ax.set_title(printable(f"Selection rate by {attributes}"), loc="left", fontweight="bold")
        ax.grid(axis="x", color="#dddddd", linewidth=0.4)
        ax.set_axisbelow(True)
    return _svg(fig, width, alt)


# --------------------------------------------------------------------------- drift

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
    width, row_h = 165.0, 56.0
    height = n_rows * row_h + 14
    fig = _figure(width, height)
    gs = fig.add_gridspec(n_rows, 2, hspace=0.85, wspace=0.42, left=0.12, right=0.98, top=1 - 16 / height,
                          bottom=10 / height)
    for k, panel in enumerate(panels):
        ax = fig.add_subplot(gs[k // 2, k % 2])
        ref, cur = panel["reference"], panel["current"]
        if panel["kind"] == "numeric" and ref and cur:
            lo, hi = min(min(ref), min(cur)), max(max(ref), max(cur))
            distinct = len(set(ref) | set(cur))
            if distinct <= 12:
                values = sorted(set(ref) | set(cur))
                edges = [v - 0.5 for v in values] + [values[-1] + 0.5]
            else:
                span = (hi - lo) or 1.0
                edges = [lo + span * i / 20 for i in range(21)]
            ax.hist(ref, bins=edges, density=True, histtype="stepfilled", color=ref_c, alpha=0.28, linewidth=0)
            ax.hist(ref, bins=edges, density=True, histtype="step", color=ref_c, linewidth=1.0, label="reference")
            ax.hist(cur, bins=edges, density=True, histtype="step", color=cur_c, linewidth=1.2,
                    linestyle=(0, (3, 1.5)), label="current")
            ax.set_ylabel("density")
        else:
            counts_r: dict[str, int] = {}
            counts_c: dict[str, int] = {}
            for v in ref:
                counts_r[str(v)] = counts_r.get(str(v), 0) + 1
            for v in cur:
                counts_c[str(v)] = counts_c.get(str(v), 0) + 1
            total_r, total_c = max(len(ref), 1), max(len(cur), 1)
            cats = sorted(set(counts_r) | set(counts_c),
                          key=lambda c: (-(counts_r.get(c, 0) / total_r + counts_c.get(c, 0) / total_c), c))[:8]
            ys = range(len(cats))
            ax.barh([y - 0.2 for y in ys], [counts_r.get(c, 0) / total_r for c in cats], height=0.38, color=ref_c,
                    label="reference")
            ax.barh([y + 0.2 for y in ys], [counts_c.get(c, 0) / total_c for c in cats], height=0.38,
                    facecolor="white", edgecolor=cur_c, hatch="////", linewidth=0.6, label="current")
            ax.set_yticks(list(ys), [_short(c, 22) for c in cats])
            ax.invert_yaxis()
            ax.set_xlabel("share of rows")
        ax.set_title(_short(panel["name"], 60), loc="left", fontweight="bold", fontsize=7.5, pad=11)
        ax.text(0.0, 1.02, printable(panel.get("caption", "")), transform=ax.transAxes, fontsize=6.2,
                color="#333333", va="bottom")
        ax.grid(axis="y" if panel["kind"] == "numeric" else "x", color="#e2e2e2", linewidth=0.4)
        ax.set_axisbelow(True)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(facecolor=ref_c, alpha=0.6, edgecolor=ref_c, label="reference"),
                        Line2D([0], [0], color=cur_c, linestyle=(0, (3, 1.5)), label="current (dashed / hatched)")],
               loc="upper right", ncol=2, frameon=False, fontsize=6.5)
    return _svg(fig, width, alt)


# --------------------------------------------------------------------------- performance

def performance_chart(groups: Sequence[dict[str, Any]], overall: float | None, floor: float | None, metric: str,
                      theme: dict[str, Any], *, alt: str) -> Chart | None:
    shown = [g for g in groups if g.get("value") is not None]
    if not shown:
        return None
    colours = theme.get("chart", {})
    main, small, low = colours.get("primary", "#1f3a5f"), colours.get("muted", "#9e9e9e"), colours.get("alert", "#b3261e")
    width = 165.0
    height = 20 + 6.0 * len(shown)
    fig = _figure(width, height)
    ax = fig.add_axes((0.26, 10 / height, 0.70, 1 - 18 / height))
    for i, g in enumerate(shown):
        v = g["value"]
        if g.get("too_small"):
            ax.barh(i, v, height=0.62, facecolor="white", edgecolor=small, linestyle=(0, (2, 1.5)), linewidth=0.7)
            ax.text(v + 0.008, i, f"{v:.3f}  (too small to assess)", va="center", fontsize=6.3, color="#555555")
        else:
            bad = floor is not None and v < floor
            ax.barh(i, v, height=0.62, color=low if bad else main, hatch="////" if bad else None,
                    edgecolor="white" if bad else main, linewidth=0.4)
            ax.text(v + 0.008, i, f"{v:.3f}", va="center", fontsize=6.5)
    if overall is not None:
        ax.axvline(overall, color="#222222", linewidth=0.9, label=f"overall {overall:.3f}")
    if floor is not None:
        ax.axvline(floor, color=low, linestyle=(0, (4, 2)), linewidth=0.9, label=f"policy floor {floor:g}")
    if overall is not None or floor is not None:
        ax.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=6.3, borderaxespad=0.1)
    ax.set_yticks(range(len(shown)), [f"{_short(str(g['label']))}  (n={g['n']})" for g in shown])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12 if metric in ("auc", "accuracy", "precision", "recall", "f1") else None)
    ax.set_xlabel(printable(metric.upper() if len(metric) <= 4 else metric))
    ax.grid(axis="x", color="#e2e2e2", linewidth=0.4)
    ax.set_axisbelow(True)
    return _svg(fig, width, alt)
