"""The nyc-ll144 pack against 6 RCNY §§5-301 to 5-304, through `govern check` on synthetic evidence.

- §5-301(b)(4): a tool that sorts candidates into groups gets selection rates per group;
- §5-301(d): categories under 2 % of the data may be left out of impact ratios, and are then
  reported with their number of people and rate;
- §20-871(b), §5-304: notice at least ten *business* days before use (Memorial Day counts);
- citations name the right subsections (selection §5-301(b), scoring §5-301(c), data §5-302).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import yaml

import govern
from govern.evaluate.pipeline import check
from govern.stats.fairness import fairness_report

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies" / "nyc-ll144"
DESCRIPTOR = ROOT / "examples" / "hiring-screening" / "use_case.nyc-ll144.yaml"
AS_OF = dt.date(2026, 6, 1)  # Monday after Memorial Day week


def _rows() -> list[str]:
    """600 people: Female/Male × White/Black, plus 6 (1 %) Asian; each sorted into a leadership style."""
    rows = ["applicant_id,sex,race_ethnicity,selected,score,assigned_group"]
    i = 0
    for sex, race, n, picked, style_a in [("Female", "White", 150, 60, 90), ("Male", "White", 150, 75, 60),
                                          ("Female", "Black", 144, 48, 72), ("Male", "Black", 150, 60, 75),
                                          ("Female", "Asian", 6, 6, 6)]:
        for k in range(n):
            style = "directive" if k < style_a else "collaborative"
            rows.append(f"A{i:04d},{sex},{race},{int(k < picked)},{(k % 97) / 97:.4f},{style}")
            i += 1
    return rows


def _bundle(tmp_path: Path, notice: dt.date) -> Path:
    evidence = tmp_path / "evidence"
    (evidence / "data").mkdir(parents=True)
    (evidence / "data" / "predictions.csv").write_text("\n".join(_rows()) + "\n")
    (evidence / "manifest.yaml").write_text(
        "bundle: ll144\nmodel: {name: styles, version: 1.0.0}\n"
        "files:\n  - {path: data/predictions.csv, role: bias_audit_data}\n"
        "columns: {prediction: selected, score: score}\n")
    (evidence / "model_card.md").write_text(
        f"---\nname: styles\nbias_audit_date: 2026-03-01\ncandidate_notice_date: {notice.isoformat()}\n---\n# m\n")
    return evidence


def _pack(tmp_path: Path, **parameters) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    manifest = (pack / "policy.yaml").read_text()
    for name, value in parameters.items():
        manifest, n = re.subn(rf"(?m)^  {name}: \S+", f"  {name}: {value}", manifest)
        assert n == 1, name
    (pack / "policy.yaml").write_text(manifest)
    return pack


def _run(tmp_path: Path, output_types: list[str], notice: dt.date = dt.date(2026, 5, 1), **parameters):
    pack = _pack(tmp_path, **parameters)
    descriptor = yaml.safe_load(DESCRIPTOR.read_text())
    descriptor["facts"]["output_types"] = output_types
    (tmp_path / "use_case.yaml").write_text(yaml.safe_dump(descriptor))
    policy = govern.load_policy(pack)
    use_case = govern.load_use_case(tmp_path / "use_case.yaml", policy)
    decision = check(policy, use_case, _bundle(tmp_path, notice), as_of=AS_OF)
    return {f"{c.gate}.{c.id}": c for c in decision.checks}


def test_per_group_rates_for_a_tool_that_sorts_candidates_into_groups(tmp_path):
    """§5-301(b)(4): selection rate and impact ratio once per group; "selected" = sorted into it."""
    got = _run(tmp_path, ["tag_or_category"])["publication.impact_ratios_per_group"]
    assert got.status == "passed", got.message
    assert got.citation.startswith("6 RCNY §5-301(b)(4)")
    classes = got.measured["classes"]
    assert set(classes) == {"collaborative", "directive"}
    sex = {g["label"]: g for g in classes["directive"]["groupings"][0]["groups"]}
    # directive: Female 90+72+6 of 300, Male 60+75 of 300
    assert sex["Female"]["selection_rate"] == pytest.approx(168 / 300)
    assert sex["Male"]["selection_rate"] == pytest.approx(135 / 300)
    assert sex["Male"]["impact_ratio"] == pytest.approx(135 / 168)
    assert got.measured["min_impact_ratio"] == min(c["min_impact_ratio"] for c in classes.values())


def test_categories_under_two_percent_are_excluded_and_reported_when_the_auditor_opts_in(tmp_path):
    """§5-301(d): Asian applicants are 1 % of the data; excluded, they are listed with n and rate."""
    checks = _run(tmp_path, ["classification"], min_category_share=0.02)
    got = checks["publication.impact_ratios_selection_rate"]
    assert got.status == "passed"
    assert "§5-301(d)" in got.citation
    excluded = {(e["grouping"], e["group"]): e for e in got.measured["excluded"]}
    assert set(excluded) == {("race_ethnicity", "Asian"), ("sex × race_ethnicity", "Female & Asian")}
    assert excluded[("race_ethnicity", "Asian")]["n"] == 6
    assert excluded[("race_ethnicity", "Asian")]["selection_rate"] == 1.0
    assert got.measured["excluded_count"] == 2
    race = next(g for g in got.measured["groupings"] if g["attributes"] == ["race_ethnicity"])
    assert race["most_selected_group"] == "White"  # Asian's 100 % no longer sets the reference rate
    assert "excluded from impact ratios" in got.message


def test_by_default_every_category_stays_in_the_impact_ratios(tmp_path):
    got = _run(tmp_path, ["classification"])["publication.impact_ratios_selection_rate"]
    assert got.measured["excluded"] == [] and got.measured["excluded_count"] == 0
    race = next(g for g in got.measured["groupings"] if g["attributes"] == ["race_ethnicity"])
    assert race["most_selected_group"] == "Asian"


@pytest.mark.parametrize("notice, status", [
    (dt.date(2026, 5, 15), "passed"),   # 10 business days: 18-22, 26-29 May (Memorial Day off), 1 June
    (dt.date(2026, 5, 18), "failed"),   # 14 calendar days, but only 9 business days
])
def test_candidate_notice_counts_business_days_in_the_new_york_calendar(tmp_path, notice, status):
    got = _run(tmp_path, ["classification"], notice=notice)["use.candidate_notice_lead_time"]
    assert got.status == status, got.message
    assert "business_days_since(model.candidate_notice_date, params.candidate_notice_calendar)" in got.expected


def test_the_pack_calendar_is_a_calendar():
    from govern.dsl.ops import calendar_problem

    policy = govern.load_policy(PACK)
    assert calendar_problem(policy.manifest.parameters["candidate_notice_calendar"]) is None


def test_citations_name_the_subsections_of_the_rules():
    template = govern.load_policy(PACK).templates["aedt"]
    citations = {item.id: item.citation for stage in template.stages
                 for item in [*stage.gate.checks, *stage.gate.documents]}
    assert citations["impact_ratios_selection_rate"].startswith("6 RCNY §5-301(b)(1)-(3)")
    assert citations["impact_ratios_scoring_rate"].startswith("6 RCNY §5-301(c)")
    assert citations["audit_data"].startswith("6 RCNY §5-302(a)")
    assert citations["test_data_explanation"].startswith("6 RCNY §5-302(b)")
    assert "§5-304" in citations["candidate_notice_lead_time"]


def test_min_share_in_the_statistics_excludes_only_from_ratios():
    import pandas as pd

    frame = pd.DataFrame({"g": ["a"] * 60 + ["b"] * 39 + ["c"], "p": [1] * 30 + [0] * 30 + [1] * 13 + [0] * 26 + [1]})
    g = fairness_report(frame, y_pred="p", sensitive=["g"], min_group_size=1, min_share=0.02).grouping("g")
    by = {x.label: x for x in g.groups}
    assert by["c"].excluded and by["c"].impact_ratio is None and by["c"].selection_rate == 1.0
    assert g.excluded_groups == ("c",) and g.most_selected_group == "a"
    assert g.min_impact_ratio == pytest.approx((13 / 39) / 0.5)
    with pytest.raises(ValueError, match="min_share"):
        fairness_report(frame, y_pred="p", sensitive=["g"], min_share=1.5)
