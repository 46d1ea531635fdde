"""Gate graph and lineage graph → SVG.

Graphviz ``dot`` lays the graph out when it is on PATH (and ``GOVERN_REPORT_LAYOUT`` is not
``builtin``); otherwise — a fresh machine, a locked-down CI runner — a small pure-Python
layered layout (longest-path layers, barycentric ordering, Bézier edges) writes the SVG by
hand. Both are deterministic: the same graph gives the same bytes on the same machine.

Every node carries its status or its tags as *text* (``FAILED``, ``PII``), and failed or
blocked gates also differ by border style, so the diagrams read in black and white.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from html import escape
from typing import Any, Iterable

from govern.report.fonts import SANS_STACK
from govern.report.formatting import printable

#: px → mm at 96 dpi: the SVG user unit WeasyPrint assumes
PX_MM = 25.4 / 96
#: the report's shipped font (its stylesheet maps the family to the files in reports/fonts/)
FONT = SANS_STACK
#: what graphviz measures labels with (its own font lookup); the SVG it writes names FONT instead
DOT_FONT = "DejaVu Sans"


@dataclass
class Node:
    id: str
    lines: list[str]  # first line bold
    fill: str = "#ffffff"
    stroke: str = "#333333"
    text: str = "#111111"
    stroke_width: float = 1.2
    dashed: bool = False
    shape: str = "box"  # box | round | ellipse | double
    badges: list[str] = field(default_factory=list)  # short tags drawn as a second bold line (PII, ANONYMISED)
    bold: tuple[int, ...] = (0,)  # indices of lines drawn bold


@dataclass
class Edge:
    src: str
    dst: str
    dashed: bool = False


@dataclass(frozen=True)
class Diagram:
    svg: str
    width_mm: float
    alt: str
    engine: str  # dot | builtin


def layout_engine() -> str:
    choice = os.environ.get("GOVERN_REPORT_LAYOUT", "auto").strip().lower()
    if choice == "builtin":
        return "builtin"
    if choice in ("auto", "dot") and shutil.which("dot"):
        return "dot"
    return "builtin"


def draw(nodes: list[Node], edges: list[Edge], *, alt: str, max_width_mm: float = 170.0) -> Diagram:
    """Lay out and draw a directed graph left to right."""
    if layout_engine() == "dot":
        svg = _dot(nodes, edges)
        if svg is not None:
            width_pt = _svg_width(svg)
            width_mm = min(max_width_mm, width_pt * 25.4 / 72) if width_pt else max_width_mm
            return Diagram(svg, round(width_mm, 1), alt, "dot")
    svg, width = _builtin(nodes, edges)
    return Diagram(svg, round(min(max_width_mm, width * PX_MM), 1), alt, "builtin")


# --------------------------------------------------------------------------- text helpers

def wrap(text: str, width: int = 22) -> list[str]:
    """Break a label at spaces, underscores, slashes or hyphens into lines of at most ~width chars."""
    words: list[str] = []
    current = ""
    for ch in text:
        current += ch
        if ch in " _/-":
            words.append(current)
            current = ""
    if current:
        words.append(current)
    lines, line = [], ""
    for word in words:
        if line and len(line) + len(word.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        while len(word) > width:  # one very long token
            lines.append(word[:width])
            word = word[width:]
        line += word
    if line.strip():
        lines.append(line.rstrip())
    return lines or [text]


def _text_width(text: str, size: float, bold: bool = False) -> float:
    narrow = sum(1 for c in text if c in "iljtfr.,:;|!'()[] ")
    wide = sum(1 for c in text if c in "mwMW@%")
    caps = sum(1 for c in text if c.isupper())
    units = len(text) - narrow * 0.45 + wide * 0.35 + caps * 0.15
    return units * size * (0.58 if bold else 0.55)


# --------------------------------------------------------------------------- builtin layout

FONT_SIZE = 11.0
LINE_H = 14.0
PAD_X, PAD_Y = 10.0, 7.0
GAP_X, GAP_Y = 30.0, 16.0
MARGIN = 6.0


def _layers(ids: list[str], edges: list[Edge]) -> dict[str, int]:
    """Longest-path layering; edges closing a cycle (found by DFS in input order) are ignored."""
    succ: dict[str, list[str]] = {i: [] for i in ids}
    for e in edges:
        if e.src in succ and e.dst in succ and e.dst not in succ[e.src]:
            succ[e.src].append(e.dst)
    state: dict[str, int] = {}
    order: list[str] = []
    forward: dict[str, list[str]] = {i: [] for i in ids}

    def visit(start: str) -> None:
        stack = [(start, iter(succ[start]))]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                order.append(node)
                stack.pop()
            elif state.get(nxt) == 1:
                continue  # back edge: drop
            else:
                forward[node].append(nxt)
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(succ[nxt])))

    for i in ids:
        if i not in state:
            visit(i)
    layer = {i: 0 for i in ids}
    for node in reversed(order):  # reverse post-order is a topological order of the forward edges
        for nxt in forward[node]:
            layer[nxt] = max(layer[nxt], layer[node] + 1)
    return layer


def _order(ids: list[str], layer: dict[str, int], edges: list[Edge]) -> list[list[str]]:
    n_layers = max(layer.values(), default=0) + 1
    rows: list[list[str]] = [[] for _ in range(n_layers)]
    for i in ids:
        rows[layer[i]].append(i)
    preds: dict[str, list[str]] = {i: [] for i in ids}
    succs: dict[str, list[str]] = {i: [] for i in ids}
    for e in edges:
        if e.src in preds and e.dst in preds:
            succs[e.src].append(e.dst)
            preds[e.dst].append(e.src)
    for sweep in range(4):
        down = sweep % 2 == 0
        rng = range(1, n_layers) if down else range(n_layers - 2, -1, -1)
        for r in rng:
            ref = rows[r - 1] if down else rows[r + 1]
            pos = {n: k for k, n in enumerate(ref)}
            neighbours = preds if down else succs

            def key(item: tuple[int, str]) -> tuple[float, int]:
                k, node = item
                found = [pos[m] for m in neighbours[node] if m in pos]
                return (sum(found) / len(found) if found else float(k), k)

            rows[r] = [node for _, node in sorted(enumerate(rows[r]), key=key)]
    return rows


def _builtin(nodes: list[Node], edges: list[Edge]) -> tuple[str, float]:
    by_id = {n.id: n for n in nodes}
    ids = [n.id for n in nodes]
    edges = [e for e in edges if e.src in by_id and e.dst in by_id and e.src != e.dst]
    layer = _layers(ids, edges)
    rows = _order(ids, layer, edges)

    size: dict[str, tuple[float, float]] = {}
    for n in nodes:
        texts = [(line, i in n.bold) for i, line in enumerate(n.lines)]
        if n.badges:
            texts.append(("  ".join(n.badges), True))
        w = max(_text_width(t, FONT_SIZE, b) for t, b in texts) + 2 * PAD_X
        h = len(texts) * LINE_H + 2 * PAD_Y
        if n.shape == "ellipse":
            w, h = w * 1.18, h * 1.12
        size[n.id] = (max(w, 70.0), h)

    col_w = [max((size[i][0] for i in row), default=0.0) for row in rows]
    col_h = [sum(size[i][1] for i in row) + GAP_Y * (len(row) - 1) for row in rows]
    total_h = max(col_h, default=0.0)
    pos: dict[str, tuple[float, float]] = {}  # centre
    x = MARGIN
    for r, row in enumerate(rows):
        y = MARGIN + (total_h - col_h[r]) / 2
        for i in row:
            w, h = size[i]
            pos[i] = (x + col_w[r] / 2, y + h / 2)
            y += h + GAP_Y
        x += col_w[r] + GAP_X
    width = x - GAP_X + MARGIN
    height = total_h + 2 * MARGIN

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.1f}" height="{height:.1f}" '
           f'viewBox="0 0 {width:.1f} {height:.1f}" font-family="{FONT}" font-size="{FONT_SIZE:g}">']
    for e in edges:
        (x1, y1), (x2, y2) = pos[e.src], pos[e.dst]
        w1, w2 = size[e.src][0], size[e.dst][0]
        sx, ex = x1 + w1 / 2, x2 - w2 / 2
        if by_id[e.dst].shape == "ellipse":
            ex += 2
        if ex < sx:  # a back edge (cycle): route it around the bottom
            sx, ex = x1, x2
        mid = (sx + ex) / 2
        dash = ' stroke-dasharray="4 3"' if e.dashed else ""
        out.append(f'<path d="M{sx:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {ex - 7:.1f},{y2:.1f}" '
                   f'fill="none" stroke="#555555" stroke-width="1.1"{dash}/>')
        out.append(f'<polygon points="{ex:.1f},{y2:.1f} {ex - 8:.1f},{y2 - 3.6:.1f} {ex - 8:.1f},{y2 + 3.6:.1f}" '
                   f'fill="#555555"/>')
    for n in nodes:
        cx, cy = pos[n.id]
        w, h = size[n.id]
        dash = ' stroke-dasharray="5 3"' if n.dashed else ""
        style = f'fill="{n.fill}" stroke="{n.stroke}" stroke-width="{n.stroke_width:g}"{dash}'
        if n.shape == "ellipse":
            out.append(f'<ellipse cx="{cx:.1f}" cy="{cy:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" {style}/>')
        else:
            rx = 8 if n.shape in ("round", "double") else 2
            out.append(f'<rect x="{cx - w / 2:.1f}" y="{cy - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" '
                       f'rx="{rx}" {style}/>')
            if n.shape == "double":
                out.append(f'<rect x="{cx - w / 2 + 3:.1f}" y="{cy - h / 2 + 3:.1f}" width="{w - 6:.1f}" '
                           f'height="{h - 6:.1f}" rx="{rx - 2}" fill="none" stroke="{n.stroke}" stroke-width="0.8"/>')
        texts = [(line, i in n.bold) for i, line in enumerate(n.lines)]
        if n.badges:
            texts.append(("  ".join(n.badges), True))
        top = cy - len(texts) * LINE_H / 2 + LINE_H * 0.75
        for k, (line, bold) in enumerate(texts):
            weight = ' font-weight="bold"' if bold else ""
            out.append(f'<text x="{cx:.1f}" y="{top + k * LINE_H:.1f}" text-anchor="middle" fill="{n.text}"'
                       f'{weight}>{escape(printable(line))}</text>')
    out.append("</svg>")
    return "\n".join(out), width


# --------------------------------------------------------------------------- graphviz

def _dot_quote(text: str) -> str:
    return '"' + printable(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(nodes: list[Node], edges: list[Edge]) -> str:
    lines = ["digraph G {", '  graph [rankdir=LR, nodesep=0.25, ranksep=0.45, margin=0.05, bgcolor="transparent"];',
             f'  node [fontname="{DOT_FONT}", fontsize=9.5, margin="0.12,0.06"];',
             '  edge [color="#555555", arrowsize=0.7];']
    for n in nodes:
        label = "\\n".join(n.lines + (["  ".join(n.badges)] if n.badges else []))
        shape = {"ellipse": "ellipse", "double": "box", "round": "box"}.get(n.shape, "box")
        styles = ["filled"] + (["rounded"] if n.shape in ("round", "double") else []) + (["dashed"] if n.dashed else [])
        extra = ", peripheries=2" if n.shape == "double" else ""
        lines.append(f"  {_dot_quote(n.id)} [label={_dot_quote(label)}, shape={shape}, style={_dot_quote(','.join(styles))}, "
                     f'fillcolor="{n.fill}", color="{n.stroke}", fontcolor="{n.text}", penwidth={n.stroke_width:g}{extra}];')
    for e in edges:
        style = ", style=dashed" if e.dashed else ""
        lines.append(f"  {_dot_quote(e.src)} -> {_dot_quote(e.dst)}[{style.lstrip(', ')}];")
    lines.append("}")
    return "\n".join(lines)


def _dot(nodes: list[Node], edges: list[Edge]) -> str | None:
    try:
        proc = subprocess.run(["dot", "-Tsvg"], input=to_dot(nodes, edges).encode("utf-8"),
                              capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    svg = proc.stdout.decode("utf-8", "replace")
    svg = svg.replace(f'font-family="{DOT_FONT}"', f'font-family="{escape(FONT)}"')
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else None


def _svg_width(svg: str) -> float | None:
    import re

    m = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg)
    return float(m.group(1)) if m else None


# --------------------------------------------------------------------------- the two diagrams

def gate_graph(gates: list[dict[str, Any]], edges: Iterable[tuple[str, str]], palette: dict[str, dict[str, str]],
               *, title: str) -> Diagram:
    """Gates (view-model dicts with id, title, status, counts) → a left-to-right diagram coloured by status."""
    nodes = []
    for g in gates:
        style = palette.get(g["status"], palette.get("default", {}))
        heading = wrap(g["title"], 17)
        lines = heading + [g["status"].upper()] + list(g.get("counts_lines") or [])
        node = Node(g["id"], lines, fill=style.get("fill", "#ffffff"), stroke=style.get("stroke", "#333333"),
                    text=style.get("text", "#111111"), shape="round",
                    stroke_width=2.4 if g["status"] in ("failed", "error") else 1.3,
                    dashed=g["status"] == "blocked", bold=tuple(range(len(heading) + 1)))
        nodes.append(node)
    return draw(nodes, [Edge(a, b) for a, b in edges], alt=title)


def lineage_graph(graph: Any, palette: dict[str, dict[str, str]], *, title: str) -> Diagram:
    """A lineage ``networkx.DiGraph`` (govern.evidence.lineage conventions) → sources → jobs → datasets → model."""
    nodes: list[Node] = []
    for node_id in graph.nodes:  # insertion order: files in order, deterministic
        data = graph.nodes[node_id]
        kind = data.get("type", "dataset")
        tags = data.get("tags") or {}
        name = data.get("name") or node_id.split(":", 1)[-1].rsplit("/", 1)[-1]
        namespace = data.get("namespace")
        badges: list[str] = []
        if kind == "dataset":
            if tags.get("pii") and not tags.get("anonymised"):
                badges.append("PII")
            if tags.get("anonymised"):
                badges.append("ANONYMISED")
            if data.get("registered_source"):
                badges.append("REGISTERED")
            style = palette.get("pii" if "PII" in badges else "anonymised" if "ANONYMISED" in badges else "dataset", {})
            lines = wrap(name, 24) + ([namespace] if namespace else []) + ([f"licence {tags['licence']}"]
                                                                            if tags.get("licence") else [])
            nodes.append(Node(node_id, lines, fill=style.get("fill", "#ffffff"), stroke=style.get("stroke", "#333"),
                              text=style.get("text", "#111"), shape="box", badges=badges,
                              stroke_width=2.0 if "PII" in badges else 1.1, dashed="PII" in badges))
        elif kind == "job":
            style = palette.get("anonymisation" if data.get("kind") == "anonymisation" else "job", {})
            lines = wrap(name, 22) + [f"job: {data.get('kind', 'other')}"]
            nodes.append(Node(node_id, lines, fill=style.get("fill", "#f4f4f4"), stroke=style.get("stroke", "#555"),
                              text=style.get("text", "#111"), shape="ellipse"))
        else:
            style = palette.get("model", {})
            nodes.append(Node(node_id, wrap(name, 24) + ["MODEL"], fill=style.get("fill", "#e8eef7"),
                              stroke=style.get("stroke", "#1f3a5f"), text=style.get("text", "#111"), shape="double",
                              stroke_width=1.6))
    edges = [Edge(a, b) for a, b in graph.edges]
    return draw(nodes, edges, alt=title)
