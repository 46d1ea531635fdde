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
              help="For `use-case`: the pack whose questionnaire the descriptor answers.")
def schema(kind: str, policy_path: Path | None) -> None:
    """Print the JSON Schema of a file kind.

    \b
    policy    policy.yaml (pack manifest)      facts     facts.yaml (questionnaire)
    template  templates/*.yaml                 tests     tests/*.yaml (pack tests)
    evidence  an evidence bundle's manifest    use-case  a descriptor (needs --policy:
                                                         facts and allowed values come from the pack)

    \b
    For yaml-language-server, save it and point a modeline at it:
      govern schema use-case --policy policies/eu-ai-act > .schemas/use-case.json
      # yaml-language-server: $schema=../.schemas/use-case.json
    """
    from govern.policy import model

    if kind == "use-case":
        if policy_path is None:
            raise click.UsageError("`govern schema use-case` needs --policy POLICY_DIR (the facts come from the pack)")
        from govern.load.pack import load_policy

        emit_json(use_case_schema(load_policy(policy_path)))
        return
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
    properties: dict[str, Any] = {}
    for name, fact in sorted(policy.facts.items()):
        properties[name] = _fact_schema(fact)
    required = sorted(name for name, fact in policy.facts.items() if fact.required)
    base["properties"]["facts"] = {"type": "object", "additionalProperties": False, "properties": properties,
                                   **({"required": required} if required else {}),
                                   "description": f"Answers to the questionnaire of {policy.name} {policy.version}"}
    return _titled(base, f"govern use case for {policy.name} {policy.version}")


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
