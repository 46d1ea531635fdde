"""`govern validate`: every static check of a pack, or of a descriptor against its pack."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.common import format_option
from govern.cli.main import emit_json


@click.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--policy", "-p", "policy_path", type=click.Path(path_type=Path),
              help="With a use-case descriptor as TARGET: the pack it answers.")
@format_option("text", "json")
def validate(target: Path, policy_path: Path | None, fmt: str) -> None:
    """Validate a policy pack folder, or a use-case descriptor with --policy.

    \b
    Reports every problem with file:line:col, the source line and a caret: YAML
    structure, unknown keys, rule syntax, unknown fields/tiers/roles/check kinds,
    type errors, cyclic or unreachable stages, and in the pack's tests/*.yaml unknown
    facts, values, tiers, rules, gates and checks (`govern test` runs the cases).
    A descriptor is checked answer by answer, then against the pack's constraints
    (answers that contradict each other, reported at the answers) and its
    `evidence_required` facts (an answer needs an `evidence:` pointer).
    Exit 0 if valid, 2 otherwise.

    \b
    Examples:
      govern validate policies/eu-ai-act
      govern validate examples/credit-risk/use_case.yaml --policy policies/eu-ai-act
    """
    from govern.errors import GovernError
    from govern.load.answers import check_answers
    from govern.load.pack import load_policy
    from govern.load.use_case import load_use_case
    from govern.packtest import load_pack_tests

    try:
        if policy_path is not None:
            policy = load_policy(policy_path)
            use_case = load_use_case(target, policy.facts)
            check_answers(policy, use_case)
            summary = {"valid": True, "use_case": use_case.id, "use_case_digest": use_case.digest,
                       "policy": policy.summary()}
            message = f"{target}: valid use case `{use_case.id}` for {policy.name} {policy.version}"
        else:
            policy = load_policy(target)
            # the pack's own test files are part of the pack: the pre-commit hook must not pass a
            # pack whose tests `govern test` would refuse (only their outcomes are left to `test`)
            cases = load_pack_tests(policy, require=False)
            summary = {"valid": True, "policy": policy.summary(), "rules": len(policy.rules),
                       "constraints": len(policy.constraints),
                       "tiers": policy.tier_ids, "facts": len(policy.facts), "test_cases": len(cases),
                       "imported_rules": len(policy.imported_rules)}
            imported = f" ({len(policy.imported_rules)} imported)" if policy.imported_rules else ""
            message = (f"{target}: valid pack {policy.name} {policy.version} — {len(policy.rules)} rules{imported}, "
                       f"{len(policy.facts)} facts, tiers {' > '.join(policy.tier_ids)} ({policy.digest[:19]}…)")
    except GovernError as exc:
        if fmt == "json":
            emit_json({"valid": False, "errors": [d.to_dict() for d in exc.diagnostics]})
            raise SystemExit(2) from None
        raise
    if fmt == "json":
        emit_json(summary)
    else:
        click.echo(message)
