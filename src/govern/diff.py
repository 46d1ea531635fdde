"""Two policy versions → what the change does: rules, facts, parameters, people, requirements, inventory.

Everything is compared by identity (rule id, fact name, parameter name, tier, stage id, check
id, sign-off role, document id), never by position, so reordering a file is not a change.
Rule conditions are compared in their printed canonical form (:mod:`govern.dsl.printer`), so
whitespace, comments and redundant parentheses are not changes either. With an inventory,
each use case is classified and planned under both packs on the same ``as_of`` date, and the
differences in tier and in required checks, sign-offs and documents are listed.
"""

from __future__ import annotations

import datetime as _dt
import glob as _glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from govern.errors import GovernError

if TYPE_CHECKING:
    from govern.policy.pack import Policy

Entries = dict[str, dict[str, Any]]


def compare(old: Entries, new: Entries) -> dict[str, list[dict[str, Any]]]:
    """Keyed entries → ``{added: [...], removed: [...], changed: [{id, changes: {field: {old, new}}}]}``."""
    out: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "changed": []}
    for key in sorted(set(new) - set(old)):
        out["added"].append({"id": key, **new[key]})
    for key in sorted(set(old) - set(new)):
        out["removed"].append({"id": key, **old[key]})
    for key in sorted(set(old) & set(new)):
        a, b = old[key], new[key]
        changes = {f: {"old": a.get(f), "new": b.get(f)} for f in sorted(set(a) | set(b)) if a.get(f) != b.get(f)}
        if changes:
            out["changed"].append({"id": key, "changes": changes})
    return {k: v for k, v in out.items() if v}


# -- what is compared ------------------------------------------------------------------------

def _rules(policy: "Policy") -> Entries:
    from govern.dsl.printer import rule_text, to_text

    return {r.id: {"tier": r.rule.tier, "when": to_text(r.rule.when),
                   "unless": to_text(r.rule.unless) if r.rule.unless is not None else None,
                   "citation": r.rule.citation, "undetermined": r.undetermined, "text": rule_text(r.rule)}
            for r in policy.rules}


def _definitions(policy: "Policy") -> Entries:
    from govern.dsl.printer import to_text

    return {name: {"expr": to_text(expr)} for name, expr in policy.definitions.items()}


def _facts(policy: "Policy") -> Entries:
    return {name: fact.model_dump(mode="json", exclude_none=True) for name, fact in policy.facts.items()}


def _parameters(policy: "Policy") -> Entries:
    from govern.canonical import _clean

    return {name: {"value": _clean(value)} for name, value in policy.manifest.parameters.items()}


def _tiers(policy: "Policy") -> Entries:
    m = policy.manifest
    return {t.id: {"rank": i, "blocks_deployment": t.blocks_deployment, "default": t.id == m.default_tier,
                   "template": m.templates.get(t.id)} for i, t in enumerate(m.tiers)}


def _key_id(text: str | None) -> str | None:
    if not text:
        return None
    try:
        from govern.sign.keys import fingerprint, parse_public_key

        return fingerprint(parse_public_key(text))
    except (ValueError, ImportError):
        return "unparseable: " + text[:16] + "…"


def _people(policy: "Policy") -> Entries:
    return {p.id: {"name": p.name, "roles": sorted(p.roles), "public_key": _key_id(p.public_key)}
            for p in policy.manifest.people}


def _roles(policy: "Policy") -> Entries:
    m = policy.manifest
    return {r: {**d.model_dump(mode="json", exclude_none=True), "grants_waivers": r in m.waiver_roles}
            for r, d in m.roles.items()}


def _signoff_key(spec: Any, seen: dict[str, int]) -> str:
    key = getattr(spec, "key", None) or spec.role  # the sign-off's id, which is its role unless given
    seen[key] = seen.get(key, 0) + 1
    return key if seen[key] == 1 else f"{key}#{seen[key]}"


def _requirements(policy: "Policy", tier: str) -> dict[str, dict[str, Any]]:
    """stage id → {after, raci, checks, signoffs, documents} of the tier's template."""
    template = policy.templates.get(tier)
    if template is None:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for i, stage in enumerate(template.stages):
        after = stage.after if stage.after is not None else ([template.stages[i - 1].id] if i else [])
        seen: dict[str, int] = {}
        out[stage.id] = {
            "stage": {"after": list(after), "raci": dict(sorted(stage.raci.items()))},
            "checks": {c.id: c.model_dump(mode="json", exclude_none=True, exclude={"id"}) for c in stage.gate.checks},
            "signoffs": {_signoff_key(s, seen): s.model_dump(mode="json", exclude_none=True)
                         for s in stage.gate.signoffs},
            "documents": {d.id: d.model_dump(mode="json", exclude_none=True, exclude={"id"})
                          for d in stage.gate.documents},
        }
    return out


