"""`govern audit verify|export`: check the hash-chained audit trail, or export it as JSON lines."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.common import format_option
from govern.cli.main import EXIT_POLICY
from govern.cli.status import database_option


@click.group()
def audit() -> None:
    """The tamper-evident audit trail of the store.

    \b
    Every evaluation, sign-off, waiver and policy registration appends an event whose
    hash covers the previous event's hash. `verify` recomputes the chain (exit 0 intact,
    1 altered); `export` writes every event as one JSON object per line.
    """


@audit.command()
@format_option("text", "json")
@database_option
def verify(fmt: str, database: str | None) -> None:
    """Recompute the chain; name the first event altered, removed or reordered (exit 1)."""
    from govern.cli.main import emit_json
    from govern.record.config import existing_store, no_store_error
    from govern.record.store import Store

    if existing_store(database) is None:
        raise no_store_error(database)
    with Store.open(database) as store:
        report = store.verify_chain()
    if fmt == "json":
        emit_json(report.to_dict())
    elif report.ok:
        click.echo(f"audit trail intact: {report.events} events, head {report.head_hash}")
    else:
        click.echo(f"audit trail TAMPERED at event {report.first_bad_seq}: {report.problem}\n"
                   f"({report.events} events verified before it)")
    if not report.ok:
        raise SystemExit(EXIT_POLICY)


@audit.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True,
              help="Output format.")
@click.option("--output", "-o", "output", type=click.Path(path_type=Path), help="Write to FILE (default: stdout).")
@database_option
def export(fmt: str, output: Path | None, database: str | None) -> None:
    """Every event, oldest first: seq, kind, subject, recorded_at, payload, payload_digest, prev_hash, hash."""
    import json

    from govern.record.config import existing_store, no_store_error
    from govern.record.store import Store

    if existing_store(database) is None:
        raise no_store_error(database)
    with Store.open(database) as store:
        lines = (json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in store.export_events())
        if output is None:
            for line in lines:
                click.echo(line, nl=False)
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.writelines(lines)
        tmp.replace(output)  # never leave a half-written export behind
