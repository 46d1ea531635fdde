"""Policy pack folder → :class:`govern.policy.pack.Policy`, with every static check applied.

Stages, each collecting all diagnostics before giving up: read and validate the YAML
files; parse every ``*.rules`` file; check rules and template conditions against the
use-case schema; check cross-references (tiers, roles, check kinds, stage order); compile
predicates. A pack that loads is a pack that can classify and plan.
"""

from __future__ import annotations

import base64
import glob
import hashlib
from pathlib import Path
from typing import Any
from govern.canonical import digest as canonical_digest
from govern.policy.check_kinds import CHECK_KINDS, CHECK_PARAMS, REQUIRED_PARAMS
from govern.dsl import nodes as n
from govern.dsl.checker import Checker
from govern.dsl.compiler import Compiler
from govern.dsl.explain import Explainer, field_paths, rule_outcome
from govern.dsl.parser import DslError, parse_expression, parse_rules
from govern.errors import Diagnostic, DiagnosticSink, GovernError, PolicyError, Span, did_you_mean, line_at
from govern.load.safe_yaml import YamlDocument, load_yaml_file, read_text
from govern.load.validation import validate_document
from govern.policy.model import DEFAULT_MAX_WAIVER_DAYS, FactDef, FactsFile, Manifest, Template
from govern.policy.pack import (CompiledConstraint, CompiledRule, Condition, Policy, classification_schema,
                                condition_schema)

MANIFEST_NAMES = ("policy.yaml", "policy.yml")