def requirement_changes(old: "Policy", new: "Policy") -> dict[str, Any]:
    """tier → {stages: added/removed/changed, gates: {stage: {checks|signoffs|documents: changes}}}."""
    out: dict[str, Any] = {}
    for tier in [t for t in new.tier_ids if t in old.tier_ids]:
        a, b = _requirements(old, tier), _requirements(new, tier)
        stages = compare({s: v["stage"] for s, v in a.items()}, {s: v["stage"] for s, v in b.items()})
        gates: dict[str, Any] = {}
        for stage in [s for s in b if s in a]:
            per = {kind: compare(a[stage][kind], b[stage][kind]) for kind in ("checks", "signoffs", "documents")}
            per = {k: v for k, v in per.items() if v}
            if per:
                gates[stage] = per
        if stages or gates:
            out[tier] = {k: v for k, v in (("stages", stages), ("gates", gates)) if v}
    return out


# -- inventory ------------------------------------------------------------------------------

def expand_inventory(patterns: Iterable[str]) -> list[Path]:
    """Folders (their ``*.yaml``/``*.yml`` files), globs and plain paths → descriptor files, sorted, unique."""
    found: set[Path] = set()
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            found.update(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        elif any(ch in pattern for ch in "*?["):
            found.update(Path(p) for p in _glob.glob(pattern, recursive=True) if Path(p).is_file())
        else:
            found.add(path)
    return sorted(found)


def _requirement_set(policy: "Policy", path: Path, as_of: _dt.date) -> tuple[str, str, dict[str, Any]]:
    """A descriptor under one pack → (use case id, tier, {qualified requirement: its spec})."""
    from govern.classification import classify
    from govern.load.use_case import load_use_case
    from govern.plan.graph import compile_plan

    use_case = load_use_case(path, policy.facts)
    result = classify(policy, use_case, as_of)
    plan = compile_plan(policy, use_case, result)
    reqs: dict[str, Any] = {}
    for gate_id in plan.order:
        gate = plan.gates[gate_id]
        for kind, items in (("check", gate.checks), ("signoff", gate.signoffs), ("document", gate.documents)):
            for req in items:
                key = f"{gate_id}.{req.id}" if kind == "check" else f"{gate_id}.{kind}:{req.id}"
                reqs[key] = req.spec.model_dump(mode="json", exclude_none=True)
    return use_case.id, plan.tier, reqs


def inventory_changes(old: "Policy", new: "Policy", paths: list[Path], as_of: _dt.date) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        row: dict[str, Any] = {"path": path.as_posix()}
        sides: list[tuple[str, str, dict[str, Any]] | None] = []
        for label, policy in (("old", old), ("new", new)):
            try:
                sides.append(_requirement_set(policy, path, as_of))
            except GovernError as exc:
                row[f"{label}_error"] = exc.diagnostics[0].message if exc.diagnostics else str(exc)
                sides.append(None)
        a, b = sides
        row["use_case"] = (b or a)[0] if (a or b) else None  # type: ignore[index]
        row["old_tier"] = a[1] if a else None
        row["new_tier"] = b[1] if b else None
        if a and b:
            ra, rb = a[2], b[2]
            row["gained"] = sorted(set(rb) - set(ra))
            row["lost"] = sorted(set(ra) - set(rb))
            row["changed"] = [{"id": k, "changes": {f: {"old": ra[k].get(f), "new": rb[k].get(f)}
                                                    for f in sorted(set(ra[k]) | set(rb[k]))
                                                    if ra[k].get(f) != rb[k].get(f)}}
                              for k in sorted(set(ra) & set(rb)) if ra[k] != rb[k]]
        row["differs"] = bool(row["old_tier"] != row["new_tier"] or row.get("gained") or row.get("lost")
                              or row.get("changed") or ("old_error" in row) != ("new_error" in row)
                              or row.get("old_error") != row.get("new_error"))
        rows.append(row)
    return rows


# -- the whole diff -------------------------------------------------------------------------

@dataclass
class PolicyDiff:
    old: dict[str, str]
    new: dict[str, str]
    sections: dict[str, Any] = field(default_factory=dict)
    inventory: list[dict[str, Any]] | None = None
    as_of: _dt.date | None = None

    @property
    def differs(self) -> bool:
        return bool(self.sections) or any(r["differs"] for r in self.inventory or [])

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"old": self.old, "new": self.new, "differs": self.differs, **self.sections}
        if self.inventory is not None:
            data["inventory"] = {"as_of": self.as_of.isoformat() if self.as_of else None, "use_cases": self.inventory}
        return data


