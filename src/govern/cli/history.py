"""`govern history USE_CASE`: which model version was approved for which stage, when, by whom, under which policy."""

from __future__ import annotations

import click

from govern.cli.common import format_option
from govern.cli.status import _model, database_option, entry, log_altered


@click.command()
@click.argument("use_case_id", metavar="USE_CASE")
@format_option("text", "json")
@database_option
def history(use_case_id: str, fmt: str, database: str | None) -> None:
    """Every recorded decision of one use case (by id), oldest first, with its approvals.

    \b
    Each entry: its audit event number (as `govern audit verify` and `audit export`
    number events), when it was recorded, the evaluation id (for `govern report
    --evaluation`), the model version (name, version, digest), the policy version, the
    stage asked for and the answer, the furthest stage the model may enter, the
    evaluation date, and the sign-offs that counted, by gate: who, in which role, when.
    Signed registrations (with tier changes and who approved them), sign-offs and waivers
    held in the store are listed after the decisions.
    """
    from govern.cli.main import emit_json
    from govern.errors import Diagnostic, InputError
    from govern.record.store import Store
    from govern.record.views import history as load_history

    from govern.record.config import existing_store, no_store_error

    if existing_store(database) is None:
        raise no_store_error(database)
    with Store.open(database) as store, log_altered():
        data = load_history(store, use_case_id)
        known = [] if data is not None else sorted(store.latest_decisions())
    if data is None:
        from govern.errors import did_you_mean

        raise InputError(Diagnostic("unknown-use-case", f"no use case `{use_case_id}` in the store",
                                    hint=did_you_mean(use_case_id, known) or "see `govern status` for the inventory"))
    if fmt == "json":
        emit_json(data)
        return
    case = data["use_case"]
    lines = [f"{case['id']}: {case['name']}"]
    for e in data["evaluations"]:
        verdict = "allowed" if e["allowed"] else "blocked"
        lines.append(f"{_event(e)}  recorded {e['recorded_at'][:16].replace('T', ' ')} UTC  evaluation {e['id']}  "
                     f"model {_model(e['model'])}  policy {e['policy']['name']} {e['policy']['version']} "
                     f"({e['policy']['digest'][7:19]})")
        lines.append(f"    {e['target']}: {verdict}; {entry(e['furthest_stage'])}  [{e['tier']}]  as of {e['as_of']}")
        by_gate: dict[str, list[str]] = {}
        for a in e["approvals"]:
            word = "" if a["decision"] == "approve" else " (rejected)"
            by_gate.setdefault(a["gate"], []).append(f"{a['signer']} as {a['role']}{word}, signed {a['signed_at'][:10]}")
        for gate, who in by_gate.items():
            lines.append(f"    {gate} approved by " + "; ".join(who))
    if data["signed_records"]:
        lines.append("signed records in the store:")
        for r in data["signed_records"]:
            if r["kind"] == "signoff":
                lines.append(f"  {_event(r)}  signed {r['signed_at'][:10]}  sign-off {r['gate']}/{r['role']} by "
                             f"{r['signer']}: {r['decision']} (model {r['model_digest'][7:19]})")
            elif r["kind"] == "registration":
                change = (f"tier {r['previous_tier']} → {r['tier']}" if r["previous_tier"] not in (None, r["tier"])
                          else f"tier {r['tier']}")
                lines.append(f"  {_event(r)}  signed {r['signed_at'][:10]}  registration: {change}, approved by "
                             f"{r['signer']} ({r['role']}) (descriptor {r['descriptor_digest'][7:19]})")
            else:
                lines.append(f"  {_event(r)}  signed {r['signed_at'][:10]}  waiver {r['check']} by {r['approver']} "
                             f"({r['role']}) until {r['expires']}: {r['reason']}")
    click.echo("\n".join(lines))


def _event(row: dict) -> str:
    """Records are numbered by their audit event, as `audit verify` and `audit export` number them."""
    return f"event #{row['event']}" if row.get("event") is not None else "event ?"
