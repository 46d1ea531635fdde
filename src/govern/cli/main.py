"""Entry point: a click group whose subcommands are imported lazily, and the exit-code policy.

Exit codes follow conftest/OPA: 0 ok, 1 the policy says no (a check failed, a pack test
failed), 2 usage or input error (bad YAML, unknown flag, invalid pack). A user mistake is
printed as diagnostics, never as a traceback; set GOVERN_DEBUG=1 to see one for bugs.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from govern import __version__

EXIT_OK, EXIT_POLICY, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

#: verb → (module, attribute, one-line help). Help text lives here so `govern --help`
#: lists every verb without importing any of them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": ("govern.cli.validate", "validate", "Check a policy pack (or a use-case descriptor) for errors."),
    "classify": ("govern.cli.classify", "classify", "Classify a use case into a risk tier and say why."),
    "plan": ("govern.cli.plan", "plan", "Show the gate graph a use case must pass."),
    "test": ("govern.cli.packtest", "test", "Run a policy pack's test cases and report rule coverage."),
    "check": ("govern.cli.check", "check", "Evaluate the gates against evidence: the CI gate (exit 0/1/2)."),
    "explain": ("govern.cli.explain", "explain", "Explain, check by check, what blocks a stage and why."),
    "keys": ("govern.cli.keys", "keys", "Generate and inspect Ed25519 signing keys."),
    "register": ("govern.cli.register", "register", "Approve a use case's intake: its answers and tier under a pack."),
    "sign": ("govern.cli.sign", "sign", "Sign off a gate for the current model and evidence."),
    "waive": ("govern.cli.waive", "waive", "Grant a signed, expiring exception for a failed check."),
    "request": ("govern.cli.request", "request", "Ask a role or a person for a sign-off (recorded in the audit store)."),
    "requests": ("govern.cli.request", "requests", "The open sign-off requests: who must sign what, oldest first."),
    "notify": ("govern.cli.notify", "notify", "Send due notifications (requests, blocks, expiries) to webhooks and email."),
    "status": ("govern.cli.status", "status", "The model inventory: tiers, stages, pending and expiring approvals."),
    "history": ("govern.cli.history", "history", "Which model version was approved for which stage, when, by whom."),
    "audit": ("govern.cli.audit", "audit", "Verify, checkpoint, prove or export the tamper-evident audit log."),
    "verify-report": ("govern.cli.verify_report", "verify_report",
                      "Check a report's signatures, decision digest and audit proof, offline."),
    "verify-attestation": ("govern.cli.verify_attestation", "verify_attestation",
                           "Check a signed decision attestation against a pack and a model file, offline."),
    "diff": ("govern.cli.diff", "diff", "What a policy change does to rules, requirements and the inventory."),
    "report": ("govern.cli.report", "report", "Write the audit-ready PDF report of an evaluation."),
    "schema": ("govern.cli.schema", "schema", "Print JSON Schema for policy, evidence or use-case files."),
    "init": ("govern.cli.init", "init", "Write a use-case descriptor by answering the pack's questions."),
    "evidence": ("govern.cli.evidence", "evidence", "Pull evidence from where it lives (MLflow) into a bundle folder."),
    "verify-registry": ("govern.cli.verify_registry", "verify_registry",
                        "Check every governed MLflow registry alias against the audit log."),
    # the console is a front end beside the CLI (govern.server), registered here like every verb
    "serve": ("govern.server.command", "serve", "Serve the web console and JSON API over the audit store."),
    "tokens": ("govern.server.command", "tokens", "Create, list and revoke the console's bearer tokens."),
}


class LazyGroup(click.Group):
    """Imports a subcommand's module only when it is invoked (fast `--help` and start-up)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        if name not in PAUSED_START_UP:
            from govern.collector import start_up_done

            start_up_done()
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="govern")
def cli() -> None:
    """govern: policy-as-code governance for machine-learning models.

    \b
    A risk officer writes a policy pack (policies/<name>/): tiers, facts, rules and
    governance templates. govern classifies each use case into a tier, compiles the
    tier's template into a gate graph, and evaluates it against evidence.

    \b
    Exit codes: 0 ok, 1 policy failure, 2 usage or input error.

    \b
    Start with:
      govern validate policies/eu-ai-act
      govern classify examples/credit-risk/use_case.yaml --policy policies/eu-ai-act
      govern plan examples/credit-risk/use_case.yaml --policy policies/eu-ai-act
      govern test policies/eu-ai-act --min-coverage 100
      govern check examples/credit-risk/use_case.yaml -p policies/eu-ai-act
          -e examples/credit-risk/evidence --target production --explain
      ./dev demo    (the whole story: keys, sign-offs, waiver, audit trail, PDF)
    """


