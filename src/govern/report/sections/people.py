"""Section 4, Responsibilities: people, roles and the RACI matrix of the stages.

People and role titles are also how sign-offs, waivers and open approvals name who acted or
who must, so the lookups live here and the other sections import them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govern.plan.graph import Plan
    from govern.policy.pack import Policy


def people_of(policy: "Policy | None") -> dict[str, dict[str, Any]]:
    """Person id → name, roles, e-mail and whether a public key is registered (empty without a policy)."""
    if policy is None:
        return {}
    return {p.id: {"id": p.id, "name": p.name or p.id, "roles": list(p.roles), "email": getattr(p, "email", None),
                   "has_key": bool(getattr(p, "public_key", None))} for p in policy.manifest.people}


def person_name(people: dict[str, dict[str, Any]], person: str | None) -> str:
    """``Name (id)`` when the policy knows the person, else the id as recorded."""
    if not person:
        return "—"
    found = people.get(person)
    return f"{found['name']} ({person})" if found and found["name"] != person else person


def role_holders(policy: "Policy | None", role: str) -> list[str]:
    return policy.holders(role) if policy is not None else []


def role_title(policy: "Policy | None", role: str | None) -> str:
    """The role's title from the policy, else its id made readable."""
    if not role:
        return "—"
    if policy is not None:
        spec = policy.manifest.roles.get(role)
        if spec is not None and getattr(spec, "title", None):
            return spec.title
    return role.replace("_", " ")


def build_raci(decision: dict[str, Any], policy: "Policy | None", plan: "Plan | None") -> dict[str, Any]:
    """Stages × roles with R/A/C/I, and who holds each role."""
    rows: list[tuple[str, str, dict[str, str]]] = []
    if plan is not None:
        rows = [(g, plan.gates[g].title, dict(plan.gates[g].raci)) for g in plan.order]
    elif policy is not None and decision.get("tier") in policy.templates:
        titles = {g["id"]: g["title"] for g in decision.get("gates", [])}
        rows = [(s.id, titles.get(s.id, s.title or s.id), {k: str(v) for k, v in s.raci.items()})
                for s in policy.templates[decision["tier"]].stages]
    if not rows:
        return {"available": False, "roles": [], "rows": [], "people": []}
    used = {r for _, _, raci in rows for r in raci}
    for g in decision.get("gates", []):
        used |= {s["role"] for s in g["signoffs"]}
    order = list(policy.manifest.roles) if policy is not None else []
    roles = [r for r in order if r in used] + sorted(used - set(order))
    people = people_of(policy)
    role_rows = []
    for r in roles:
        spec = policy.manifest.roles.get(r) if policy is not None else None
        holders = role_holders(policy, r)
        role_rows.append({"id": r, "title": role_title(policy, r), "description": getattr(spec, "description", None),
                          "level": getattr(spec, "level", None),
                          "holders": [people[p]["name"] for p in holders if p in people]})
    signoff_roles = {(g["id"], s["role"]) for g in decision.get("gates", []) for s in g["signoffs"]}
    table = [{"gate": gid, "title": title,
              "cells": [{"value": str(raci.get(r, "")), "signs": (gid, r) in signoff_roles} for r in roles]}
             for gid, title, raci in rows]
    return {"available": True, "roles": role_rows, "rows": table}
