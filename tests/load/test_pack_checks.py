"""Pack loading: problems are reported where the author fixes them, with the offending value named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govern.errors import PolicyError
from govern.load.pack import load_policy

MINI = Path(__file__).resolve().parents[1] / "golden" / "mini"


@pytest.fixture
def pack(tmp_path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def problems(pack: Path) -> list:
    with pytest.raises(PolicyError) as caught:
        load_policy(pack)
    return caught.value.diagnostics


def located(diagnostic) -> tuple[str, int, int]:
    return Path(diagnostic.span.file).name, diagnostic.span.line, diagnostic.span.column


def test_the_same_public_key_for_two_people_is_an_error_at_the_second(pack):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govern.sign.keys import public_b64, public_pem

    shared, own = Ed25519PrivateKey.generate().public_key(), Ed25519PrivateKey.generate().public_key()
    pem = public_pem(shared).strip().replace("\n", "\n      ")
    edit(pack / "policy.yaml", "  - {id: alice, name: Alice Martin, roles: [data_scientist]}",
         f"  - {{id: alice, name: Alice Martin, roles: [data_scientist], public_key: {public_b64(shared)}}}")
    edit(pack / "policy.yaml", "  - {id: vera, name: Vera Lindqvist, roles: [validator]}",
         f"  - {{id: vera, name: Vera Lindqvist, roles: [validator], public_key: {public_b64(own)}}}")
    edit(pack / "policy.yaml", "  - {id: rita, name: Rita Haddad, roles: [risk_officer]}",
         f"  - id: rita\n    name: Rita Haddad\n    roles: [risk_officer]\n    public_key: |\n      {pem}")
    (only,) = problems(pack)  # the same key spelt as PEM is still the same key
    assert only.code == "duplicate-public-key"
    assert only.message == "`rita` has the same public_key as `alice` (line 20)"
    assert located(only) == ("policy.yaml", 26, 17)


def test_a_tier_without_template_is_reported_at_the_tier(pack):
    edit(pack / "policy.yaml", "  minimal: templates/light.yaml\n", "")
    (only,) = problems(pack)
    assert only.code == "missing-template" and "tier `minimal` has no governance template" in only.message
    assert located(only) == ("policy.yaml", 10, 5)  # `  - minimal` in tiers:
    assert only.source_line == "  - minimal"


def test_a_missing_template_file_is_reported_at_the_entry_naming_it(pack):
    edit(pack / "policy.yaml", "  limited: templates/light.yaml", "  limited: templates/lite.yaml")
    (only,) = problems(pack)
    assert only.code == "missing-template" and "templates/lite.yaml (tier `limited`)" in only.message
    assert located(only) == ("policy.yaml", 31, 12)


def test_a_stage_cycle_points_at_the_after_that_closes_it(pack):
    edit(pack / "templates" / "high.yaml", "  - id: validation\n",
         "  - id: validation\n    after: [development, production]\n")
    (only,) = problems(pack)
    assert only.code == "stage-order" and "cycle: validation → production → validation" in only.message
    assert located(only) == ("high.yaml", 6, 26)  # `production` in validation's after:, not `- id: validation`


def test_a_stage_after_itself_points_at_that_entry(pack):
    edit(pack / "templates" / "light.yaml", "  - id: production\n", "  - id: production\n    after: [production]\n")
    (only,) = problems(pack)
    assert only.code == "stage-order" and located(only) == ("light.yaml", 6, 13)


def test_unreachable_stages_still_point_at_the_stage(pack):
    edit(pack / "templates" / "light.yaml", "  - id: production\n", "  - id: production\n    after: []\n")
    found = problems(pack)
    assert [located(d)[:2] for d in found] == [("light.yaml", 3), ("light.yaml", 5)]  # no cycle to point into
    assert "cannot be reached" in found[1].message


@pytest.mark.parametrize("value", ["0", "-5", "90d", "1.5", "true"])
def test_max_waiver_days_must_be_a_positive_whole_number(pack, value):
    edit(pack / "policy.yaml", "  min_auc: 0.75\n", f"  min_auc: 0.75\n  max_waiver_days: {value}\n")
    (only,) = problems(pack)
    assert only.code == "invalid-value" and "`max_waiver_days`" in only.message
    assert located(only)[:2] == ("policy.yaml", 26)


def test_max_waiver_days_defaults_to_365_and_is_read_from_parameters(pack):
    assert load_policy(pack).manifest.max_waiver_days == 365
    edit(pack / "policy.yaml", "  min_auc: 0.75\n", "  min_auc: 0.75\n  max_waiver_days: 90\n")
    assert load_policy(pack).manifest.max_waiver_days == 90


def test_a_parameter_a_check_would_ignore_is_an_error_not_a_silent_no_op(pack):
    """`performance_by_group` measures one `metric`; a pack asking for `metrics: [...]` or `bands`
    would believe more was checked than is, so the pack does not load."""
    edit(pack / "templates" / "high.yaml", "        - id: fria\n",
         "        - id: by_group\n          kind: performance_by_group\n"
         "          params: {group_by: [region], metrics: [auc, f1], bands: {auc: 0.7}}\n"
         "          condition: result.worst >= 0.7\n        - id: fria\n")
    found = problems(pack)
    assert [d.code for d in found] == ["unknown-check-param", "unknown-check-param"]
    metrics, bands = found
    assert metrics.message == "`performance_by_group` checks take no parameter `metrics`"
    assert "metric" in metrics.hint
    assert bands.message == "`performance_by_group` checks take no parameter `bands`"
    assert located(metrics)[0] == "high.yaml"