def diff_policies(old: "Policy", new: "Policy", inventory: list[Path] | None = None,
                  as_of: _dt.date | None = None) -> PolicyDiff:
    sections: dict[str, Any] = {}
    for name, fn in (("tiers", _tiers), ("rules", _rules), ("definitions", _definitions), ("facts", _facts),
                     ("parameters", _parameters), ("roles", _roles), ("people", _people)):
        changes = compare(fn(old), fn(new))
        if changes:
            sections[name] = changes
    m_old, m_new = old.manifest, new.manifest
    scalars = {k: {"old": getattr(m_old, k), "new": getattr(m_new, k)}
               for k in ("default_tier", "on_undetermined") if getattr(m_old, k) != getattr(m_new, k)}
    if scalars:
        sections["settings"] = scalars
    requirements = requirement_changes(old, new)
    if requirements:
        sections["requirements"] = requirements
    result = PolicyDiff(old.summary(), new.summary(), sections)
    if inventory is not None:
        result.as_of = as_of or _dt.date.today()
        result.inventory = inventory_changes(old, new, inventory, result.as_of)
    return result


# -- text -----------------------------------------------------------------------------------

def _v(value: Any) -> str:
    import json

    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _changes(changes: dict[str, dict[str, Any]], skip: tuple[str, ...] = ()) -> str:
    if list(changes) == ["value"]:
        return f"{_v(changes['value']['old'])} → {_v(changes['value']['new'])}"
    return "; ".join(f"{f}: {_v(c['old'])} → {_v(c['new'])}" for f, c in changes.items() if f not in skip)


def _section(lines: list[str], title: str, changes: dict[str, list[dict[str, Any]]], indent: str = "  ",
             describe=None, skip: tuple[str, ...] = ()) -> None:
    lines.append(f"{indent}{title}")
    for sign, key in (("+", "added"), ("-", "removed")):
        for item in changes.get(key, []):
            extra = describe(item) if describe else ""
            lines.append(f"{indent}  {sign} {item['id']}{(': ' + extra) if extra else ''}")
    for item in changes.get("changed", []):
        lines.append(f"{indent}  ~ {item['id']}: {_changes(item['changes'], skip)}")


def render_text(d: PolicyDiff) -> str:
    lines = [f"policy {d.old['name']} {d.old['version']} ({d.old['digest'][7:19]}) → "
             f"{d.new['name']} {d.new['version']} ({d.new['digest'][7:19]})"]
    s = d.sections
    if not s:
        lines.append("  no differences in rules, facts, parameters, people or requirements")
    if "settings" in s:
        lines.append("  settings")
        lines.extend(f"    ~ {k}: {_v(c['old'])} → {_v(c['new'])}" for k, c in s["settings"].items())
    if "tiers" in s:
        _section(lines, "tiers", s["tiers"])
    if "rules" in s:
        _section(lines, "rules", s["rules"], describe=lambda r: f"tier {r['tier']} when {r['when']}"
                 + (f" unless {r['unless']}" if r.get("unless") else "") + f' because "{r["citation"]}"',
                 skip=("text",))
    if "definitions" in s:
        _section(lines, "definitions (let)", s["definitions"], describe=lambda r: r["expr"])
    if "facts" in s:
        _section(lines, "facts", s["facts"], describe=lambda r: r.get("type", ""))
    if "parameters" in s:
        _section(lines, "parameters", s["parameters"], describe=lambda r: _v(r["value"]))
    if "roles" in s:
        _section(lines, "roles", s["roles"])
    if "people" in s:
        _section(lines, "people", s["people"], describe=lambda p: f"roles {_v(p['roles'])}"
                 + (f", key {p['public_key']}" if p.get("public_key") else ""))
    if "requirements" in s:
        lines.append("  requirements")
        for tier, t in s["requirements"].items():
            lines.append(f"    tier {tier}")
            if "stages" in t:
                _section(lines, "stages", t["stages"], indent="      ")
            for gate, kinds in t.get("gates", {}).items():
                lines.append(f"      gate {gate}")
                for kind, changes in kinds.items():
                    label = kind[:-1].replace("signoff", "sign-off")
                    for sign, key in (("+", "added"), ("-", "removed")):
                        for item in changes.get(key, []):
                            what = item.get("kind") or (f"count {item['count']}" if "count" in item else "")
                            lines.append(f"        {sign} {label} {item['id']}" + (f" [{what}]" if what else ""))
                    for item in changes.get("changed", []):
                        lines.append(f"        ~ {label} {item['id']}: {_changes(item['changes'])}")
    if d.inventory is not None:
        changed = [r for r in d.inventory if r["differs"]]
        lines.append(f"  inventory: {len(changed)} of {len(d.inventory)} use case(s) affected (as of {d.as_of})")
        for r in changed:
            name = r["use_case"] or r["path"]
            tier = (f"tier {r['old_tier']} → {r['new_tier']}" if r["old_tier"] != r["new_tier"]
                    else f"tier {r['new_tier']}")
            lines.append(f"    {name} ({r['path']}): {tier}")
            for key, sign in (("gained", "+"), ("lost", "-")):
                for item in r.get(key, []):
                    lines.append(f"      {sign} {item}")
            for item in r.get("changed", []):
                lines.append(f"      ~ {item['id']}: {_changes(item['changes'])}")
            for side in ("old", "new"):
                if f"{side}_error" in r:
                    lines.append(f"      ! invalid under the {side} policy: {r[f'{side}_error']}")
    return "\n".join(lines) + "\n"
