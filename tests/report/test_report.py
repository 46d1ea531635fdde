"""`govern report`: the PDF is complete (sections, numbers, verdict), embeds its decision, is PDF/A-3b,
tagged, deterministic, written atomically, and its heavy dependencies stay off `govern check`'s path."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.report.conftest import AS_OF, EVIDENCE, POLICY, ROOT, USE_CASE

SECTIONS = ["Contents", "Executive summary", "Risk classification", "Responsibilities", "Gate graph and checks",
            "Fairness", "Drift and data quality", "Performance by subpopulation", "Data lineage",
            "Sign-offs and waivers", "Reproducibility", "Audit trail", "Appendix: policy text that applied"]


def squash(text: str) -> str:
    """Text with whitespace runs collapsed (PDF extraction breaks lines wherever the layout did)."""
    return re.sub(r"\s+", " ", text)


# --------------------------------------------------------------------------- completeness

def test_every_section_is_present_in_order(credit):
    text = squash(credit.text)
    positions = []
    for i, title in enumerate(SECTIONS[1:], start=2):
        found = [m.start() for m in re.finditer(re.escape(f"{i} {title}"), text)]
        assert found, f"section {i} {title!r} missing"
        positions.append(found[-1])  # the last one is the section heading, the first the table of contents
    assert positions == sorted(positions)


def test_verdict_digest_and_identity_are_in_the_document(credit):
    text = squash(credit.text)
    d = credit.data
    word = "ALLOWED" if d["allowed"] else "BLOCKED"
    assert word in text
    assert f"{word} for {d['target']}" in text  # running header
    assert d["decision_digest"] in text  # cover, in full
    short = d["decision_digest"].split(":")[1][:12]
    assert text.count(f"decision {short}") >= len(credit.reader.pages) - 1  # running header on every page but the cover
    for value in (d["use_case"]["id"], d["policy"]["digest"], d["evidence_digest"], d["model_digest"],
                  d["govern_version"], AS_OF.isoformat()):
        assert value in text
    assert "Page 1 of" in text and f"Page {len(credit.reader.pages)} of {len(credit.reader.pages)}" in text


def test_classification_lists_fired_rules_with_citation_facts_and_text(credit):
    text = squash(credit.text)
    for rule in credit.data["classification"]["rules"]:
        assert rule["id"] in text
        if rule.get("citation"):
            assert squash(rule["citation"]) in text
        for fact in rule.get("reads") or {}:
            assert fact in text
    assert "Annex III 5(b)" in text
    assert "creditworthiness" in text


def test_classification_says_why_rules_did_not_fire_and_what_the_tier_hangs_on(credit):
    """On paper: one line per rule that did not fire, with what decided it; the condition-by-condition
    explanation of every rule is the classification-explanation.txt attachment."""
    text = squash(credit.text)
    not_fired = credit.data["classification"]["not_fired"]
    assert not_fired and all(r["why"]["summary"] for r in not_fired)
    for rule in not_fired:
        assert rule["id"] in text and squash(rule["why"]["summary"]) in text, rule["id"]
    assert 'annex-iii-4a-recruitment (EU AI Act Art. 6(2); Annex III 4(a)) — did not match: ' \
           '`"employment_recruitment" in uses` is false' in text
    explanation = credit.reader.attachments["classification-explanation.txt"][0].decode("utf-8")
    assert "did not match annex-iii-4a-recruitment" in explanation
    assert '"employment_recruitment" in uses → false   (use_case.annex_iii_uses = ["creditworthiness"])' in explanation
    for rule in credit.data["classification"]["rules"] + not_fired:
        assert f" {rule['id']} (tier {rule['tier']})" in explanation
    assert "classification-explanation.txt" in text
    assert "Answers the tier hangs on" in text
    assert "use_case.assesses_natural_persons = true" in text and "→ minimal: false" in text


def test_a_recorded_decision_without_explanations_still_renders_its_rule_ids():
    from govern.report.sections.classification import build_classification

    old = {"classification": {"tier": "high", "rules": [], "not_fired": ["chatbot"], "as_of": "2026-01-01"}}
    built = build_classification(old, None)
    assert built["not_fired"] == [{"id": "chatbot", "label": "did not fire", "why": ""}]
    assert built["sensitivity"] is None


def test_every_check_and_its_status_is_reported(credit):
    from govern.report.context import measured_text

    text = squash(credit.text)
    for gate in credit.data["gates"]:
        assert gate["title"].split(" (")[0] in text
        for check in gate["checks"]:
            assert check["id"] in text, check["id"]
            # the measured summary appears (its first words; table cells may wrap long ones)
            assert squash(measured_text(check))[:18] in text, check["id"]
    statuses = {c.status for c in credit.decision.checks}
    for status in statuses:
        assert status.upper() in text


def test_measured_numbers_appear_formatted(credit):
    from govern.report.context import fmt
    from govern.report.sections.drift import DRIFT_ROWS

    text = squash(credit.text)
    for check in credit.decision.checks:
        m = check.measured
        if check.kind == "metric":
            for key, value in m.items():
                if isinstance(value, float) and key.startswith("metrics."):
                    assert fmt(value, 4) in text, (check.id, key)
        if check.kind == "drift" and m.get("features"):
            drifted = [f for f in m["features"] if f["drifted"] is not False]
            stable = sorted((f for f in m["features"] if f["drifted"] is False), key=lambda f: -f["stats"]["psi"])
            for feature in drifted + stable[:max(0, DRIFT_ROWS - len(drifted))]:  # the rest: drift-features.csv
                assert feature["name"][:20] in text
            assert fmt(m["max_psi"]) in text
        if check.kind == "fairness" and m.get("groupings"):
            assert fmt(m["min_impact_ratio"]) in text
            for grouping in m["groupings"]:
                for group in grouping["groups"]:
                    if not group["too_small"] and len(grouping["attributes"]) == 1:
                        assert group["label"] in text
        if check.kind == "performance_by_group" and m.get("groups"):
            assert fmt(m["overall"]) in text
            assert str(m["worst_group"]) in text


def test_raci_people_and_lineage_tags(credit):
    text = squash(credit.text)
    policy_text = (POLICY / "policy.yaml").read_text("utf-8")
    assert "Accountable" in text and "Responsible" in text
    for name in ("Victor Osei", "Rita Haddad", "Paula Brenner"):
        assert name in policy_text and name in text
    assert "PII" in text and "Anonymised" in text
    assert "raw_applicants" in text and "credit-risk-scorer" in text


def test_appendix_holds_the_parameters_and_the_template_travels_as_an_attachment(credit):
    text = squash(credit.text)
    assert "templates/high.yaml" in text
    assert "params.min_auc" in text
    template = credit.reader.attachments["policy-template.yaml"][0]
    assert template.decode("utf-8") == (POLICY / "templates" / "high.yaml").read_text("utf-8").replace("\r\n", "\n").rstrip() + "\n"
    assert f"policy-template.yaml (sha256 {hashlib.sha256(template).hexdigest()[:16]})" in text


def test_every_attachment_is_listed_with_its_digest(credit):
    """Section 11 names every embedded file with the sha256 of its bytes, so a reader knows where each
    listing that is not printed went, and can check it."""
    text = "".join(credit.text.split())  # digests may wrap inside their table cell
    attachments = credit.reader.attachments
    assert set(attachments) == {"decision.json", "evidence-manifest.json", "classification-explanation.txt",
                                "policy-template.yaml", "drift-features.csv", "data-quality-columns.csv"}
    for name, (data, *_) in attachments.items():
        assert name in text and hashlib.sha256(data).hexdigest() in text, name


def test_drift_and_quality_listings_hold_every_row(credit):
    import csv
    import io

    drift = list(csv.DictReader(io.StringIO(credit.reader.attachments["drift-features.csv"][0].decode("utf-8"))))
    quality = list(csv.DictReader(io.StringIO(
        credit.reader.attachments["data-quality-columns.csv"][0].decode("utf-8"))))
    checks = [(f"{g['id']}.{c['id']}", c) for g in credit.data["gates"] for c in g["checks"]]
    for qid, check in checks:
        if check["kind"] == "drift":
            rows = {r["feature"]: r for r in drift if r["check"] == qid}
            assert set(rows) == {f["name"] for f in check["measured"]["features"]}
            for f in check["measured"]["features"]:
                assert float(rows[f["name"]]["psi"]) == f["stats"]["psi"]  # as recorded in decision.json
                assert rows[f["name"]]["drifted"] == ("true" if f["drifted"] else "false")
        if check["kind"] == "data_quality":
            rows = {r["column"]: r for r in quality if r["check"] == qid}
            assert set(rows) == {c["name"] for c in check["measured"]["columns"]}
    text = "".join(credit.text.split())  # a file name may wrap at its hyphens
    assert "everyfeature'sstatisticsareindrift-features.csv" in text
    assert "everycolumn'sfiguresareindata-quality-columns.csv" in text


def test_no_store_says_not_recorded(credit):
    assert "Not recorded" in squash(credit.text)


def _figures(reader) -> list[str]:
    """Alt texts of the /Figure elements of the structure tree."""
    found: list[str] = []
    todo = [reader.trailer["/Root"]["/StructTreeRoot"]]
    while todo:
        node = todo.pop().get_object()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict):
            if node.get("/S") == "/Figure":
                found.append(str(node.get("/Alt", "")))
            if "/K" in node:
                todo.append(node["/K"])
    return found


def test_figures_are_tagged_with_alt_text(credit):
    alts = _figures(credit.reader)
    assert any(a.startswith("Gate graph of") for a in alts), alts
    assert any(a.startswith("Lineage:") for a in alts), alts
    assert all(len(a) > 20 for a in alts), alts


# --------------------------------------------------------------------------- archival

def test_decision_json_is_embedded_and_equals_the_decision(credit):
    attachments = credit.reader.attachments
    assert set(attachments) >= {"decision.json", "evidence-manifest.json"}
    embedded = json.loads(attachments["decision.json"][0])
    assert embedded == json.loads(json.dumps(credit.data, default=str))
    assert embedded["decision_digest"] == credit.decision.digest
    manifest = json.loads(attachments["evidence-manifest.json"][0])
    assert manifest["evidence_digest"] == credit.data["evidence_digest"]
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == {f.path: f.sha256 for f in credit.bundle.files()}


def test_embedded_decision_matches_govern_check_json(credit, tmp_path):
    """The attachment is byte-for-byte what `govern check -f json` prints."""
    proc = subprocess.run([sys.executable, "-m", "govern", "check", str(USE_CASE), "-p", str(POLICY), "-e",
                           str(EVIDENCE), "--as-of", AS_OF.isoformat(), "--target", "production", "-f", "json",
                           "--no-record"], capture_output=True, cwd=tmp_path, check=False)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    assert credit.reader.attachments["decision.json"][0] == proc.stdout


def test_pdfa_3b_markers_and_fixed_dates(credit):
    root = credit.reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r'pdfaid:part="3"|<pdfaid:part>3</pdfaid:part>', xmp)
    assert re.search(r'pdfaid:conformance="B"|<pdfaid:conformance>B</pdfaid:conformance>', xmp)
    assert "2026-06-01T00:00:00Z" in xmp
    assert "/OutputIntents" in root and "/AF" in root  # sRGB intent; associated files (PDF/A-3)
    info = credit.reader.metadata
    assert info["/CreationDate"].startswith("D:20260601") and info["/ModDate"].startswith("D:20260601")
    assert credit.pdf.startswith(b"%PDF-1.7")


def test_tagged_pdf(credit):
    root = credit.reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"


def test_two_renders_are_byte_identical(credit, credit_again):
    assert credit.pdf == credit_again


def test_no_clock_or_random_ids_in_the_pdf(credit):
    import datetime as dt

    today = dt.date.today()
    if today != AS_OF:
        assert today.strftime("D:%Y%m%d").encode() not in credit.pdf
        assert today.isoformat().encode() not in credit.pdf


# --------------------------------------------------------------------------- other inputs

def test_mini_pack_with_blocked_evidence(mini_blocked):
    text = squash(mini_blocked.text)
    assert "BLOCKED" in text
    assert mini_blocked.data["decision_digest"] in text
    embedded = json.loads(mini_blocked.reader.attachments["decision.json"][0])
    assert embedded["decision_digest"] == mini_blocked.decision.digest
    for title in SECTIONS[1:]:
        assert title in text


def test_context_without_policy_or_bundle_degrades_gracefully(credit):
    from govern.report.context import build_context

    ctx = build_context(credit.data, charts=False)
    assert ctx["raci"]["available"] is False
    assert ctx["appendix"]["available"] is False
    assert ctx["lineage"]["available"] is False and "not available" in ctx["lineage"]["note"]
    assert ctx["audit"] == {"recorded": False}
    assert [g["id"] for g in ctx["gates"]] == [g["id"] for g in credit.data["gates"]]
    assert len(ctx["gate_edges"]) == len(credit.data["gates"]) - 1


# --------------------------------------------------------------------------- figures

def test_builtin_diagrams_are_valid_deterministic_svg(monkeypatch):
    import xml.etree.ElementTree as ET

    import networkx as nx

    from govern.report import diagrams

    monkeypatch.setenv("GOVERN_REPORT_LAYOUT", "builtin")
    gates = [{"id": "a", "title": "Development & testing", "status": "passed", "counts_lines": ["2/2 checks pass"]},
             {"id": "b", "title": "Validation <independent>", "status": "failed"},
             {"id": "c", "title": "Production", "status": "blocked"}]
    one = diagrams.gate_graph(gates, [("a", "b"), ("b", "c"), ("a", "c")], {}, title="t")
    two = diagrams.gate_graph(gates, [("a", "b"), ("b", "c"), ("a", "c")], {}, title="t")
    assert one == two and one.engine == "builtin"
    root = ET.fromstring(one.svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "FAILED" in texts and "BLOCKED" in texts and "Validation <independent>" in " ".join(texts)
    g = nx.DiGraph()
    g.add_node("dataset:raw", type="dataset", tags={"pii": True})
    g.add_node("job:clean", type="job", kind="anonymisation")
    g.add_node("dataset:clean", type="dataset", tags={"anonymised": True})
    g.add_node("model:m", type="model")
    g.add_edges_from([("dataset:raw", "job:clean"), ("job:clean", "dataset:clean"), ("dataset:clean", "model:m"),
                      ("model:m", "dataset:raw")])  # a cycle must not break the layout
    lineage = diagrams.lineage_graph(g, {}, title="lineage")
    texts = [t.text for t in ET.fromstring(lineage.svg).iter("{http://www.w3.org/2000/svg}text")]
    assert "PII" in texts and "ANONYMISED" in texts and "MODEL" in texts


def test_charts_are_deterministic_and_undated():
    from govern.report import charts

    groupings = [{"attributes": ["sex"], "groups": [
        {"label": "f", "n": 50, "selection_rate": 0.5, "impact_ratio": 0.625, "too_small": False},
        {"label": "m", "n": 60, "selection_rate": 0.8, "impact_ratio": 1.0, "too_small": False},
        {"label": "x", "n": 3, "selection_rate": 0.3, "impact_ratio": None, "too_small": True}]}]
    one = charts.fairness_chart(groupings, {}, alt="a")
    two = charts.fairness_chart(groupings, {}, alt="a")
    assert one.svg == two.svg
    assert "<dc:date>" not in one.svg
    assert "four-fifths line 64.0%" in one.svg


# --------------------------------------------------------------------------- writing

def test_write_is_atomic(tmp_path, monkeypatch):
    from govern.report import render

    target = tmp_path / "out" / "report.pdf"
    render.write_atomically(target, b"%PDF-old")

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(render.os, "replace", broken)
    with pytest.raises(OSError):
        render.write_atomically(target, b"%PDF-new")
    assert target.read_bytes() == b"%PDF-old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"]


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govern", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, check=False, timeout=300)


def test_cli_writes_the_report_and_prints_its_digest(tmp_path, credit):
    import hashlib

    out = tmp_path / "report.pdf"
    proc = _run(["report", str(USE_CASE), "-p", str(POLICY), "-e", str(EVIDENCE), "--as-of", AS_OF.isoformat(),
                 "--target", "production", "-o", str(out), "--no-store"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == credit.pdf  # same bytes as the in-process render (which has no store)
    assert f"sha256:{hashlib.sha256(out.read_bytes()).hexdigest()}" in proc.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_usage_errors(tmp_path):
    proc = _run(["report", "-o", str(tmp_path / "x.pdf")], tmp_path)
    assert proc.returncode == 2 and "exactly one of" in proc.stderr
    proc = _run(["report", str(USE_CASE), "-o", str(tmp_path / "x.pdf")], tmp_path)
    assert proc.returncode == 2 and "--policy and --evidence" in proc.stderr


def test_report_from_the_store_and_inventory(tmp_path, credit):
    """Record the decision, render it by id (without policy or evidence at hand), then the inventory."""
    from govern.record.store import Store

    from dataclasses import replace

    url = f"sqlite:///{(tmp_path / 'store' / 'govern.db').as_posix()}"
    with Store.open(url) as store:  # as if made on AS_OF (the store refuses replays): the rendering is under test
        evaluation = store.record_decision(replace(credit.decision, replay=False))
    out = tmp_path / "stored.pdf"
    proc = _run(["report", "--evaluation", str(evaluation), "-o", str(out)], tmp_path,
                {"GOVERN_DATABASE_URL": url})
    assert proc.returncode == 0, proc.stderr
    from pypdf import PdfReader

    reader = PdfReader(out)
    text = squash("\n".join(p.extract_text() for p in reader.pages))
    assert "MATCHES THIS REPORT" in text and "INTACT" in text
    assert f"#{evaluation}" in text
    assert "policy pack was not available" in text
    assert json.loads(reader.attachments["decision.json"][0]) == store_copy(url, evaluation)
    inventory = tmp_path / "inventory.pdf"
    proc = _run(["report", "--inventory", "--as-of", AS_OF.isoformat(), "-o", str(inventory)], tmp_path,
                {"GOVERN_DATABASE_URL": url})
    assert proc.returncode == 0, proc.stderr
    reader = PdfReader(inventory)
    text = squash("\n".join(p.extract_text() for p in reader.pages))
    assert credit.data["use_case"]["id"] in text and "Model inventory as of 2026-06-01" in text
    assert "inventory.json" in reader.attachments
    proc = _run(["report", "--evaluation", "999", "-o", str(tmp_path / "x.pdf")], tmp_path,
                {"GOVERN_DATABASE_URL": url})
    assert proc.returncode == 2 and "no evaluation #999" in proc.stderr


def store_copy(url: str, evaluation: int) -> dict:
    from govern.record.store import Store

    with Store.open(url) as store:
        return store.decision(evaluation)


def test_heavy_imports_stay_off_the_check_path(tmp_path):
    code = ("import sys\nfrom govern.cli.main import main\n"
            "try:\n    main(['check', %r, '-p', %r, '-e', %r, '--as-of', '2026-06-01', '--no-record', '-f', 'json'])\n"
            "except SystemExit:\n    pass\n"
            "heavy = [m for m in ('weasyprint', 'matplotlib', 'jinja2', 'govern.report') if m in sys.modules]\n"
            "print('HEAVY', heavy, file=sys.stderr)\n") % (str(USE_CASE), str(POLICY), str(EVIDENCE))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert "HEAVY []" in proc.stderr, proc.stderr[-2000:]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pages_rasterise(credit, tmp_path):
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(credit.pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "3", str(pdf), str(tmp_path / "p")], check=True)
    assert len(list(tmp_path.glob("p*.png"))) == 3


def test_templates_can_be_overridden_file_by_file(tmp_path, credit):
    from govern.report.render import render_html, template_dirs

    custom = tmp_path / "tpl"
    custom.mkdir()
    (custom / "report.css").write_text("body { color: black; } /* RESTYLED */", "utf-8")
    assert template_dirs(custom)[0] == custom
    from govern.report.context import build_context

    html = render_html("report.html.j2", {**build_context(credit.data, charts=False), "created": "x"},
                       templates=custom)
    assert "RESTYLED" in html and "Executive summary" in html
    assert (ROOT / "reports" / "report.css").is_file()


def test_report_digest_joins_the_audit_trail(tmp_path):
    env = {"GOVERN_DATABASE_URL": f"sqlite:///{tmp_path / 'govern.db'}"}
    common = [str(USE_CASE), "-p", str(POLICY), "-e", str(EVIDENCE), "--as-of", AS_OF.isoformat(),
              "--target", "production"]
    recorded = [str(USE_CASE), "-p", str(POLICY), "-e", str(EVIDENCE), "--target", "production"]  # today: recorded
    assert _run(["check", *recorded], tmp_path, env).returncode in (0, 1)  # records, creating the store
    out = tmp_path / "report.pdf"
    proc = _run(["report", *common, "-o", str(out)], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert "recorded as audit event #" in proc.stdout
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    exported = _run(["audit", "export", "--format", "jsonl"], tmp_path, env)
    events = [json.loads(line) for line in exported.stdout.splitlines() if line.strip()]
    reports = [e for e in events if e["kind"] == "report"]
    assert reports and reports[-1]["payload"]["pdf_sha256"] == f"sha256:{digest}"
    assert _run(["audit", "verify"], tmp_path, env).returncode == 0
