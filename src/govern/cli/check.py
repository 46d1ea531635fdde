"""`govern check`: the CI gate — may this model enter the target stage? Exit 0 yes, 1 no, 2 bad input."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import click

from govern.cli.common import load, parse_date, policy_option
from govern.cli.main import EXIT_POLICY
from govern.cli.status import database_option
from govern.record.config import existing_store
from govern.output import FORMATS

if TYPE_CHECKING:
    from govern.policy.pack import Policy


def _parse_outputs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, Path]]:
    out = []
    for value in values:
        fmt, sep, path = value.partition("=")
        if not sep or fmt not in FORMATS or not path:
            raise click.BadParameter(f"{value!r}: write FORMAT=PATH with FORMAT one of {', '.join(FORMATS)}")
        out.append((fmt, Path(path)))
    return out


@click.command()
@click.argument("use_case_path", metavar="USE_CASE.yaml", type=click.Path(path_type=Path))
@policy_option
@click.option("--evidence", "-e", "evidence", type=click.Path(path_type=Path),
              help="Evidence bundle folder (model card, metrics, test results, lineage, data, sign-offs).")
@click.option("--mlflow", "mlflow_uri", metavar="URI",
              help="Read the evidence from MLflow instead: models:/NAME/VERSION, models:/NAME@ALIAS or "
              "runs:/RUN_ID (docs/mlflow.md). The snapshot evaluated is what `govern evidence pull` writes.")
@click.option("--tracking-uri", "tracking_uri", metavar="URI",
              help="MLflow tracking server for --mlflow (default: MLFLOW_TRACKING_URI).")
@click.option("--champion-alias", "champion_alias", metavar="ALIAS",
              help="Registry alias of the champion the candidate is compared with (default: the run manifest's "
              "`mlflow.champion_alias`, else `champion`).")
@click.option("--promote", "promote", metavar="STAGE",
              help="With --mlflow models:/…: if the decision allows STAGE, set the registry alias STAGE on the "
              "version and tag it govern.*; if not, move nothing and tag govern.blocked_by. Recorded as an "
              "audit event. Implies --target STAGE.")
@click.option("--target", "-t", help="Stage the model wants to enter (default: the last stage of the plan).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Format written to standard output.")
@click.option("--output", "-o", "outputs", multiple=True, callback=_parse_outputs, metavar="FORMAT=PATH",
              help="Also write FORMAT to PATH (repeatable), e.g. -o junit=govern.xml -o sarif=govern.sarif")
@click.option("--explain", is_flag=True, help="For each blocking item: tier → rule → template → gate → check → "
              "measured value vs condition → evidence file.")
@click.option("--as-of", "as_of", callback=parse_date, metavar="YYYY-MM-DD",
              help="Replay the decision as of another date (expiry, date rules). A replay is never "
              "recorded and is labelled REPLAY everywhere: it needs --no-record or --no-store.")
@click.option("--no-record", "no_record", is_flag=True,
              help="Read-only: sign-offs and waivers held in the audit store still count, but the decision "
              "is not recorded (recorded by default).")
@click.option("--no-store", "no_store", is_flag=True,
              help="Ignore the audit store: only the bundle's record files count, nothing is recorded. "
              "The decision JSON says so (`record_sources`).")
@click.option("--expect-policy-digest", "expect_digest", envvar="GOVERN_POLICY_DIGEST", metavar="sha256:…",
              help="Fail closed (exit 2) unless the pack's digest is exactly this one: pin it in CI so a "
              "weaker copy of the pack cannot be passed with --policy. Env: GOVERN_POLICY_DIGEST.")
@database_option
@click.option("--attest", "attest_path", type=click.Path(path_type=Path), metavar="FILE.intoto.jsonl",
              help="Also write the decision as an in-toto attestation about the model artifact, in a DSSE envelope "
              "signed with --key (see `govern verify-attestation` and docs/attestations.md).")
@click.option("--key", "attest_key", metavar="NAME|PATH", help="Signing key for --attest: a person of the pack's.")
@click.option("--attest-subject", "attest_subjects", multiple=True, metavar="NAME@sha256:HEX",
              help="Also name this artifact as a subject of --attest, e.g. the image shipping the model (repeatable).")
def check(use_case_path: Path, policy_path: Path, evidence: Path | None, mlflow_uri: str | None,
          tracking_uri: str | None, champion_alias: str | None, promote: str | None, target: str | None, fmt: str,
          outputs: list[tuple[str, Path]], explain: bool, as_of, no_record: bool, no_store: bool,
          expect_digest: str | None, database: str | None, attest_path: Path | None, attest_key: str | None,
          attest_subjects: tuple[str, ...]) -> None:
    """Evaluate a use case's gate graph against an evidence bundle.

    \b
    Walks the gates in order. Check statuses: passed, failed, warned (a failed `warn`
    check), waived, error (evidence missing or malformed: never counts as passed).
    Gate statuses add pending (a sign-off is awaited) and blocked (an upstream gate
    has not passed). The decision carries a digest over policy, use case, evidence
    and every result: the same inputs give the same digest on any machine.

    \b
    Exit codes: 0 the target stage may be entered, 1 the policy blocks it,
    2 usage or input error (bad YAML, bad paths, invalid policy, store not writable).

    \b
    Sign-offs and waivers count from the bundle's signoffs/ and waivers/ files and from
    the audit store (.govern/govern.db, or --database / GOVERN_DATABASE_URL). The decision
    is recorded there in one transaction with its audit event. --no-record reads the
    store but writes nothing; --no-store neither reads nor writes it (the decision then
    names its sources as `bundle`, so a verdict without the store's approvals is never
    mistaken for one with them).

    \b
    With --mlflow the evidence is read from an MLflow tracking server (the model version,
    its run's metrics, params, artifacts, dataset inputs, child runs, the champion) into
    a temporary snapshot; --promote STAGE then writes the verdict back to the registry.

    \b
    Examples:
      govern check uc.yaml -p policies/eu-ai-act -e evidence/ --target production
      govern check uc.yaml -p policies/eu-ai-act --mlflow models:/credit-risk-scorer/2 \\
          --tracking-uri http://127.0.0.1:5000 --promote production
      govern check uc.yaml -p policies/eu-ai-act -e evidence/ -f sarif > govern.sarif
      govern check uc.yaml -p ... -e ... -o junit=reports/govern.xml -o markdown=summary.md
      govern check uc.yaml -p ... -e ... --attest decision.intoto.jsonl --key ci-gate
    """
    from govern.evaluate.pipeline import check as run
    from govern.output import render

    if as_of is not None and not (no_record or no_store):
        from govern.errors import Diagnostic
        from govern.evaluate.pipeline import UsageError

        raise UsageError(Diagnostic(
            "replay-recorded", f"--as-of {as_of} replays the decision at a chosen date; a replay is never recorded",
            hint="add --no-record (the store's sign-offs still count) or --no-store; enforcement runs at "
                 "today's date (UTC)"))
    target = _sources(evidence, mlflow_uri, promote, target, no_record or no_store)
    policy, use_case = load(policy_path, use_case_path)
    assert use_case is not None
    if expect_digest:
        pinned(policy, expect_digest)
    for _, path in outputs:  # an unwritable output is a usage error before anything is evaluated or recorded
        _writable(path)
    signer = None
    if attest_path is None and (attest_key or attest_subjects):
        raise click.UsageError("--key and --attest-subject only go with --attest FILE")
    if attest_path is not None:  # a replay is never attested; the key must be a person's of the pack
        from govern.cli.attestation import attester

        if as_of is not None:
            raise click.UsageError("--attest cannot attest a replay (--as-of)")
        _writable(attest_path)
        signer = attester(policy, attest_key, attest_path, attest_subjects)
    store = None
    if not no_store and not (no_record and existing_store(database) is None):
        # opened first: an unusable store is exit 2 before anything is evaluated or written;
        # read-only runs never create an empty store just to read nothing from it
        from govern.record.store import Store

        store = Store.open(database)
    promotion = None
    envelope = ""
    try:
        records = None
        if store is not None:
            from govern.record.sources import StoreRecords

            records = StoreRecords(store)
        with _evidence(evidence, mlflow_uri, tracking_uri, champion_alias) as (folder, pulled):
            decision = run(policy, use_case, folder, target=target, as_of=as_of, records=records)
            if signer is not None:
                from govern.cli.attestation import seal

                envelope = seal(decision, folder, signer)
        if store is not None and not no_record:
            evaluation_id = store.record_decision(decision, policy=policy)
            if promote is not None and pulled is not None:
                from govern.registry.promote import promote as write_back

                promotion = write_back(pulled, decision, evaluation_id, promote, store)
    finally:
        if store is not None:
            store.close()
    for out_fmt, path in outputs:
        text = render(decision, out_fmt, explain=explain)
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)  # never leave a half-written report behind
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise _unwritable(path, exc) from None
    if signer is not None and attest_path is not None:
        from govern.cli.attestation import write

        write(envelope, attest_path)
    color = fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in __import__("os").environ
    click.echo(render(decision, fmt, color=color, explain=explain), nl=False)
    if promotion is not None:  # stderr: stdout stays the decision in the format asked for
        for line in promotion.lines():
            click.echo(line, err=True)
    if not decision.allowed:
        raise SystemExit(EXIT_POLICY)


def _sources(evidence: Path | None, mlflow_uri: str | None, promote: str | None, target: str | None,
             read_only: bool) -> str | None:
    """Exactly one evidence source; --promote needs a registry version and a recorded decision. → the target."""
    from govern.errors import Diagnostic, Span
    from govern.evaluate.pipeline import UsageError

    if (evidence is None) == (mlflow_uri is None):
        raise UsageError(Diagnostic(
            "evidence-source", "give the evidence as a folder (--evidence DIR) or from MLflow (--mlflow URI), "
            "exactly one", hint="e.g. -e examples/credit-risk/evidence, or --mlflow models:/NAME/VERSION"))
    if mlflow_uri is not None:
        from govern.evidence.mlflow import parse_uri

        ref = parse_uri(mlflow_uri)  # a bad URI is a usage error before anything is loaded
        if promote is not None and not ref.registered:
            raise UsageError(Diagnostic("promote-needs-registry", f"--promote moves a registry alias; "
                                        f"{mlflow_uri} is a run", Span("--promote"),
                                        "name the registered version: --mlflow models:/NAME/VERSION"))
    if promote is None:
        return target
    if mlflow_uri is None:
        raise UsageError(Diagnostic("promote-needs-mlflow", "--promote writes to an MLflow registry: it needs "
                                    "--mlflow models:/NAME/VERSION", Span("--promote")))
    from govern.registry.promote import alias_problem

    problem = alias_problem(promote)
    if problem:
        raise UsageError(Diagnostic("promote-bad-alias", f"`{promote}` cannot be a registry alias: {problem}",
                                    Span("--promote")))
    if target is not None and target != promote:
        raise UsageError(Diagnostic("promote-target-mismatch", f"--promote {promote} with --target {target}: the "
                                    "alias may only follow a decision about that stage", Span("--promote"),
                                    "drop --target (--promote implies it)"))
    if read_only:
        raise UsageError(Diagnostic("promote-not-recorded", "--promote needs the decision recorded in the audit "
                                    "store (the alias move is an audit event)", Span("--promote"),
                                    "drop --no-record / --no-store"))
    return promote


@contextlib.contextmanager
def _evidence(evidence: Path | None, mlflow_uri: str | None, tracking_uri: str | None,
              champion_alias: str | None) -> Iterator[tuple[Path, Any]]:
    """(the evidence folder, the MLflow pull it came from or None); a pulled snapshot is removed afterwards."""
    if mlflow_uri is None:
        assert evidence is not None
        yield evidence, None
        return
    from govern.evidence.mlflow import pulled

    with pulled(mlflow_uri, tracking_uri=tracking_uri, champion_alias=champion_alias) as snapshot:
        yield snapshot.path, snapshot


def _unwritable(path: Path, exc: OSError):
    from govern.errors import Diagnostic, InputError, Span

    return InputError(Diagnostic("output-unwritable", f"cannot write {path}: {exc.strerror or exc}", Span(str(path))))


def _writable(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    if path.is_dir():
        from govern.errors import Diagnostic, InputError, Span

        raise InputError(Diagnostic("output-unwritable", f"{path} is a folder; give a file name", Span(str(path))))


def pinned(policy: "Policy", expected: str) -> None:
    """The pack must be exactly the pinned one: same name and version with another digest is another pack."""
    if policy.digest == expected.strip():
        return
    from govern.errors import Diagnostic, InputError, Span

    raise InputError(Diagnostic(
        "policy-digest-mismatch",
        f"policy {policy.name} {policy.version} at {policy.root} has digest {policy.digest}, "
        f"not the pinned {expected.strip()}",
        Span(str(policy.root)),
        "the pack differs from the reviewed one; check out the pinned pack, or update the pin through review "
        "(`govern validate PACK -f json` prints the digest)"))

