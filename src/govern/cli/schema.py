"""`govern schema`: JSON Schema for the files people write, for editors and CI linters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from govern.cli.main import emit_json

KINDS = ("policy", "facts", "template", "tests", "use-case", "evidence")


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--policy", "-p", "policy_path", type=click.Path(path_type=Path),
              help="For `use-case` (required), `template` and `tests`: the pack whose names the file uses.")
def schema(kind: str, policy_path: Path | None) -> None:
    """Print the JSON Schema of a file kind.

    \b
    policy    policy.yaml (pack manifest)      facts     facts.yaml (questionnaire)
    template  templates/*.yaml                 tests     tests/*.yaml (pack tests)
    evidence  an evidence bundle's manifest    use-case  a descriptor (needs --policy:
                                                         facts and allowed values come from the pack)

    \b
    With --policy, `template` and `tests` are that pack's: check kinds, roles, stage
    ids, tiers, rule ids, facts and `gate.check` names become enums, so an editor
    flags `kind: fairnes` or `role: validater` as you type. Without it they are generic.

    \b
    For yaml-language-server, save it and point a modeline at it:
      govern schema use-case --policy policies/eu-ai-act > .schemas/use-case.json
      # yaml-language-server: $schema=../.schemas/use-case.json
    """
    from govern.policy import model

    if policy_path is not None and kind in ("use-case", "template", "tests"):
        from govern.load.pack import load_policy

        build = {"use-case": use_case_schema, "template": template_schema, "tests": tests_schema}[kind]
        emit_json(build(load_policy(policy_path)))
        return
    if kind == "use-case":
        raise click.UsageError("`govern schema use-case` needs --policy POLICY_DIR (the facts come from the pack)")
    if policy_path is not None:
        raise click.UsageError(f"--policy does not apply to `govern schema {kind}`: the file's shape is the same "
                               "in every pack")
    if kind == "evidence":
        from govern.evidence.manifest import Manifest

        emit_json(_titled(Manifest.model_json_schema(), "govern evidence bundle manifest"))
        return
    target = {"policy": model.Manifest, "facts": model.FactsFile, "template": model.Template,
              "tests": model.PackTestFile}[kind]
    emit_json(_titled(target.model_json_schema(), f"govern {kind} file"))


def _titled(schema: dict[str, Any], title: str) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title,
            **{k: v for k, v in schema.items() if k != "title"}}


def use_case_schema(policy) -> dict[str, Any]:
    from govern.load.use_case import Descriptor

    base = Descriptor.model_json_schema()
    base["properties"]["facts"] = _facts_schema(policy)
    base["properties"]["evidence"]["propertyNames"] = {"enum": sorted(policy.facts)}
    return _titled(base, f"govern use case for {policy.name} {policy.version}")


def template_schema(policy) -> dict[str, Any]:
    """The template schema with the pack's names as enums (the loader's cross-reference checks, early)."""
    from govern.policy.check_kinds import CHECK_KINDS
    from govern.policy.model import Template

    base = Template.model_json_schema()
    defs = base["$defs"]
    roles = sorted(policy.manifest.roles)
    stages = sorted({stage.id for template in policy.templates.values() for stage in template.stages})
    defs["CheckSpec"]["properties"]["kind"]["enum"] = sorted(CHECK_KINDS)
    defs["SignoffSpec"]["properties"]["role"]["enum"] = roles
    _items(defs["SignoffSpec"]["properties"]["distinct_from"], roles)
    defs["StageSpec"]["properties"]["raci"]["propertyNames"] = {"enum": roles}
    _items(defs["StageSpec"]["properties"]["after"], stages)
    return _titled(base, f"govern template for {policy.name} {policy.version}")


def tests_schema(policy) -> dict[str, Any]:
    """The pack-test schema with the names `govern validate` accepts (the same lists) as enums."""
    from govern.packtest import expectation_names
    from govern.policy.model import PackTestFile

    base = PackTestFile.model_json_schema()
    defs = base["$defs"]
    names = expectation_names(policy)
    expect = defs["Expectation"]["properties"]
    expect["tier"]["enum"] = names["tier"]
    for key in ("fired", "undetermined", "violates", "gates", "checks", "signoffs", "documents"):
        _items(expect[key], names[key])
    defs["PackTestCase"]["properties"]["facts"] = _facts_schema(policy)
    return _titled(base, f"govern pack tests for {policy.name} {policy.version}")


def _items(prop: dict[str, Any], names: list[str]) -> None:
    """Constrain the items of a list property (optional ones are `anyOf: [array, null]`) to ``names``."""
    for option in prop.get("anyOf", [prop]):
        if option.get("type") == "array":
            option["items"] = {"type": "string", "enum": names}


def _facts_schema(policy) -> dict[str, Any]:
    properties = {name: _fact_schema(fact) for name, fact in sorted(policy.facts.items())}
    required = sorted(name for name, fact in policy.facts.items() if fact.required)
    return {"type": "object", "additionalProperties": False, "properties": properties,
            **({"required": required} if required else {}),
            "description": f"Answers to the questionnaire of {policy.name} {policy.version}"}


def _fact_schema(fact) -> dict[str, Any]:
    description = fact.question + (f"\n{fact.description}" if fact.description else "")
    nullable: list[dict[str, Any]] = [{"type": "null"}]
    if fact.type == "enum":
        body: dict[str, Any] = {"enum": list(fact.values or [])}
    elif fact.type == "set":
        body = {"type": "array", "items": {"enum": list(fact.values or [])}, "uniqueItems": True}
    elif fact.type == "bool":
        body = {"type": "boolean"}
    elif fact.type in ("number", "integer"):
        body = {"type": fact.type}
        if fact.minimum is not None:
            body["minimum"] = fact.minimum
        if fact.maximum is not None:
            body["maximum"] = fact.maximum
    elif fact.type == "date":
        body = {"type": "string", "format": "date"}
    else:
        body = {"type": "string"}
    return {"description": description, "anyOf": [body] + nullable}
