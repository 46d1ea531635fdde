"""The PDF's bytes depend only on the evaluation: not on the clock, the hash seed, or the machine's fonts."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import AS_OF, EVIDENCE, POLICY, ROOT, USE_CASE

SHIPPED = ROOT / "reports" / "fonts"


def embedded_fonts(reader: Any) -> dict[str, bytes]:
    """BaseFont name → embedded font program, for every font the pages (and their images) use."""
    found: dict[str, bytes] = {}
    seen: set[int] = set()
    todo = [page["/Resources"] for page in reader.pages]
    while todo:
        resources = todo.pop().get_object()
        if id(resources) in seen:
            continue
        seen.add(id(resources))
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts") or [font]:
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                program = next((descriptor[k] for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in descriptor),
                               None)
                found[str(font["/BaseFont"])] = program.get_object().get_data() if program else b""
        for xobject in (resources.get("/XObject") or {}).values():
            inner = xobject.get_object().get("/Resources")
            if inner is not None:
                todo.append(inner)
    return found


def test_renders_in_other_processes_with_other_hash_seeds_are_byte_identical(credit, tmp_path):
    """Two `govern report` processes (hash seeds 1 and 2, run side by side; the second on a machine whose
    fontconfig knows no font at all) and the in-process render (another seed, seconds earlier) give the
    same bytes."""
    empty = tmp_path / "fonts.conf"  # a fresh machine: fontconfig finds no font
    empty.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
                     f"<fontconfig><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n", "utf-8")
    args = [sys.executable, "-m", "govern", "report", str(USE_CASE), "-p", str(POLICY), "-e", str(EVIDENCE),
            "--as-of", AS_OF.isoformat(), "--target", "production", "--no-store", "-o"]
    envs = {1: {"PYTHONHASHSEED": "1"}, 2: {"PYTHONHASHSEED": "2", "FONTCONFIG_FILE": str(empty)}}
    procs = {seed: subprocess.Popen([*args, str(tmp_path / f"seed{seed}.pdf")], cwd=tmp_path,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **env})
             for seed, env in envs.items()}
    for seed, proc in procs.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        assert b"Expect ugly output" not in err, err.decode()
    one, two = (tmp_path / "seed1.pdf").read_bytes(), (tmp_path / "seed2.pdf").read_bytes()
    assert one == two, "hash seed or installed fonts changed the bytes"
    assert one == credit.pdf, "a render in another process, seconds later, changed the bytes"


def test_only_the_shipped_fonts_are_embedded(credit):
    """Body text, code, charts and diagrams are all set in the DejaVu files shipped in reports/fonts/,
    under govern's own family names (so no installed font can stand in)."""
    from fontTools.ttLib import TTFont

    fonts = embedded_fonts(credit.reader)
    families = {name.split("+", 1)[-1] for name in fonts}
    assert families >= {"govern-DejaVu-Sans", "govern-DejaVu-Sans-Bold", "govern-DejaVu-Sans-Mono"}, families
    assert all(f.startswith("govern-DejaVu-Sans") for f in families), families
    shipped_versions = {TTFont(p)["name"].getDebugName(5) for p in SHIPPED.glob("*.ttf")}
    for name, program in fonts.items():
        font = TTFont(io.BytesIO(program))
        assert font["name"].getDebugName(1).startswith("DejaVu Sans"), name
        assert font["name"].getDebugName(5) in shipped_versions, name


