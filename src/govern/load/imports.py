"""`imports:` in policy.yaml → the facts, definitions, rules, parameters and template items of other packs.

A pack reuses what another pack already says instead of repeating it: the recommender
example takes the EU AI Act's Art. 50(1) rule from ``policies/eu-ai-act`` rather than
restating it. The other pack is loaded (and so fully checked) by the same loader; from it
come the items the import names *and everything they read*: the definitions a rule uses
(transitively), the questionnaire facts and the parameters. A rule is only the same rule
with the same meaning of its words, so an imported name that the importing pack also
declares, or two imports that disagree on a name, is an error -- never a silent override.

What was imported is part of the importing pack's digest: every rule file, the facts file
and the manifest of the imported pack (and the template a fragment came from) are listed
under ``imports/<source>/<path>`` in ``Policy.files``, so a change there changes the digest
of every pack that imports it, and sign-offs bound to the old digest stop counting.
"""

from __future__ import annotations

import contextvars
import copy
import dataclasses
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.dsl import nodes as n
from govern.errors import Diagnostic, DiagnosticSink, GovernError, did_you_mean

if TYPE_CHECKING:
    from govern.load.safe_yaml import YamlDocument
    from govern.policy.model import FactDef, ImportSpec, Manifest
    from govern.policy.pack import Policy

#: Packs importing packs importing packs: deeper than this is a mistake, not a design.
MAX_DEPTH = 8
#: Which gate lists a template fragment may come from.
FRAGMENT_KINDS = ("checks", "documents", "signoffs")

_LOADING: contextvars.ContextVar[tuple[Path, ...]] = contextvars.ContextVar("govern_pack_imports", default=())


@dataclass
class Imported:
    """Everything the imports of one pack bring, with where each name was asked for."""

    facts: dict[str, "FactDef"] = field(default_factory=dict)
    definitions: dict[str, n.Expr] = field(default_factory=dict)
    rules: list[n.Rule] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    #: fragment name → (gate list it belongs in, the item as data)
    fragments: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    #: ``imports/<source>/<path>`` → sha256: what the digest covers
    files: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    #: rule id → the source it came from (``govern test`` reports their coverage apart)
    origin: dict[str, str] = field(default_factory=dict)
    #: (kind, name) → (loc in policy.yaml that asked for it, source, its value for comparison)
    asked: dict[tuple[str, str], tuple[tuple, str, Any]] = field(default_factory=dict)


def load_imports(manifest: "Manifest", doc: "YamlDocument", root: Path, sink: DiagnosticSink,
                 load_policy: "Callable[[Path], Policy]") -> Imported:
    """Resolve every entry of ``manifest.imports``; problems go to ``sink`` at the entry's position.

    ``load_policy`` is the pack loader itself (an imported pack is loaded like any other): it is
    passed in by :mod:`govern.load.pack` so that this module does not import its own caller.
    """
    found = Imported()
    stack = _LOADING.get()
    if len(stack) > MAX_DEPTH:
        sink.add(doc.diagnostic("import-depth", f"imports nest deeper than {MAX_DEPTH} packs", ("imports",)))
        return found
    for i, spec in enumerate(manifest.imports):
        where = ("imports", i)
        source = spec.pack if spec.pack is not None else f"package:{spec.package}"
        folder = _folder(spec, root, doc, where, sink)
        if folder is None:
            continue
        if folder in stack or folder == root:
            chain = " → ".join(p.name for p in (*stack, folder))
            sink.add(doc.diagnostic("import-cycle", f"import cycle: {chain}", where + (_key(spec),)))
            continue
        other = _load(load_policy, folder, doc, where, sink, stack + (root,))
        if other is not None:
            _take(other, spec, source, where, doc, sink, found)
    return found


def _key(spec: "ImportSpec") -> str:
    return "pack" if spec.pack is not None else "package"