#: the cyclic collector's generation-0 threshold while a command runs (Python's default: 700)
GC_THRESHOLD = (10_000, 10, 10)

#: commands whose cost is a cold start (imports, the pack, the evidence, a report's layout):
#: the collector is paused until their work begins (`govern.collector`). The others work over
#: the store or serve for long (status, audit, notify, serve, ...) and collect from the start.
PAUSED_START_UP = frozenset({"validate", "classify", "plan", "test", "check", "explain", "report", "schema",
                             "register", "sign", "waive", "verify-report", "verify-attestation"})


def main(argv: list[str] | None = None) -> None:
    """Run one command, ending in `SystemExit` with its exit code.

    The cyclic garbage collector runs less often meanwhile: a command imports pydantic, lark
    and, for data checks, pandas, scipy and scikit-learn, allocating millions of objects that
    are never garbage, and with the default threshold the collector walks them every 700
    allocations -- 6-10 % of a cold `govern check` (measured). For one-shot commands it is
    paused until their work begins (`PAUSED_START_UP`). Cycles are then collected every 10,000
    allocations; the previous thresholds come back when the command ends.
    """
    import gc

    from govern import collector

    previous = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    collector.pause_start_up()
    try:
        _main(argv)
    finally:
        collector.start_up_done()
        gc.set_threshold(*previous)


def run() -> None:
    """The `govern` program: `main`, then leave without the interpreter's teardown.

    Tearing down a process that imported pandas, scipy and scikit-learn, or WeasyPrint,
    frees every module and object one by one: 0.25 s of a cold `govern check` with data
    checks and 0.3 s of a report (measured), for memory the operating system takes back at
    once. What an orderly exit owes still happens: the exit handlers run (temporary folders,
    logging, coverage), the standard streams are flushed, and every file and store a command
    writes is closed by the command itself. The teardown is skipped only when no other thread
    is running, so nothing is cut short; otherwise the exit is the usual one.
    """
    import threading

    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:  # pragma: no cover - main always exits
        code = EXIT_OK
    if code is None:
        code = EXIT_OK
    import atexit

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's; elsewhere, the usual exit
    if not isinstance(code, int) or threading.active_count() > 1 or run_exit_handlers is None:
        sys.exit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`govern ... | head`) or a closed stream
            pass
    os._exit(code)


def _main(argv: list[str] | None) -> None:
    from govern.errors import GovernError

    try:
        code = cli.main(args=argv, prog_name="govern", standalone_mode=False)
    except GovernError as exc:
        click.echo(exc.render(), err=True)
        click.echo(f"govern: {len(exc.diagnostics)} error{'s' if len(exc.diagnostics) != 1 else ''}", err=True)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if exc.exit_code not in (0, 1) else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except Exception as exc:  # a bug in govern, not a user mistake
        if os.environ.get("GOVERN_DEBUG"):
            raise
        click.echo(f"govern: internal error: {type(exc).__name__}: {exc}\n"
                   "This is a bug in govern. Re-run with GOVERN_DEBUG=1 for a traceback and report it.", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def emit_json(data: Any) -> None:
    """Indented for a person at a terminal; compact when piped, where the C encoder is ~10x faster
    on large outputs (an inventory of thousands of use cases) and tools such as jq re-indent anyway."""
    import json

    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(data, indent=indent, sort_keys=False, ensure_ascii=False, default=str))
