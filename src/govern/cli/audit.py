"""`govern audit verify|checkpoint|prove|check-proof|export`: the verifiable audit log from the command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from govern.cli.common import format_option
from govern.cli.main import EXIT_POLICY
from govern.cli.status import database_option

if TYPE_CHECKING:
    from govern.record.checkpoint import Checkpoint
    from govern.record.store import Store

checkpoint_option = click.option(
    "--checkpoint", "checkpoint_files", multiple=True, type=click.Path(path_type=Path), metavar="FILE",
    help="A checkpoint file you hold (from `govern audit checkpoint -o FILE`); repeat for several.")
witness_option = click.option(
    "--witness-key", "witness", metavar="KEY",
    help="Accept checkpoints signed by this key only: a fingerprint (SHA256:…), a public key (base64 or PEM) "
         "or a key file.")
output_option = click.option("--output", "-o", "output", type=click.Path(path_type=Path), metavar="FILE",
                             help="Write to FILE (atomically) instead of stdout.")


@click.group()
def audit() -> None:
    """The tamper-evident audit log of the store.

    \b
    Every evaluation, sign-off, waiver and policy registration appends an event whose
    hash covers every row it wrote and the event before it; the events are the leaves
    of an RFC 9162 Merkle tree. A checkpoint is the tree's size and root signed with a
    witness key the database never holds: whoever keeps one can later prove that the
    log only grew since (`verify --checkpoint`), or that one event is in it, offline
    (`prove`, then `check-proof`).

    \b
    Examples:
      govern audit checkpoint --key witness -o audit/checkpoint-2026-06.json
      govern audit verify --checkpoint audit/checkpoint-2026-06.json
      govern audit prove 42 --checkpoint audit/checkpoint-2026-06.json -o event-42.json
      govern audit check-proof event-42.json --checkpoint audit/checkpoint-2026-06.json
    """


def _open(database: str | None) -> "Store":
    from govern.record.config import existing_store, no_store_error
    from govern.record.store import Store

    if existing_store(database) is None:
        raise no_store_error(database)
    return Store.open(database)


def _write(output: Path, text: str) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)  # never leave a half-written file behind


def _checkpoints(files: tuple[Path, ...], witness: str | None) -> list["Checkpoint"]:
    """Checkpoint files, each signature checked: one that does not verify is bad input (exit 2), not a bad log."""
    from govern.errors import Diagnostic, InputError, Span
    from govern.record.checkpoint import load

    out = []
    for path in files:
        cp = load(path)
        problem = cp.problem(witness)
        if problem is not None:
            raise InputError(Diagnostic("checkpoint-untrusted", problem, Span(str(path)),
                                        "use the file as the witness wrote it, or check --witness-key"))
        out.append(cp)
    return out


def _witness(value: str | None) -> str | None:
    """--witness-key → the fingerprint checkpoints must carry."""
    if value is None or value.startswith("SHA256:"):
        return value
    from govern.errors import Diagnostic, InputError
    from govern.sign.keys import fingerprint, load_public_key_file, parse_public_key

    path = Path(value).expanduser()
    if path.is_file():
        return fingerprint(load_public_key_file(path))
    try:
        return fingerprint(parse_public_key(value))
    except ValueError as exc:
        raise InputError(Diagnostic("witness-key-invalid", f"--witness-key {value!r}: {exc}",
                                    hint="give a fingerprint (SHA256:…), a public key, or a key file")) from None


@audit.command()
@format_option("text", "json")
@checkpoint_option
@witness_option
@database_option
def verify(fmt: str, checkpoint_files: tuple[Path, ...], witness: str | None, database: str | None) -> None:
    """Check every event, row, tree node and checkpoint; name the first problem (exit 1).

    \b
    Recomputes each event's hash from its content and the rows it wrote, compares every
    stored row with what its event recorded (naming table, key and column), rebuilds the
    Merkle tree, and proves each stored checkpoint and each --checkpoint FILE consistent
    with the log as it is now: a log cut short, or rewritten with every hash recomputed,
    does not lead to a checkpoint's root. Exit 0 intact, 1 altered, 2 bad input.
    """
    from govern.cli.main import emit_json

    witness = _witness(witness)
    held = _checkpoints(checkpoint_files, witness)
    with _open(database) as store:
        report = store.verify_chain(held, witness=witness)
    if fmt == "json":
        emit_json(report.to_dict())
    elif report.ok:
        lines = [f"audit trail intact: {report.events} events, tree of {report.tree_size} leaves, "
                 f"root {report.root_hash}, head {report.head_hash}"]
        for c in report.checkpoints:
            what = "your checkpoint" if c["source"] == "held" else c["source"]
            lines.append(f"  {what} of {c['tree_size']} leaves ({c['time']}, {c['key_fingerprint']}): consistent")
        click.echo("\n".join(lines))
    else:
        where = ""
        if report.table is not None:
            where = f" ({report.table} {report.key}" + (f", column {report.column}" if report.column else "") + ")"
        click.echo(f"audit trail TAMPERED at event {report.first_bad_seq}{where}: {report.problem}\n"
                   f"({report.events} events verified before it)")
    if not report.ok:
        raise SystemExit(EXIT_POLICY)


@audit.command()
@click.option("--key", "key", metavar="WITNESS",
              help="The witness's private key: a name in the key folder or a path (default: GOVERN_WITNESS_KEY, "
                   "or witness_key in .govern/config.toml).")
@click.option("--latest", is_flag=True, help="Export the newest stored checkpoint instead of signing a new one.")
@output_option
@click.option("--git", "git_repo", type=click.Path(path_type=Path, file_okay=False), metavar="REPO",
              help="Also commit it into this git work tree (checkpoints/checkpoint-<size>-<root>.json).")
@click.option("--webhook", "webhook", metavar="URL", help="Also POST it (JSON) to this URL.")
@format_option("text", "json")
@database_option
def checkpoint(key: str | None, latest: bool, output: Path | None, git_repo: Path | None, webhook: str | None,
               fmt: str, database: str | None) -> None:
    """Sign the log's current size and root hash with a witness key; store it, and write it with -o.

    \b
    The witness key must not be one the database's users hold: it is what makes a
    rewrite of the log detectable even when every hash was recomputed. Keep the file
    (-o FILE), commit it to the auditor's git repository (--git REPO) or post it to
    the risk function's endpoint (--webhook URL); later, `govern audit verify
    --checkpoint FILE` proves the log only grew since. A failed delivery is exit 2:
    the checkpoint is stored, and `--latest` sends it again.
    """
    from govern.cli.main import emit_json
    from govern.errors import Diagnostic, InputError

    if latest and key:
        raise click.UsageError("--latest exports a stored checkpoint; --key signs a new one: give one of them")
    with _open(database) as store:
        if latest:
            cp = store.latest_checkpoint()
            if cp is None:
                raise InputError(Diagnostic("no-checkpoint", "the store holds no checkpoint yet",
                                            hint="sign one: govern audit checkpoint --key WITNESS"))
        else:
            from govern.sign.keys import load_private_key, resolve_key_path

            name = key or store.settings.witness_key
            if not name:
                raise click.UsageError("no witness key: pass --key WITNESS (or set GOVERN_WITNESS_KEY)")
            cp = store.checkpoint(load_private_key(resolve_key_path(name)))
    if output is not None:
        _write(output, cp.to_json())
    delivered = []
    if git_repo is not None:
        from govern.record.publish import to_git

        delivered.append(f"committed to {to_git(git_repo, cp)}")
    if webhook is not None:
        from govern.record.publish import to_webhook

        delivered.append(f"posted to {webhook} (HTTP {to_webhook(webhook, cp)})")
    if fmt == "json":
        emit_json(cp.to_dict())
        return
    click.echo(f"checkpoint: {cp.tree_size} leaves (events up to {cp.tree_size - 1}), root {cp.root_hash}\n"
               f"  signed {cp.time} by {cp.key_fingerprint}" + (f"\n  written to {output}" if output else "")
               + "".join(f"\n  {line}" for line in delivered))


@audit.command()
@click.argument("event_id", metavar="[EVENT_ID]", type=int, required=False)
@click.option("--evaluation", "evaluation_id", type=int, metavar="ID", help="Prove the event that recorded evaluation ID.")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(path_type=Path), metavar="FILE",
              help="Prove against this checkpoint's tree head (default: the newest stored checkpoint covering the "
                   "event, else the current, unsigned head).")
@output_option
@database_option
def prove(event_id: int | None, evaluation_id: int | None, checkpoint_file: Path | None, output: Path | None,
          database: str | None) -> None:
    """Print an inclusion proof (JSON) that one event is in the log, for `check-proof` to check offline.

    \b
    The proof carries the event exactly as stored (payload and rows), its leaf index, the
    RFC 9162 inclusion path and the signed checkpoint it leads to.
    """
    import json

    from govern.errors import Diagnostic, InputError

    if (event_id is None) == (evaluation_id is None):
        raise click.UsageError("give an EVENT_ID or --evaluation ID")
    cp = _checkpoints((checkpoint_file,), None)[0] if checkpoint_file else None
    with _open(database) as store:
        if evaluation_id is not None:
            event_id = store.event_of("evaluation", evaluation_id)
            if event_id is None:
                raise InputError(Diagnostic("unknown-evaluation", f"no evaluation #{evaluation_id} in the audit log",
                                            hint="see `govern history USE_CASE` for recorded evaluations"))
        assert event_id is not None
        if cp is None:
            cp = store.latest_checkpoint()
            if cp is not None and cp.tree_size <= event_id:
                cp = None
            if cp is None:
                click.echo(f"note: no stored checkpoint covers event {event_id} yet: the proof leads to the current, "
                           "unsigned head (take one with `govern audit checkpoint --key WITNESS`)", err=True)
        doc = store.prove(event_id, cp)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text)
        click.echo(f"wrote the inclusion proof of event {event_id} ({doc['tree_size']} leaves) to {output}")


@audit.command("check-proof")
@click.argument("proof_file", metavar="PROOF", type=click.Path(path_type=Path))
@click.option("--checkpoint", "checkpoint_file", type=click.Path(path_type=Path), metavar="FILE",
              help="The checkpoint you hold (default: the one embedded in the proof -- then pin --witness-key).")
@witness_option
@format_option("text", "json")
def check_proof(proof_file: Path, checkpoint_file: Path | None, witness: str | None, fmt: str) -> None:
    """Check an inclusion proof offline, against a checkpoint: no store, no network (exit 0 proven, 1 not).

    \b
    Recomputes the event's digests and hash from the content the proof carries, its
    Merkle leaf, the path up to the root, and compares the root with the one the
    witness signed.
    """
    from govern.cli.main import emit_json
    from govern.record.checkpoint import load, read_json_file
    from govern.record.proof import check
    from govern.errors import InputError

    witness = _witness(witness)
    cp = load(checkpoint_file) if checkpoint_file else None
    doc = read_json_file(proof_file, "proof")

    def fail(message: str, loc: tuple) -> InputError:
        return InputError(doc.diagnostic("proof-invalid", message, loc,
                                         "a proof is written by `govern audit prove EVENT_ID`"))

    result = check(doc.data, cp, witness=witness, fail=fail)
    if fmt == "json":
        emit_json(result.to_dict())
    else:
        click.echo(_describe(result))
    if not result.ok:
        raise SystemExit(EXIT_POLICY)


def _describe(result: Any) -> str:
    e = result.event
    head = f"event {e.get('seq')} ({e.get('kind')} of {e.get('subject')}, recorded {e.get('recorded_at')})"
    if not result.ok:
        return f"NOT PROVEN: {head}\n" + "\n".join(f"  - {p}" for p in result.problems)
    cp = result.checkpoint
    lines = [f"proven: {head} is leaf {e.get('seq')} of the log whose first {cp.tree_size} leaves the witness "
             f"{cp.key_fingerprint} signed at {cp.time}"]
    if result.checkpoint_source != "given":
        lines.append("  (the checkpoint came with the proof: trust it only if that is your witness's key)")
    return "\n".join(lines)


@audit.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True,
              help="Output format.")
@output_option
@database_option
def export(fmt: str, output: Path | None, database: str | None) -> None:
    """Every event, oldest first: seq, kind, subject, recorded_at, payload, rows, their digests, prev_hash, hash."""
    import json

    with _open(database) as store:
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