def _folder(spec: "ImportSpec", root: Path, doc: "YamlDocument", where: tuple, sink: DiagnosticSink) -> Path | None:
    if spec.pack is not None:
        folder = (root / spec.pack).resolve()
    else:
        module, _, sub = str(spec.package).partition(":")
        # find the package's folder without running it: a policy names code, it does not execute it
        import importlib.util

        try:
            found = importlib.util.find_spec(module)
        except (ImportError, ValueError) as exc:
            found, problem = None, str(exc)
        else:
            problem = f"no installed package `{module}`"
        locations = list(found.submodule_search_locations or []) if found is not None else []
        if not locations:
            sink.add(doc.diagnostic("import-not-found", f"cannot import pack `{spec.package}`: {problem}",
                                    where + ("package",), "`package: module:folder`, a package installed here"))
            return None
        base = Path(locations[0]).resolve()
        folder = (base / sub).resolve()
        if not folder.is_relative_to(base):
            sink.add(doc.diagnostic("path-escape", f"`{sub}` leaves the package `{module}`", where + ("package",)))
            return None
    if not (folder / "policy.yaml").is_file() and not (folder / "policy.yml").is_file():
        sink.add(doc.diagnostic("import-not-found", f"no policy pack at `{spec.pack or spec.package}` "
                                f"({folder} has no policy.yaml)", where + (_key(spec),),
                                "`pack:` is relative to the folder of this policy.yaml"))
        return None
    return folder


def _load(load_policy: "Callable[[Path], Policy]", folder: Path, doc: "YamlDocument", where: tuple,
          sink: DiagnosticSink, stack: tuple[Path, ...]) -> "Policy | None":
    token = _LOADING.set(stack)
    try:
        return load_policy(folder)
    except GovernError as exc:
        sink.add(doc.diagnostic("import-invalid", f"the imported pack at {folder.name} does not load "
                                f"({len(exc.diagnostics)} problem(s)); first: {exc.diagnostics[0].render()}", where))
        return None
    finally:
        _LOADING.reset(token)


def _take(other: "Policy", spec: "ImportSpec", source: str, where: tuple, doc: "YamlDocument",
          sink: DiagnosticSink, found: Imported) -> None:
    """Copy what ``spec`` names from ``other``, with the closure of what it reads."""
    rules = {r.id: r.rule for r in other.rules}
    needs: list[tuple[n.Expr, tuple]] = []  # expressions to follow, and the loc that asked for them
    for j, rule_id in enumerate(spec.rules):
        loc = where + ("rules", j)
        rule = rules.get(rule_id)
        if rule is None:
            sink.add(doc.diagnostic("import-unknown", f"pack `{other.name}` has no rule `{rule_id}`", loc,
                                    did_you_mean(rule_id, rules)))
            continue
        if rule.undetermined is None:  # the rule keeps its own pack's default for missing answers
            rule = dataclasses.replace(rule, undetermined=other.manifest.on_undetermined)
        if _claim(found, "rule", rule_id, loc, source, doc, sink, same=True):
            found.rules.append(rule)
            found.origin[rule_id] = source
        needs += [(rule.when, loc)] + ([(rule.unless, loc)] if rule.unless is not None else [])
    for name, loc in _known(spec.definitions, "definitions", other.definitions, other, where, doc, sink):
        needs.append((n.Path((name,)), loc))
    for name, loc in _known(spec.facts, "facts", other.facts, other, where, doc, sink):
        _add_fact(found, other, name, loc, source, doc, sink)
    templates_read: set[str] = set()
    for name, ref in spec.fragments.items():
        loc = where + ("fragments", name)
        item = _fragment(other, ref, doc, loc, sink)
        if item is None:
            continue
        kind, data, conditions, tier = item
        templates_read.add(other.template_files[tier])
        if _claim(found, "fragment", name, loc, source, doc, sink, same=False):
            found.fragments[name] = (kind, data)
        needs += [(c.expr, loc) for c in conditions]
    _follow(other, needs, source, doc, sink, found)
    # the digest covers every file the imported items can depend on
    relevant = {other.manifest.facts_file, *templates_read}
    for path, sha in other.files.items():
        if path.endswith(".rules") or path in relevant or path in ("policy.yaml", "policy.yml") \
                or path.startswith("imports/"):
            found.files[f"imports/{source}/{path}"] = sha
    found.sources.update(other.sources)