def test_embedded_fonts_are_stamped_with_the_evaluation_date_not_the_clock(monkeypatch):
    """fontTools (WeasyPrint's subsetter without libharfbuzz-subset) stamps a subsetted font with the current
    time unless SOURCE_DATE_EPOCH is set: the renderer sets it to the evaluation date while writing the PDF,
    and puts back what was there. HarfBuzz keeps the shipped file's own stamp."""
    from fontTools.misc.timeTools import epoch_diff
    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    from govern.report import render

    render.load_weasyprint()
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    with_fonttools = not (harfbuzz_subset and harfbuzz.hb_version_atleast(4, 1, 0))  # as WeasyPrint decides

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "12345")
    html = ("<html><head><style>{% include 'report.css' %}</style></head>"
            "<body><p>Plain <b>bold</b> <code>code</code></p></body></html>")
    page = render._environment(render.template_dirs()).from_string(html).render()
    moment = dt.datetime(2026, 6, 1)
    pdf = render.html_to_pdf(page, moment=moment)
    assert os.environ["SOURCE_DATE_EPOCH"] == "12345"
    fonts = embedded_fonts(PdfReader(io.BytesIO(pdf)))
    assert len(fonts) == 3
    shipped = {TTFont(p)["name"].getDebugName(4): TTFont(p)["head"].modified for p in SHIPPED.glob("*.ttf")}
    for name, program in fonts.items():
        font = TTFont(io.BytesIO(program))
        if with_fonttools:
            expected = int(moment.replace(tzinfo=dt.timezone.utc).timestamp()) - epoch_diff
        else:
            expected = shipped[font["name"].getDebugName(4)]
        assert font["head"].modified == expected, name
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert render.html_to_pdf(page, moment=moment) == pdf
    assert "SOURCE_DATE_EPOCH" not in os.environ


def test_stylesheet_and_charts_name_the_shipped_families():
    from govern.report import charts, diagrams, fonts

    css = (ROOT / "reports" / "report.css").read_text("utf-8")
    for family, face in ((fonts.SANS, "DejaVuSans.ttf"), (fonts.SANS, "DejaVuSans-Bold.ttf"),
                         (fonts.SANS, "DejaVuSans-Oblique.ttf"), (fonts.MONO, "DejaVuSansMono.ttf"),
                         (fonts.MONO, "DejaVuSansMono-Bold.ttf")):
        assert f'font-family: "{family}"; src: url(fonts/{face})' in css
        assert (SHIPPED / face).is_file()
    assert (SHIPPED / "LICENSE-DejaVu.txt").is_file()
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    named = {name for value in re.findall(r"font(?:-family)?:([^;}]*)", rules)
             for name in re.findall(r'"([^"]+)"', value)}
    assert named == {fonts.SANS, fonts.MONO}  # no other font family is named anywhere
    assert fonts.SANS in diagrams.FONT
    chart = charts.performance_chart([{"label": "a", "n": 40, "value": 0.7}], 0.7, 0.6, "auc", {}, alt="x")
    assert f"font-family: '{fonts.SANS}'" in chart.svg


def test_fonts_ship_inside_the_wheel():
    """reports/ (with fonts/) is force-included as govern/report/templates, where the renderer looks first."""
    import tomllib

    from govern.report.fonts import builtin_template_dirs, find

    with (ROOT / "pyproject.toml").open("rb") as fh:
        include = tomllib.load(fh)["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include["reports"] == "govern/report/templates"
    assert find("fonts/DejaVuSans.ttf", builtin_template_dirs()) is not None


def test_the_renderer_reads_only_the_template_folders(tmp_path):
    """Relative URLs resolve file by file across the template folders; other files and the network are not read."""
    from weasyprint.urls import URLFetchingError, fetch

    from govern.report import render

    custom = tmp_path / "tpl"
    (custom / "fonts").mkdir(parents=True)
    (custom / "fonts" / "Mine.ttf").write_bytes(b"mine")
    dirs = render.template_dirs(custom)
    fetcher, base = render._template_fetcher(dirs)
    assert base == custom.resolve().as_uri() + "/"
    with fetch(fetcher, base + "fonts/Mine.ttf") as found:
        assert found.read() == b"mine"
    with fetch(fetcher, base + "fonts/DejaVuSans.ttf") as found:  # not in the custom folder: the shipped one
        assert found.read() == (SHIPPED / "DejaVuSans.ttf").read_bytes()
    secret = tmp_path / "secret.txt"
    secret.write_text("no")
    for url in (base + "../secret.txt", secret.as_uri(), base + "fonts/missing.ttf", "http://example.invalid/x.css",
                "file:///etc/hostname"):
        with pytest.raises(URLFetchingError):
            with fetch(fetcher, url):
                pass
    with fetch(fetcher, "data:text/plain;base64,aGk=") as found:
        assert found.read() == b"hi"


@pytest.mark.parametrize("path", [Path("fonts/../../pyproject.toml"), Path("/etc/hostname")])
def test_font_lookup_never_leaves_the_template_folders(path):
    from govern.report.fonts import builtin_template_dirs, find

    assert find(str(path), builtin_template_dirs()) is None
