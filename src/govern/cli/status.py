"""`govern status`: the model inventory from the audit store — tiers, stages, pending and expiring approvals."""

from __future__ import annotations

import datetime as _dt
from contextlib import contextmanager
from typing import Any, Iterator

import click

from govern.cli.common import as_of_option, format_option
from govern.cli.main import EXIT_POLICY

database_option = click.option("--database", "database", metavar="URL", envvar="GOVERN_DATABASE_URL",
                               help="Store URL (default: GOVERN_DATABASE_URL, .govern/config.toml, "
                                    "then sqlite .govern/govern.db).")


def entry(furthest_stage: str | None) -> str:
    """The furthest stage a decision lets the model enter, said plainly when there is none."""
    return f"may enter {furthest_stage}" if furthest_stage else "no stage allowed"


@contextmanager
def log_altered() -> Iterator[None]:
    """A view refuses to show an event that fails its own hashes: say so, exit 1 (as `audit verify` would)."""
    from govern.record.chain import LogAltered

    try:
        yield
    except LogAltered as exc:
        click.echo(f"govern: the audit log was altered: {exc}\n"
                   "nothing is shown from it; run `govern audit verify` to locate every change", err=True)
        raise SystemExit(EXIT_POLICY) from None


def checkpoint_freshness(store: Any, now: _dt.datetime | None = None) -> dict[str, Any]:
    """The newest checkpoint, how many events it does not cover yet, and a warning if it is older than max_age."""
    cp = store.latest_checkpoint()
    max_age = store.settings.max_age
    size = store.head().size
    info: dict[str, Any] = {"latest": None if cp is None else cp.to_dict(), "uncovered_events": size - 1 - (
        cp.tree_size - 1 if cp else 0), "max_age": None if max_age is None else f"{max_age.total_seconds() / 86400:g}d",
                            "warning": None}
    now = now or _dt.datetime.now(_dt.timezone.utc)
    if max_age is not None and cp is None:
        info["warning"] = ("no checkpoint yet: nothing outside the database vouches for the audit log "
                           "(govern audit checkpoint --key WITNESS)")
    elif max_age is not None and cp is not None and now - cp.moment > max_age:
        days = (now - cp.moment).total_seconds() / 86400
        info["warning"] = (f"the newest checkpoint is {days:.0f} days old (max_age {info['max_age']}) and leaves "
                           f"{info['uncovered_events']} event(s) uncovered: take one (govern audit checkpoint)")
    return info


def _model(m: dict) -> str:
    name = " ".join(str(v) for v in (m.get("name"), m.get("version")) if v) or "model"
    return f"{name} ({m['digest'].split(':', 1)[-1][:12]})"


@click.command()
@format_option("text", "json")
@click.option("--expiring-within", "days", type=click.IntRange(min=0), default=30, show_default=True,
              metavar="DAYS", help="List approvals and waivers that expire within DAYS days.")
@click.option("--policy", "packs", multiple=True, metavar="PACK", type=click.Path(exists=True),
              help="Check the aggregate model risk against this pack's `inventory_limits` (repeatable): "
                   "exit 1 when a tier is over its limit.")
@as_of_option
@database_option
def status(fmt: str, days: int, packs: tuple[str, ...], as_of: _dt.date | None, database: str | None) -> None:
    """The model inventory: every use case recorded by `govern check`.

    \b
    For each use case, from its latest recorded decision: tier, current model version,
    the furthest stage it may enter (the last of the gates that pass in order), the
    sign-offs still pending, and approvals (per the policy's valid_for) and waivers that
    expire within --expiring-within days of --as-of (default: today).

    \b
    Then the aggregate model risk per pack and tier: models, blocked, models past their
    review date (an approval whose valid_for ran out) and waivers in force. With
    --policy PACK, each tier is held to the pack's `inventory_limits` and a tier over
    its limit exits 1:
        govern status --policy policies/bank-mrm
    """
    from govern.cli.main import emit_json
    from govern.record.store import Store
    from govern.record.views import aggregate, inventory

    from govern.record.config import existing_store

    today = as_of or _dt.date.today()
    items, freshness = [], None
    if existing_store(database) is not None:  # asking never creates an empty store
        with Store.open(database) as store, log_altered():
            items = inventory(store, today=today, expiring_within=days)
            freshness = checkpoint_freshness(store) if items else None
    risks = aggregate(items, _limits(packs))
    over = [r for r in risks if r.breaches]
    if fmt == "json":
        from govern.output.documents import status_document

        emit_json(status_document(items, today=today, days=days, checkpoint=freshness, aggregate=risks))
        if over:
            raise SystemExit(EXIT_POLICY)
        return
    if not items:
        click.echo("no decisions recorded yet: run `govern check` (it records by default)")
        return
    if freshness and freshness["warning"]:
        click.echo(f"warning: {freshness['warning']}", err=True)
    lines = []
    for i in items:
        verdict = "allowed" if i.allowed else "blocked"
        lines.append(f"{i.use_case_id}  [{i.tier}]  {i.name}")
        lines.append(f"    model {_model(i.model)}  policy {i.policy['name']} {i.policy['version']}")
        lines.append(f"    {entry(i.furthest_stage)}   last check: {i.target} {verdict}, "
                     f"recorded {i.recorded_at:%Y-%m-%d %H:%M} UTC")
        for p in i.pending:
            lines.append(f"    {p['status']}: {p['gate']} sign-off by {p['role']} ({p['approved']}/{p['required']})")
        for a in i.expiring_approvals:
            word = "expired" if a["expired"] else "expires"
            lines.append(f"    approval {word} {a['expires']}: {a['gate']} {a['role']} {a['signer']}")
        for w in i.expiring_waivers:
            word = "expired" if w["expired"] else "expires"
            lines.append(f"    waiver {word} {w['expires']}: {w['check']} (approved by {w['approver']})")
    pending = sum(1 for i in items if i.pending)
    approvals = sum(len(i.expiring_approvals) for i in items)
    waivers = sum(len(i.expiring_waivers) for i in items)
    lines.append("aggregate model risk:")
    for r in risks:
        lines.append(f"  {r.policy} {r.tier}: {r.models} model(s), {r.blocked} blocked, {r.past_review} past review "
                     f"date, {r.open_waivers} open waiver(s)" + (f"  OVER LIMIT: {'; '.join(r.breaches)}"
                                                                  if r.breaches else ""))
    lines.append(f"{len(items)} use case{'s' if len(items) != 1 else ''}; {pending} awaiting sign-offs; "
                 f"{approvals} approval(s) and {waivers} waiver(s) expiring within {days} days of {today}")
    click.echo("\n".join(lines))
    if over:
        raise SystemExit(EXIT_POLICY)


def _limits(packs: tuple[str, ...]) -> dict[str, dict[str, dict[str, int | None]]]:
    """pack name → tier → limits, from each pack's `inventory_limits` (the pack is loaded and checked)."""
    from govern.load.pack import load_policy

    limits = {}
    for pack in packs:
        manifest = load_policy(pack).manifest
        limits[manifest.name] = {tier: limit.model_dump() for tier, limit in manifest.inventory_limits.items()}
    return limits