def _known(names: list[str], key: str, available: "Collection[str]", other: "Policy", where: tuple,
           doc: "YamlDocument", sink: DiagnosticSink) -> "Iterator[tuple[str, tuple]]":
    """(name, loc) of each entry of ``imports[i].<key>`` that ``other`` has; the others are diagnosed."""
    for j, name in enumerate(names):
        loc = where + (key, j)
        if name in available:
            yield name, loc
        else:
            sink.add(doc.diagnostic("import-unknown", f"pack `{other.name}` has no {key[:-1]} `{name}`", loc,
                                    did_you_mean(name, available)))


def _follow(other: "Policy", needs: list[tuple[n.Expr, tuple]], source: str, doc: "YamlDocument",
            sink: DiagnosticSink, found: Imported) -> None:
    """Definitions (transitively), facts and parameters the imported expressions read."""
    seen: set[str] = set()
    while needs:
        expr, loc = needs.pop(0)  # in the order asked: a name is attributed to the first entry needing it
        for node in n.walk(expr):
            if not isinstance(node, n.Path):
                continue
            parts = node.parts
            if len(parts) == 1 and parts[0] in other.definitions:
                if parts[0] not in seen:
                    seen.add(parts[0])
                    if _claim(found, "definition", parts[0], loc, source, doc, sink, same=False,
                              value=other.definitions[parts[0]]):
                        found.definitions[parts[0]] = other.definitions[parts[0]]
                    needs.append((other.definitions[parts[0]], loc))
            elif len(parts) >= 2 and parts[0] == "use_case" and parts[1] in other.facts:
                _add_fact(found, other, parts[1], loc, source, doc, sink)
            elif len(parts) >= 2 and parts[0] == "params" and parts[1] in other.manifest.parameters:
                value = other.manifest.parameters[parts[1]]
                if _claim(found, "parameter", parts[1], loc, source, doc, sink, same=False, value=value):
                    found.parameters[parts[1]] = value


def _add_fact(found: Imported, other: "Policy", name: str, loc: tuple, source: str, doc: "YamlDocument",
              sink: DiagnosticSink) -> None:
    fact = other.facts[name]
    if _claim(found, "fact", name, loc, source, doc, sink, same=False, value=fact.model_dump()):
        found.facts[name] = fact


def _claim(found: Imported, kind: str, name: str, loc: tuple, source: str, doc: "YamlDocument",
           sink: DiagnosticSink, *, same: bool, value: Any = None) -> bool:
    """Record that ``source`` provides ``kind name``; two sources disagreeing on it is a clash."""
    key = (kind, name)
    first = found.asked.get(key)
    if first is None:
        found.asked[key] = (loc, source, value)
        return True
    if not same and (first[1] == source or first[2] == value):
        return False  # the same item reached twice, or two packs that agree exactly on it
    line = doc.span(first[0]).line
    sink.add(doc.diagnostic("import-clash", f"{kind} `{name}` comes from both `{first[1]}` (line {line}) and "
                            f"`{source}`", loc, "import it from one pack only"))
    return False