class _PackReader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.sink = DiagnosticSink()
        self.sources: dict[str, str] = {}
        self.files: dict[str, str] = {}

    def display(self, path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def yaml(self, path: Path) -> YamlDocument | None:
        try:
            doc = load_yaml_file(path, display=self.display(path))
        except GovernError as exc:
            self.sink.extend(exc.diagnostics)
            return None
        self._record(path, doc.path, doc.text)
        return doc

    def text(self, path: Path) -> str | None:
        try:
            text = read_text(path, display=self.display(path))
        except GovernError as exc:
            self.sink.extend(exc.diagnostics)
            return None
        self._record(path, self.display(path), text)
        return text

    def _record(self, path: Path, shown: str, text: str) -> None:
        self.sources[shown] = text
        self.files[path.relative_to(self.root).as_posix()] = hashlib.sha256(text.encode("utf-8")).hexdigest()

    def source_line(self, span: Span) -> str | None:
        return line_at(self.sources.get(span.file), span.line)


def find_manifest(root: Path) -> Path | None:
    for name in MANIFEST_NAMES:
        if (root / name).is_file():
            return root / name
    return None


def load_policy(path: str | Path) -> Policy:
    """Load and statically check a pack; raises :class:`PolicyError` with every problem found."""
    root = Path(path)
    if root.is_file() and root.name in MANIFEST_NAMES:
        root = root.parent
    if not root.is_dir():
        raise PolicyError(Diagnostic("policy-not-found", f"policy pack folder not found: {path}", Span(str(path)),
                                     "a pack is a folder with a policy.yaml manifest"))
    manifest_path = find_manifest(root)
    if manifest_path is None:
        raise PolicyError(Diagnostic("policy-no-manifest", f"{path} has no policy.yaml manifest", Span(str(path)),
                                     "see policies/example/ for the layout of a pack"))
    reader = _PackReader(root.resolve())
    manifest_path = manifest_path.resolve()
    doc = reader.yaml(manifest_path)
    manifest: Manifest | None = None
    if doc is not None:
        manifest, problems = validate_document(doc, Manifest)
        reader.sink.extend(problems)
    if manifest is None:
        raise PolicyError(reader.sink.items)
    _check_manifest(manifest, doc, reader)
    imported = None
    if manifest.imports:
        from govern.load.imports import load_imports

        imported = load_imports(manifest, doc, reader.root, reader.sink, load_policy)
        reader.sources.update(imported.sources)
    facts = _load_facts(reader, manifest)
    rule_files = _load_rules(reader, manifest, optional=bool(imported and imported.rules))
    templates, template_docs = _load_templates(reader, manifest, doc, imported.fragments if imported else None)
    facts_ok = not any(d.span and d.span.file.endswith(manifest.facts_file) for d in reader.sink.items)

    # Keep going after structural errors so that one run reports every problem; only
    # skip the stages whose input failed (unknown-field errors against broken facts
    # would be noise).
    definitions = _collect_definitions(rule_files, reader)
    rules = [r for f in rule_files for r in f.rules]
    if imported is not None:
        from govern.load.imports import merge

        merge(imported, facts=facts, definitions=definitions, rules=rules, parameters=manifest.parameters,
              doc=doc, sink=reader.sink, local_files=reader.files)
    constraints = [c for f in rule_files for c in f.constraints]
    if facts_ok:
        _check_rules(rules, manifest, facts, definitions, reader, constraints)
    compiler = Compiler(definitions, constants={"params": manifest.parameters})
    locations: dict[tuple[str, ...], Span] = {}
    conditions = _check_templates(templates, template_docs, manifest, facts, definitions, compiler, reader,
                                  locations)
    if reader.sink:
        raise PolicyError(reader.sink.items)

    citations = {d.name: d.citation for f in rule_files for d in f.definitions if d.citation is not None}
    explainer = Explainer(compiler, definitions, citations)
    compiled = [_compile_rule(r, manifest, definitions, compiler, explainer, reader) for r in rules]
    compiled.sort(key=lambda c: c.severity)  # stable: file order within a tier
    policy = Policy(
        root=reader.root, manifest=manifest, facts=facts, rules=compiled, definitions=definitions,
        templates=templates, template_files=dict(manifest.templates), conditions=conditions,
        files=dict(sorted(reader.files.items())), locations=locations, sources=reader.sources,
        imported_rules=dict(imported.origin) if imported else {},
        constraints=[CompiledConstraint(c, explainer.compile(c.expr)) for c in constraints],
    )
    policy.digest = canonical_digest({"name": manifest.name, "version": manifest.version, "files": policy.files})
    return policy


# --- manifest and facts ------------------------------------------------------------

def _check_manifest(manifest: Manifest, doc: YamlDocument, reader: _PackReader) -> None:
    tiers = [t.id for t in manifest.tiers]
    seen: set[str] = set()
    for i, tier in enumerate(tiers):
        if tier in seen:
            reader.sink.add(doc.diagnostic("duplicate-tier", f"tier `{tier}` is declared twice", ("tiers", i)))
        seen.add(tier)
    if manifest.default_tier not in tiers:
        reader.sink.add(doc.diagnostic("unknown-tier", f"default_tier `{manifest.default_tier}` is not a declared tier",
                                       ("default_tier",), did_you_mean(manifest.default_tier, tiers)))
    for tier in manifest.inventory_limits:
        if tier not in tiers:
            reader.sink.add(doc.diagnostic("unknown-tier", f"inventory limits for unknown tier `{tier}`",
                                           ("inventory_limits", tier), did_you_mean(tier, tiers), key=True))
    for tier, file in manifest.templates.items():
        if tier not in tiers:
            reader.sink.add(doc.diagnostic("unknown-tier", f"template for unknown tier `{tier}`", ("templates", tier),
                                           did_you_mean(tier, tiers), key=True))
    for i, tier in enumerate(manifest.tiers):
        if tier.id not in manifest.templates and not tier.blocks_deployment:
            reader.sink.add(doc.diagnostic(
                "missing-template", f"tier `{tier.id}` has no governance template", ("tiers", i),
                "add `templates: {" + tier.id + ": templates/" + tier.id + ".yaml}` or mark the tier "
                "`blocks_deployment: true`"))
    waiver_days = manifest.parameters.get("max_waiver_days")
    if waiver_days is not None and (not isinstance(waiver_days, int) or isinstance(waiver_days, bool)
                                    or waiver_days < 1):
        reader.sink.add(doc.diagnostic("invalid-value", f"`max_waiver_days` is {waiver_days!r}; it needs a whole "
                                       "number of days, at least 1", ("parameters", "max_waiver_days"),
                                       f"the default is {DEFAULT_MAX_WAIVER_DAYS}"))
    for key, what in (("waiver_roles", "waiver"), ("registration_roles", "registration")):
        for i, role in enumerate(getattr(manifest, key)):
            if role not in manifest.roles:
                reader.sink.add(doc.diagnostic("unknown-role", f"{what} role `{role}` is not a declared role",
                                               (key, i), did_you_mean(role, manifest.roles)))
    people_ids: set[str] = set()
    key_holders: dict[bytes, tuple[str, int]] = {}  # raw key → first holder and their index
    for i, person in enumerate(manifest.people):
        if person.id in people_ids:
            reader.sink.add(doc.diagnostic("duplicate-person", f"person `{person.id}` is listed twice",
                                           ("people", i, "id")))
        people_ids.add(person.id)
        if person.public_key is not None:
            from govern.sign.keys import public_key_problem

            problem = public_key_problem(person.public_key)
            if problem is not None:
                reader.sink.add(doc.diagnostic("invalid-public-key", f"public_key of `{person.id}` is {problem}",
                                               ("people", i, "public_key"),
                                               "paste the base64 line `govern keys generate` prints"))
            # a key says who signed: two people sharing one key make every signature deniable
            first = None if problem else key_holders.setdefault(_raw_public_key(person.public_key), (person.id, i))
            if first is not None and first[0] != person.id:
                line = doc.span(("people", first[1], "public_key")).line
                reader.sink.add(doc.diagnostic(
                    "duplicate-public-key", f"`{person.id}` has the same public_key as `{first[0]}` (line {line})",
                    ("people", i, "public_key"),
                    "each person signs with their own key: run `govern keys generate` for them"))
        for j, role in enumerate(person.roles):
            if role not in manifest.roles:
                reader.sink.add(doc.diagnostic("unknown-role", f"person `{person.id}` holds unknown role `{role}`",
                                               ("people", i, "roles", j), did_you_mean(role, manifest.roles)))
    for role_id, role in manifest.roles.items():
        holders = [p.id for p in manifest.people if role_id in p.roles]
        if len(holders) < role.min_holders:
            reader.sink.add(doc.diagnostic(
                "role-unheld", f"role `{role_id}` needs at least {role.min_holders} named holder(s) in `people`, "
                f"has {len(holders)}" + (f" ({', '.join(holders)})" if holders else ""), ("roles", role_id),
                f"add a person with `roles: [{role_id}]`", key=True))


def _raw_public_key(text: str) -> bytes:
    """The 32 key bytes of a ``public_key`` that passed ``public_key_problem`` (base64 or PEM),
    so the same key is recognised in either spelling."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return base64.b64decode("".join(text.splitlines()[1:-1]))[-32:]  # after the SPKI prefix
    return base64.b64decode("".join(text.split()))


def _load_facts(reader: _PackReader, manifest: Manifest) -> dict[str, FactDef]:
    path = reader.root / manifest.facts_file
    if not path.is_file():
        reader.sink.add(Diagnostic("missing-facts", f"facts file not found: {reader.display(path)}",
                                   Span(reader.display(reader.root / 'policy.yaml')),
                                   "the questionnaire (facts.yaml) declares what the rules may read"))
        return {}
    doc = reader.yaml(path)
    if doc is None:
        return {}
    model, problems = validate_document(doc, FactsFile)
    reader.sink.extend(problems)
    if model is None:
        return {}
    for name, fact in model.facts.items():
        if fact.type in ("enum", "set") and not fact.values:
            reader.sink.add(doc.diagnostic("fact-values", f"fact `{name}` of type {fact.type} needs `values`",
                                           ("facts", name)))
        if fact.type not in ("enum", "set") and fact.values:
            reader.sink.add(doc.diagnostic("fact-values", f"fact `{name}` of type {fact.type} cannot have `values`",
                                           ("facts", name, "values")))
        for value in fact.value_help:
            if fact.values is None or value not in fact.values:
                reader.sink.add(doc.diagnostic("fact-values", f"`value_help` explains `{value}`, which is not an "
                                               f"allowed value of `{name}`", ("facts", name, "value_help", value),
                                               key=True))
    return dict(model.facts)


# --- rules ------------------------------------------------------------------------------

def _glob(root: Path, patterns: list[str]) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        for match in glob.glob(pattern, root_dir=root, recursive=True):
            candidate = (root / match).resolve()
            if candidate.is_file() and candidate.is_relative_to(root):
                found.add(candidate)
    return sorted(found)


def _load_rules(reader: _PackReader, manifest: Manifest, optional: bool = False) -> list[n.RuleFile]:
    files = []
    paths = _glob(reader.root, manifest.rules)
    if not paths and not optional:  # a pack whose rules are all imported has no rule file
        reader.sink.add(Diagnostic("no-rules", f"no rule files match {manifest.rules}",
                                   Span(reader.display(reader.root / "policy.yaml")),
                                   "classification rules live in rules/*.rules"))
    for path in paths:
        text = reader.text(path)
        if text is None:
            continue
        try:
            files.append(parse_rules(text, reader.display(path)))
        except DslError as exc:
            reader.sink.extend(exc.diagnostics)
    return files


def _collect_definitions(files: list[n.RuleFile], reader: _PackReader) -> dict[str, n.Expr]:
    definitions: dict[str, n.Expr] = {}
    first: dict[str, Span] = {}
    for rule_file in files:
        for definition in rule_file.definitions:
            if definition.name in definitions:
                reader.sink.add(Diagnostic("duplicate-definition", f"`{definition.name}` is already defined at "
                                           f"{first[definition.name]}", definition.span, None,
                                           reader.source_line(definition.span)))
                continue
            definitions[definition.name] = definition.expr
            first[definition.name] = definition.span
    return definitions


def _check_rules(rules: list[n.Rule], manifest: Manifest, facts: dict[str, FactDef],
                 definitions: dict[str, n.Expr], reader: _PackReader,
                 constraints: list[n.Constraint] = ()) -> None:
    tiers = [t.id for t in manifest.tiers]
    checker = Checker(classification_schema(facts, manifest.parameters), definitions, reader.source_line)
    seen: dict[str, Span] = {}
    for name, expr in definitions.items():
        checker.infer(expr)
    for rule in rules:
        if rule.id in seen:
            reader.sink.add(Diagnostic("duplicate-rule", f"rule id `{rule.id}` is already used at {seen[rule.id]}",
                                       rule.span, None, reader.source_line(rule.span)))
        seen.setdefault(rule.id, rule.span)
        if rule.tier not in tiers:
            reader.sink.add(Diagnostic("unknown-tier", f"unknown tier `{rule.tier}`", rule.tier_span,
                                       did_you_mean(rule.tier, tiers) or "tiers: " + ", ".join(tiers),
                                       reader.source_line(rule.tier_span)))
        checker.check_condition(rule.when, "`when`")
        if rule.unless is not None:
            checker.check_condition(rule.unless, "`unless`")
    constraint_ids: dict[str, Span] = {}
    for constraint in constraints:
        if constraint.id in constraint_ids:
            reader.sink.add(Diagnostic("duplicate-constraint", f"constraint id `{constraint.id}` is already used at "
                                       f"{constraint_ids[constraint.id]}", constraint.span, None,
                                       reader.source_line(constraint.span)))
        constraint_ids.setdefault(constraint.id, constraint.span)
        checker.check_condition(constraint.expr, "a constraint")
    reader.sink.extend(_dedupe(checker.diagnostics))


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen, out = set(), []
    for d in diagnostics:
        key = (d.code, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _compile_rule(rule: n.Rule, manifest: Manifest, definitions: dict[str, n.Expr], compiler: Compiler,
                  explainer: Explainer, reader: _PackReader) -> CompiledRule:
    reads = field_paths(rule.when, definitions) + (field_paths(rule.unless, definitions) if rule.unless else [])
    text = _span_text(reader, rule.span)
    explain_when = explainer.compile(rule.when)
    explain_unless = explainer.compile(rule.unless) if rule.unless is not None else None
    undetermined = rule.undetermined or manifest.on_undetermined
    return CompiledRule(
        rule=rule,
        when=compiler.compile(rule.when),
        unless=compiler.compile(rule.unless) if rule.unless is not None else None,
        explain_when=explain_when,
        explain_unless=explain_unless,
        explain=rule_outcome(explain_when, explain_unless, undetermined, rule.span),
        undetermined=undetermined,
        reads=tuple(dict.fromkeys(reads)),
        severity=[t.id for t in manifest.tiers].index(rule.tier),
        text=text,
    )


def _span_text(reader: _PackReader, span: Span) -> str:
    source = reader.sources.get(span.file, "")
    lines = source.splitlines()
    if not (0 < span.line <= len(lines)):
        return ""
    end_line = span.end_line or span.line
    chunk = lines[span.line - 1: end_line]
    if len(chunk) == 1:
        return chunk[0][span.column - 1: span.end_column - 1]
    chunk[0] = chunk[0][span.column - 1:]
    chunk[-1] = chunk[-1][: span.end_column - 1]
    return "\n".join(chunk)


# --- templates ---------------------------------------------------------------------------

def _load_templates(reader: _PackReader, manifest: Manifest, manifest_doc: YamlDocument,
                    fragments: dict[str, Any] | None) -> tuple[dict[str, Template], dict[str, YamlDocument]]:
    templates: dict[str, Template] = {}
    docs: dict[str, YamlDocument] = {}
    cache: dict[Path, tuple[Template | None, YamlDocument | None]] = {}
    for tier, relative in manifest.templates.items():
        path = (reader.root / relative).resolve()
        where = ("templates", tier)  # the entry naming the file: where the author fixes it
        if not path.is_relative_to(reader.root):
            reader.sink.add(manifest_doc.diagnostic("path-escape", f"template path `{relative}` leaves the pack folder",
                                                    where))
            continue
        if path not in cache:
            if not path.is_file():
                reader.sink.add(manifest_doc.diagnostic(
                    "missing-template", f"template file not found: {relative} (tier `{tier}`)", where,
                    "the path is relative to the pack folder"))
                cache[path] = (None, None)
                continue
            doc = reader.yaml(path)
            model = None
            if doc is not None and fragments is not None:  # a pack with `imports:` may `use:` fragments
                from govern.load.imports import splice_fragments

                splice_fragments(doc, fragments, reader.sink)
            if doc is not None:
                model, problems = validate_document(doc, Template)
                reader.sink.extend(problems)
            cache[path] = (model, doc)
        model, doc = cache[path]
        if model is not None and doc is not None:
            templates[tier] = model
            docs[tier] = doc
    return templates, docs


def _embedded(doc: YamlDocument, loc: tuple, text: str, reader: _PackReader) -> n.Expr | None:
    """Parse a condition written as a YAML string, placing errors at its real column."""
    line, column = doc.positions.get(loc, (1, 1))
    lines = doc.text.splitlines()
    first = lines[line - 1] if 0 < line <= len(lines) else ""
    indicator = first[column - 1: column] if column - 1 < len(first) else ""
    if indicator in ("'", '"'):
        column += 1
    elif indicator in ("|", ">"):
        line += 1
        following = lines[line - 1] if line <= len(lines) else ""
        column = len(following) - len(following.lstrip()) + 1
    try:
        return parse_expression(text, doc.path, line=line, column=column, source=doc.text)
    except DslError as exc:
        reader.sink.extend(exc.diagnostics)
        return None


def _check_templates(templates: dict[str, Template], docs: dict[str, YamlDocument], manifest: Manifest,
                     facts: dict[str, FactDef], definitions: dict[str, n.Expr], compiler: Compiler,
                     reader: _PackReader, locations: dict[tuple[str, ...], Span]) -> dict[tuple[str, ...], Condition]:
    conditions: dict[tuple[str, ...], Condition] = {}
    roles = set(manifest.roles)
    checker = Checker(condition_schema(facts, manifest.parameters), definitions, reader.source_line)
    applicability = Checker(classification_schema(facts, manifest.parameters), definitions, reader.source_line)
    done_docs: set[int] = set()
    for tier, template in templates.items():
        doc = docs[tier]
        first_visit = id(doc) not in done_docs
        done_docs.add(id(doc))
        stage_ids = [s.id for s in template.stages]
        for i, stage in enumerate(template.stages):
            base = ("stages", i)
            if first_visit and stage_ids.count(stage.id) > 1 and stage_ids.index(stage.id) != i:
                reader.sink.add(doc.diagnostic("duplicate-stage", f"stage `{stage.id}` is declared twice",
                                               base + ("id",)))
            for j, previous in enumerate(stage.after or []):
                if previous not in stage_ids and first_visit:
                    reader.sink.add(doc.diagnostic("unknown-stage", f"stage `{stage.id}` comes after unknown stage "
                                                   f"`{previous}`", base + ("after", j),
                                                   did_you_mean(previous, stage_ids)))
            for role in stage.raci:
                if role not in roles and first_visit:
                    reader.sink.add(doc.diagnostic("unknown-role", f"RACI names unknown role `{role}`",
                                                   base + ("raci", role), did_you_mean(role, roles), key=True))
            if first_visit and stage.raci and not any("A" in v for v in stage.raci.values()):
                reader.sink.add(doc.diagnostic("raci-no-accountable", f"stage `{stage.id}` has no accountable (A) role",
                                               base + ("raci",), "exactly one role should be accountable per stage"))
            gate = stage.gate
            check_ids: list[str] = []
            for k, check in enumerate(gate.checks):
                loc = base + ("gate", "checks", k)
                locations[(tier, stage.id, "check", check.id)] = doc.span(loc)
                if check.id in check_ids and first_visit:
                    reader.sink.add(doc.diagnostic("duplicate-check", f"check `{check.id}` appears twice at gate "
                                                   f"`{stage.id}`", loc + ("id",)))
                check_ids.append(check.id)
                if check.kind not in CHECK_KINDS and first_visit:
                    reader.sink.add(doc.diagnostic("unknown-check-kind", f"unknown check kind `{check.kind}`",
                                                   loc + ("kind",), did_you_mean(check.kind, CHECK_KINDS) or
                                                   "kinds: " + ", ".join(sorted(CHECK_KINDS))))
                allowed_params = CHECK_PARAMS.get(check.kind)
                if allowed_params is not None and first_visit:
                    for key in check.params:
                        if key not in allowed_params:
                            reader.sink.add(doc.diagnostic(
                                "unknown-check-param", f"`{check.kind}` checks take no parameter `{key}`",
                                loc + ("params", key), did_you_mean(key, allowed_params) or
                                ("allowed: " + ", ".join(allowed_params) if allowed_params else
                                 "this kind takes no parameters"), key=True))
                    _check_param_refs(doc, loc + ("params",), check.params, manifest, reader)
                for key in REQUIRED_PARAMS.get(check.kind, ()) if first_visit else ():
                    if check.params.get(key) in (None, ""):
                        reader.sink.add(doc.diagnostic("missing-check-param", f"`{check.kind}` check `{check.id}` "
                                                       f"needs `params.{key}`", loc))
                if check.kind == "metric" and check.condition is None and first_visit:
                    reader.sink.add(doc.diagnostic("missing-condition", f"metric check `{check.id}` needs a "
                                                   "`condition`", loc))
                for field_name, which in (("condition", checker), ("when", applicability)):
                    text = getattr(check, field_name)
                    if text is None:
                        continue
                    cond = _condition(doc, loc + (field_name,), text, which, compiler, reader, first_visit)
                    if cond is not None:
                        conditions[(tier, stage.id, "check", check.id, field_name)] = cond
            for k, signoff in enumerate(gate.signoffs):
                loc = base + ("gate", "signoffs", k)
                if first_visit and [s.key for s in gate.signoffs].count(signoff.key) > 1 and \
                        [s.key for s in gate.signoffs].index(signoff.key) != k:
                    reader.sink.add(doc.diagnostic(
                        "duplicate-signoff", f"gate `{stage.id}` requires sign-off `{signoff.key}` twice", loc,
                        "give each sign-off of the same role its own `id` (or raise `count`)"))
                locations[(tier, stage.id, "signoff", signoff.key)] = doc.span(loc)
                for role, where in [(signoff.role, loc + ("role",))] + [
                        (r, loc + ("distinct_from", m)) for m, r in enumerate(signoff.distinct_from)]:
                    if role not in roles and first_visit:
                        reader.sink.add(doc.diagnostic("unknown-role", f"sign-off names unknown role `{role}`", where,
                                                       did_you_mean(role, roles)))
                if signoff.valid_for and signoff.valid_for.startswith("params.") and first_visit:
                    _check_param_refs(doc, loc + ("valid_for",), signoff.valid_for, manifest, reader)
                    value = manifest.parameters.get(signoff.valid_for.removeprefix("params."))
                    if value is not None and not _is_duration(value):
                        reader.sink.add(doc.diagnostic(
                            "invalid-value", f"`{signoff.valid_for}` is {value!r}; `valid_for` needs a duration "
                            "such as `365d` or a number of days", loc + ("valid_for",)))
                if signoff.when is not None:
                    cond = _condition(doc, loc + ("when",), signoff.when, applicability, compiler, reader,
                                      first_visit)
                    if cond is not None:
                        conditions[(tier, stage.id, "signoff", signoff.key, "when")] = cond
            for k, document in enumerate(gate.documents):
                loc = base + ("gate", "documents", k)
                locations[(tier, stage.id, "document", document.id)] = doc.span(loc)
                if document.path is None and document.role is None and first_visit:
                    reader.sink.add(doc.diagnostic("document-target", f"document `{document.id}` needs a `path` or "
                                                   "a `role` to look for in the evidence", loc))
                if document.when is not None:
                    cond = _condition(doc, loc + ("when",), document.when, applicability, compiler, reader,
                                      first_visit)
                    if cond is not None:
                        conditions[(tier, stage.id, "document", document.id, "when")] = cond
        if first_visit:
            from govern.policy.stages import stage_order_problems

            closing = _cycle_closing_after(template)
            for message, i in stage_order_problems(template):
                loc: tuple = ("stages", i) if i is not None else ("stages",)
                hint = None
                if closing is not None and i is not None and template.stages[i].id in closing[1]:
                    loc, hint = closing[0], "a stage may only come after stages that do not depend on it"
                reader.sink.add(doc.diagnostic("stage-order", message, loc, hint))
    reader.sink.extend(_dedupe(checker.diagnostics + applicability.diagnostics))
    return conditions


def _cycle_closing_after(template: Template) -> tuple[tuple, set[str]] | None:
    """The `after:` entry that closes a cycle of stages, and the stages on that cycle.

    Implicit order (each stage after the previous one) only runs forwards, so every cycle goes
    back through an explicit `after` naming a stage written at or below its own that itself
    (transitively) comes after this one. That entry is the one to change -- a better place for
    the error than the top of some stage that is merely on the cycle.
    """
    from govern.policy.stages import stage_edges

    position: dict[str, int] = {}
    for i, stage in enumerate(template.stages):
        position.setdefault(stage.id, i)
    successors: dict[str, list[str]] = {}
    for before, following in stage_edges(template):
        successors.setdefault(before, []).append(following)
    for i, stage in enumerate(template.stages):
        for j, before in enumerate(stage.after or []):
            if position.get(before, -1) < i:
                continue  # a forward reference cannot close a cycle
            came_from: dict[str, str | None] = {stage.id: None}
            todo = [stage.id]
            while todo and before not in came_from:
                current = todo.pop()
                for nxt in successors.get(current, []):
                    if nxt not in came_from:
                        came_from[nxt] = current
                        todo.append(nxt)
            if before in came_from:  # stage →…→ before, and stage comes after before: a cycle
                cycle, node = set(), before
                while node is not None:
                    cycle.add(node)
                    node = came_from[node]
                return ("stages", i, "after", j), cycle
    return None


def _is_duration(value: Any) -> bool:
    from govern.policy.model import parse_duration

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value >= 0
    try:
        parse_duration(str(value))
    except ValueError:
        return False
    return True


def _check_param_refs(doc: YamlDocument, loc: tuple, value: Any, manifest: Manifest, reader: _PackReader) -> None:
    """`params.NAME` strings in check parameters must name a pack parameter (they are substituted)."""
    if isinstance(value, dict):
        for key, child in value.items():
            _check_param_refs(doc, loc + (key,), child, manifest, reader)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            _check_param_refs(doc, loc + (i,), child, manifest, reader)
    elif isinstance(value, str) and value.startswith("params."):
        name = value.removeprefix("params.")
        if name not in manifest.parameters:
            reader.sink.add(doc.diagnostic("unknown-parameter", f"`{value}` names no parameter of the pack", loc,
                                           did_you_mean(name, manifest.parameters)))


def _condition(doc: YamlDocument, loc: tuple, text: str, checker: Checker, compiler: Compiler,
               reader: _PackReader, report: bool) -> Condition | None:
    before = len(reader.sink.items)
    expr = _embedded(doc, loc, text, reader)
    if expr is None:
        if not report:
            del reader.sink.items[before:]
        return None
    if report:
        checker.check_condition(expr)
    return Condition(text=text, expr=expr, fn=compiler.compile(expr), span=doc.span(loc))

