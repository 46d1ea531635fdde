"""`govern notify`: send what the audit store says people need to know, once, to webhooks and email."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import click

from govern.cli.common import format_option, parse_date
from govern.cli.status import database_option, log_altered


@click.command()
@click.option("--config", "-c", "config_path", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Notification config (default: GOVERN_NOTIFY_CONFIG, then .govern/notify.yaml).")
@click.option("--within", "within", type=click.IntRange(min=0, max=3650), default=None, metavar="DAYS",
              help="Approvals and waivers expiring within DAYS days (default: the file's within_days, 30).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and record nothing.")
@click.option("--policy", "-p", "policy_paths", multiple=True, type=click.Path(path_type=Path),
              help="Pack(s) whose keys verify sign-offs answering requests (answered requests are not announced) "
                   "and whose people's emails `to_people` channels use.")
@click.option("--as-of", "as_of", callback=parse_date, metavar="YYYY-MM-DD",
              help="The day expiries are counted from (default: today, UTC).")
@format_option("text", "json")
@database_option
def notify(config_path: Path | None, within: int | None, dry_run: bool, policy_paths: tuple[Path, ...],
           as_of: _dt.date | None, fmt: str, database: str | None) -> None:
    """Send due notifications to the configured webhooks and email, each once.

    \b
    Run it from cron or a CI schedule. It reads the audit store and finds:
      request_opened     a sign-off request (`govern request`) still open
      decision_blocked   a use case whose latest decision blocks its target
      approval_expiring  an approval ending within --within days (or ended)
      waiver_expiring    a waiver ending within --within days (or ended)
      audit_failure      `govern audit verify` fails
    and sends each to every channel that wants it and has not had it: a delivery is
    recorded in the store as a `notification` event, so running twice sends nothing
    new. Failures are retried with exponential backoff (the file's `retry:`), then
    left for the next run.

    \b
    Secrets (SMTP password, webhook URL or token) come only from environment
    variables the file names; they are never printed.

    \b
    Exit codes: 0 everything due was delivered (or nothing was due), 1 some delivery
    failed after its retries (the next run tries again), 2 a bad config file (with
    file:line:col), an unset secret variable, or another usage error.

    \b
    Example (cron, every 15 minutes):
      */15 * * * * cd /srv/governance && govern notify --config notify.yaml
    Configuration reference: docs/notifications.md
    """
    from govern.cli.main import EXIT_POLICY, emit_json
    from govern.load.pack import load_policy
    from govern.notify.config import load_config, resolve_path
    from govern.notify.delivery import Outcome
    from govern.notify.run import notify as run
    from govern.record.config import existing_store
    from govern.record.store import Store

    from govern.errors import InputError

    config = load_config(resolve_path(config_path))
    if config.missing and not dry_run:  # before anything is read or sent
        raise InputError(list(config.missing))
    policies = [load_policy(p) for p in policy_paths]
    if existing_store(database) is None:  # asking never creates an empty store
        outcome = Outcome(warnings=["no audit store yet: nothing to notify about"])
    else:
        with Store.open(database) as store, log_altered():
            outcome = run(store, config, today=as_of, within_days=within, policies=policies, dry_run=dry_run)
    if fmt == "json":
        emit_json({"dry_run": dry_run, **outcome.to_dict()})
    else:
        for warning in outcome.warnings:
            click.echo(f"warning: {warning}", err=True)
        lines = []
        for notice, channel in outcome.planned:
            lines.append(f"would send  {notice.kind}  {notice.title}  -> {channel}")
        for a in outcome.attempted:
            tries = f"{a.attempts} attempt{'s' if a.attempts != 1 else ''}"
            word = "sent  " if a.ok else "FAILED"
            lines.append(f"{word}  {a.notice.kind}  {a.notice.title}  -> {a.channel} ({a.answer}; {tries})")
        held: dict[tuple[str, str], int] = {}
        for _, channel, why in outcome.deferred:
            held[(channel, why)] = held.get((channel, why), 0) + 1
        for (channel, why), count in held.items():
            lines.append(f"deferred  {count} notice(s) -> {channel}: {why}")
        sent = sum(1 for a in outcome.attempted if a.ok)
        lines.append(f"{len(outcome.due)} notice(s) due; " + (f"{len(outcome.planned)} would be sent (dry run)"
                     if dry_run else f"{sent} sent, {len(outcome.failed)} failed")
                     + (f", {len(outcome.deferred)} deferred" if outcome.deferred else "")
                     + f", {outcome.already} already sent")
        click.echo("\n".join(lines))
    if outcome.failed:
        raise SystemExit(EXIT_POLICY)
