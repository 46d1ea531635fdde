"""`govern verify-registry`: every governed alias in the MLflow registry against the audit log (exit 1 on drift)."""

from __future__ import annotations

import click

from govern.cli.common import format_option, parse_date
from govern.cli.main import EXIT_POLICY
from govern.cli.status import database_option, log_altered


@click.command("verify-registry")
@click.option("--registered-model", "registered_model", metavar="NAME", help="Only this registered model.")
@click.option("--tracking-uri", "tracking_uri", metavar="URI",
              help="MLflow tracking server (default: MLFLOW_TRACKING_URI).")
@click.option("--alias", "aliases", multiple=True, metavar="ALIAS",
              help="Also treat ALIAS as governed (repeatable). By default governed aliases are the stages "
                   "govern has checked or promoted to.")
@click.option("--as-of", "as_of", callback=parse_date, metavar="YYYY-MM-DD",
              help="Judge expiry at another date (default: today, UTC): will the approvals behind today's aliases "
                   "still hold at the next audit?")
@click.option("--expect-policy-digest", "policy_digests", multiple=True, envvar="GOVERN_POLICY_DIGEST",
              metavar="sha256:…", help="Accept only aliases resting on decisions made under this pack (repeatable; "
              "env GOVERN_POLICY_DIGEST): a promoting job given a weaker copy of the pack is reported.")
@format_option("text", "json")
@database_option
def verify_registry(registered_model: str | None, tracking_uri: str | None, aliases: tuple[str, ...], as_of,
                    policy_digests: tuple[str, ...], fmt: str, database: str | None) -> None:
    """Is every governed registry alias backed by a valid decision for that exact model?

    \b
    For each model version holding a governed alias (a stage name such as `production`):
      - govern must have moved the alias to this version (a `registry` audit event,
        written by `govern check --mlflow … --promote STAGE`); otherwise the alias was
        moved outside govern;
      - the decision that event followed must allow the stage;
      - the version's model and evidence, pulled again now, must have the digests
        decided on (files replaced or metrics edited afterwards are found);
      - no approval or waiver it relied on may have expired;
      - with --expect-policy-digest, the decision was made under that pack.
    Everything is read from the hash-checked audit events, never from the version's tags.

    \b
    Exit codes: 0 every governed alias is backed, 1 any is not (each listed), 2 usage
    error (no store, unreachable server, unknown model).

    \b
    Examples:
      govern verify-registry --tracking-uri http://127.0.0.1:5000
      govern verify-registry --registered-model credit-risk-scorer -f json
    """
    from govern.errors import Diagnostic, InputError
    from govern.evidence.mlflow.connect import connect
    from govern.record.config import existing_store
    from govern.record.store import Store
    from govern.registry.verify import PROBLEMS, verify_registry as run

    if existing_store(database) is None:
        raise InputError(Diagnostic("store-missing", "no audit store: nothing govern decided can be compared "
                                    "with the registry", hint="pass --database / GOVERN_DATABASE_URL"))
    conn = connect(tracking_uri)
    with Store.open(database) as store, log_altered():
        findings = run(store, conn, registered_model=registered_model, aliases=aliases, today=as_of,
                       policy_digests=policy_digests)
    bad = [f for f in findings if f.status in PROBLEMS]
    if fmt == "json":
        from govern.cli.main import emit_json

        emit_json({"tracking_uri": conn.uri, "as_of": as_of.isoformat() if as_of else None, "ok": not bad,
                   "aliases": [f.to_dict() for f in findings]})
    else:
        for f in findings:
            mark = "✓" if f.status == "ok" else "✗"
            click.echo(f"{mark} {f.registered_model}@{f.alias} → version {f.version}: {f.status}: {f.message}")
        click.echo(f"{len(findings) - len(bad)} governed alias(es) backed by a valid decision, {len(bad)} not"
                   if findings else "no governed alias is set in the registry")
    if bad:
        raise SystemExit(EXIT_POLICY)
