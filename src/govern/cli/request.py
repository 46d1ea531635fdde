"""`govern request` (ask for a sign-off) and `govern requests` (what is still waiting, and for whom)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import click

from govern.cli.common import format_option, parse_date, policy_option
from govern.cli.status import database_option, log_altered


@click.command()
@click.argument("use_case_path", metavar="USE_CASE.yaml", type=click.Path(path_type=Path))
@policy_option
@click.option("--gate", "-g", required=True, help="The gate (stage) to be signed off, e.g. production.")
@click.option("--role", "-r", required=True,
              help="The sign-off asked for: its role (e.g. validator), or its id when a gate has two of one role.")
@click.option("--person", metavar="PERSON_ID", default=None,
              help="Ask one person (an id in the pack's `people:` holding the role); default: anyone holding it.")
@click.option("--due", callback=parse_date, metavar="YYYY-MM-DD", default=None,
              help="When the sign-off is needed by; `govern requests` marks it overdue after that day.")
@click.option("--message", "-m", default=None, help="What the signer should know (shown in the notification).")
@format_option("text", "json")
@database_option
def request(use_case_path: Path, policy_path: Path, gate: str, role: str, person: str | None,
            due: _dt.date | None, message: str | None, fmt: str, database: str | None) -> None:
    """Ask for a sign-off: record a request in the audit store.

    \b
    The gate and role are checked against the plan of the use case's tier (as
    `govern sign` checks them), and a named person must be in the pack and hold the
    role; anything else is refused with exit 2 and nothing is recorded.

    \b
    The request is an audit event. It stays open until a sign-off answering it is
    recorded after it: same use case, gate and role, by the named person (or anyone
    holding the role), whose signature verifies against the pack. `govern requests`
    lists the open ones; `govern notify` tells the configured channels about new ones.

    \b
    Example:
      govern request uc.yaml -p policies/eu-ai-act --gate production --role validator \\
          --person victor --due 2026-07-01 -m "retrained on Q2 data"
    """
    from govern.cli.common import load
    from govern.cli.main import emit_json
    from govern.notify.requests import record_request, request_payload
    from govern.record.store import Store

    policy, use_case = load(policy_path, use_case_path)
    assert use_case is not None
    payload = request_payload(policy, use_case, gate=gate, role=role, person=person, due=due, message=message)
    with Store.open(database) as store:  # opened (or created) only for a request that will be recorded
        made = record_request(store, payload)
    if fmt == "json":
        emit_json(made.to_dict())
        return
    who = made.person or f"anyone holding {made.holds}"
    click.echo(f"request #{made.id}: {made.use_case} {made.gate} sign-off by {made.role} ({who})"
               + (f", due {made.due}" if made.due else ""))
    click.echo(f"  policy {made.policy['name']} {made.policy['version']}, tier {made.tier}; "
               "closed by a verified `govern sign` recorded after it")


@click.command()
@click.option("--policy", "-p", "policy_paths", multiple=True, type=click.Path(path_type=Path),
              help="Policy pack folder whose public keys verify the sign-offs that answer requests "
                   "(repeat for several packs). Without the request's pack, a request stays open, marked unverified.")
@click.option("--use-case", "use_case", metavar="ID", default=None, help="Only requests for this use case (its id).")
@click.option("--person", metavar="PERSON_ID", default=None,
              help="Only what this person may answer: requests naming them, or naming nobody for a role they hold.")
@click.option("--role", "-r", default=None, help="Only requests for this role (or sign-off id).")
@click.option("--all", "include_closed", is_flag=True, help="Also list answered requests, with who answered.")
@format_option("text", "json")
@click.option("--as-of", "as_of", callback=parse_date, metavar="YYYY-MM-DD",
              help="The day a request past its --due counts as overdue from (default: today, UTC).")
@database_option
def requests(policy_paths: tuple[Path, ...], use_case: str | None, person: str | None, role: str | None,
             include_closed: bool, fmt: str, as_of: _dt.date | None, database: str | None) -> None:
    """List open sign-off requests, oldest first (the approval queue).

    \b
    Whether a request is open is computed on every run, never stored: it is answered by
    the first sign-off recorded after it for the same use case, gate and role, by the
    named person (or anyone holding the role), whose signature verifies against the
    request's pack -- so give the pack(s) with -p. Sign-offs that would answer a request
    but do not count (an unverifiable signature, a signer without the role) are listed
    under it. Overdue means past --due as of --as-of (default: today).

    \b
    Examples:
      govern requests -p policies/eu-ai-act
      govern requests -p policies/eu-ai-act --person victor -f json
    """
    from govern.cli.main import emit_json
    from govern.load.pack import load_policy
    from govern.notify.requests import requests as find
    from govern.record.config import existing_store
    from govern.record.store import Store

    policies = [load_policy(p) for p in policy_paths]
    today = as_of or _dt.datetime.now(_dt.timezone.utc).date()
    found = []
    if existing_store(database) is not None:  # asking never creates an empty store
        with Store.open(database) as store, log_altered():
            found = find(store, policies, use_case=use_case, person=person, role=role, include_closed=include_closed)
    if fmt == "json":
        emit_json({"as_of": today.isoformat(), "requests": [r.to_dict(today) for r in found]})
        return
    if not found:
        click.echo("no open sign-off requests" if not include_closed else "no sign-off requests")
        return
    lines = []
    for r in found:
        who = r.person or f"anyone holding {r.holds}"
        state = "open" if r.open else f"answered by {r.answer.signer}: {r.answer.decision} (event #{r.answer.event})"
        due = "" if r.due is None else f", due {r.due}" + (" OVERDUE" if r.overdue(today) else "")
        lines.append(f"#{r.id}  {r.use_case}  {r.gate} sign-off by {r.role} ({who}){due}  [{state}]")
        lines.append(f"    requested {r.requested_at:%Y-%m-%d %H:%M} UTC under {r.policy['name']} "
                     f"{r.policy['version']} (tier {r.tier})" + (f": {r.message}" if r.message else ""))
        if r.unverified:
            lines.append(f"    unverified: {r.unverified} (pass it with -p)")
        for n in r.not_counted:
            lines.append(f"    event #{n['event']} by {n['signer']} does not count: {n['problem']}")
    still = sum(1 for r in found if r.open)
    lines.append(f"{still} open request{'s' if still != 1 else ''}"
                 + (f", {len(found) - still} answered" if include_closed else ""))
    click.echo("\n".join(lines))