def _fragment(other: "Policy", ref: str, doc: "YamlDocument", loc: tuple, sink: DiagnosticSink
              ) -> tuple[str, dict[str, Any], list, str] | None:
    """``tier.stage.kind.id`` (e.g. ``limited.transparency.documents.ai_interaction_notice``) → the item."""
    parts = ref.split(".")
    if len(parts) != 4 or parts[2] not in FRAGMENT_KINDS:
        sink.add(doc.diagnostic("import-unknown", f"fragment `{ref}` is not `tier.stage.kind.id` with kind one of "
                                + ", ".join(FRAGMENT_KINDS), loc))
        return None
    tier, stage_id, kind, item_id = parts
    template = other.templates.get(tier)
    stage = next((s for s in template.stages if s.id == stage_id), None) if template else None
    items = [] if stage is None else getattr(stage.gate, kind)
    key = (lambda x: x.key) if kind == "signoffs" else (lambda x: x.id)
    item = next((x for x in items if key(x) == item_id), None)
    if item is None:
        sink.add(doc.diagnostic("import-unknown", f"pack `{other.name}` has no {kind[:-1]} `{ref}`", loc,
                                did_you_mean(item_id, [key(x) for x in items]) if items else None))
        return None
    ckind = {"checks": "check", "documents": "document", "signoffs": "signoff"}[kind]
    conditions = [c for k, c in other.conditions.items() if k[:4] == (tier, stage_id, ckind, item_id)]
    return kind, item.model_dump(exclude_defaults=True), conditions, tier


def merge(imported: Imported, *, facts: dict[str, "FactDef"], definitions: dict[str, n.Expr],
          rules: list[n.Rule], parameters: dict[str, Any], doc: "YamlDocument", sink: DiagnosticSink,
          local_files: dict[str, str]) -> None:
    """Add the imported names to the pack's own, refusing any name the pack also declares itself."""
    def clash(kind: str, name: str, where_local: str) -> None:
        loc, source, _ = imported.asked[(kind, name)]
        sink.add(Diagnostic("import-clash", f"{kind} `{name}` imported from `{source}` is also declared "
                            f"{where_local}", doc.span(loc), "remove one of them: an imported rule must read "
                            "the words it was written with", doc.source_line(doc.span(loc).line)))

    local_rules = {r.id for r in rules}
    for name, fact in imported.facts.items():
        if name in facts:
            clash("fact", name, "in this pack's facts")
        else:
            facts[name] = fact
    for name, expr in imported.definitions.items():
        if name in definitions:
            clash("definition", name, "in this pack's rules (`let`)")
        else:
            definitions[name] = expr
    for rule in imported.rules:
        if rule.id in local_rules:
            clash("rule", rule.id, "in this pack's rules")
        else:
            rules.append(rule)
    for name, value in imported.parameters.items():
        if name in parameters and parameters[name] != value:
            clash("parameter", name, f"in this pack's parameters with another value ({parameters[name]!r} vs "
                  f"{value!r})")
        else:
            parameters.setdefault(name, value)
    local_files.update(imported.files)


def splice_fragments(doc: "YamlDocument", fragments: dict[str, tuple[str, dict[str, Any]]],
                     sink: DiagnosticSink) -> None:
    """Replace each ``- use: NAME`` item of a template's gate lists by the imported item NAME.

    Done on the template's data before it is validated, so an imported item is checked like
    one written in place; its position is that of the ``use:`` line.
    """
    stages = doc.data.get("stages") if isinstance(doc.data, dict) else None
    for i, stage in enumerate(stages if isinstance(stages, list) else []):
        gate = stage.get("gate") if isinstance(stage, dict) else None
        for kind in FRAGMENT_KINDS if isinstance(gate, dict) else ():
            items = gate.get(kind)
            for k, item in enumerate(items if isinstance(items, list) else []):
                if not (isinstance(item, dict) and set(item) == {"use"}):
                    continue
                name = item["use"]
                found = fragments.get(name) if isinstance(name, str) else None
                loc = ("stages", i, "gate", kind, k, "use")
                if found is None:
                    sink.add(doc.diagnostic("import-unknown", f"`use: {name}` names no imported fragment", loc,
                                            did_you_mean(str(name), fragments) or
                                            "declare it under `imports: [{…, fragments: {NAME: tier.stage.kind.id}}]`"))
                elif found[0] != kind:
                    sink.add(doc.diagnostic("import-unknown", f"fragment `{name}` is one of the {found[0]}, "
                                            f"not of the {kind}", loc))
                else:
                    items[k] = copy.deepcopy(found[1])
