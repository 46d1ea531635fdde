"""Names come from policy and evidence files: long ones wrap inside the page, odd characters break nothing."""

from __future__ import annotations

import copy
import io
import re
from typing import Any

import pytest

LONG = " ".join(["Consumer credit scoring for natural persons"] * 7)  # ~300 characters with spaces
NO_SPACES = "CreditScoringModelWithoutAnySpaces" * 6  # 204 characters, not one break opportunity
CONTROL = "Retail\x07lending\x00desk\x1b[31m\x85"


@pytest.fixture(scope="module")
def hostile(credit) -> dict[str, Any]:
    """The credit decision with hostile names in the places a report prints names."""
    d = copy.deepcopy(credit.data)
    d["use_case"]["name"] = LONG
    d["use_case"]["id"] = "uc-" + NO_SPACES
    d["model"]["name"] = NO_SPACES
    d["model"]["owner"] = CONTROL
    gate = d["gates"][0]
    gate["title"] = NO_SPACES
    gate["checks"][0]["title"] = LONG
    gate["checks"][0]["message"] = "see " + NO_SPACES + " " + CONTROL
    for g in d["gates"]:
        for c in g["checks"]:
            if c["kind"] == "fairness" and (c.get("measured") or {}).get("groupings"):
                c["measured"]["groupings"][0]["groups"][0]["label"] = NO_SPACES + CONTROL + " $x$ $"
    return d


def _page_overflows(document: Any) -> list[tuple[int, str, str]]:
    """Boxes whose right edge is past the page's content area (WeasyPrint's laid-out boxes; margin boxes
    are checked against the page edge)."""
    found = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        content_right = page_box.content_box_x() + page_box.width + 0.5
        page_right = page_box.margin_width() + 0.5
        for child in page_box.children:
            limit = page_right if type(child).__name__ == "MarginBox" else content_right
            for box in [child, *child.descendants()]:
                if getattr(box, "width", None) is None or not hasattr(box, "position_x"):
                    continue
                if box.position_x + box.margin_width() > limit:
                    found.append((number, type(box).__name__, (getattr(box, "text", "") or "")[:40]))
    return found


def test_long_names_and_names_without_spaces_wrap_inside_the_page(hostile):
    from govern.report import render
    from govern.report.context import build_context

    dirs = render.template_dirs()
    ctx = build_context(hostile, theme=render.load_theme(dirs))
    ctx.update(created="2026-06-01T00:00:00Z", attachments=[])
    html = render.render_html("report.html.j2", ctx)
    document = render.layout(html)
    assert _page_overflows(document) == []
    pdf = document.write_pdf()
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert re.sub(r"\s+", " ", LONG) in re.sub(r"\s+", " ", text)
    assert NO_SPACES in "".join(text.split())  # wrapped, but whole: the break opportunities are not text
    assert "\u200b" not in text


def test_control_characters_are_shown_as_replacement_characters(hostile):
    from pypdf import PdfReader

    from govern.report.render import render_report

    pdf = render_report(hostile)  # no policy, plan or bundle: the decision alone
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Retail\ufffdlending\ufffddesk\ufffd[31m\ufffd" in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text)
    # figures survived (a control character in SVG would have dropped them silently)
    from tests.report.test_report import _figures

    assert any(a.startswith("Gate graph of") for a in _figures(reader))


def test_printable_and_breakable():
    from govern.report.formatting import LONG_RUN, breakable, printable

    plain = "Consumer credit scoring (German credit) sha256:" + "a" * 64
    assert printable(plain) is plain and breakable(plain) is plain
    assert printable("a\x00b\tc\nd\x7fe\x9ff\ud800g\ufffeh") == "a\ufffdb\tc\nd\ufffde\ufffdf\ufffdg\ufffdh"
    run = "x" * LONG_RUN
    broken = breakable(f"ok {run} ok")
    assert broken.replace("\u200b", "") == f"ok {run} ok"
    assert max(len(part) for part in re.split(r"[\s\u200b]", broken)) == 10
    assert breakable("x" * (LONG_RUN - 1)) == "x" * (LONG_RUN - 1)


def test_figures_keep_their_data_uri_intact():
    """A figure's data URI is thousands of characters without a space: it must not get break opportunities."""
    from govern.report import render

    svg = "<svg xmlns='http://www.w3.org/2000/svg'>" + "<g/>" * 200 + "</svg>"
    html = render._environment(render.template_dirs()).from_string(
        '{% import "macros.html.j2" as m %}{{ m.figure(fig, "c") }}<img src="{{ fig|data_uri }}">').render(
        fig=type("F", (), {"svg": svg, "alt": "a" * 100, "width_mm": 10})())
    assert html.count(render._data_uri(svg)) == 2


def test_diagram_and_chart_labels_are_printable():
    import xml.etree.ElementTree as ET

    from govern.report import charts, diagrams

    gates = [{"id": "a", "title": CONTROL, "status": "passed"}, {"id": "b", "title": NO_SPACES, "status": "failed"}]
    svg = diagrams.gate_graph(gates, [("a", "b")], {}, title="t").svg
    texts = " ".join(t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text"))
    assert "\ufffd" in texts and "\x07" not in texts
    groupings = [{"attributes": ["sex\x07"], "groups": [
        {"label": "a\x07b $x$", "n": 50, "selection_rate": 0.5, "impact_ratio": 0.6, "too_small": False},
        {"label": "m", "n": 60, "selection_rate": 0.8, "impact_ratio": 1.0, "too_small": False}]}]
    chart = charts.fairness_chart(groupings, {}, alt="a")
    ET.fromstring(chart.svg)  # valid XML
    assert "$x$" in chart.svg  # shown literally, not parsed as mathtext
    assert "\x07" not in chart.svg
