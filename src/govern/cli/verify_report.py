"""`govern verify-report report.pdf`: what a report proves about itself, checked offline from its attachments."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.audit import witness_option
from govern.cli.common import format_option
from govern.cli.main import EXIT_POLICY

MAX_PDF_BYTES = 512 * 1024 * 1024


@click.command("verify-report")
@click.argument("report", metavar="REPORT.pdf", type=click.Path(path_type=Path))
@click.option("--checkpoint", "checkpoint_file", type=click.Path(path_type=Path), metavar="FILE",
              help="The checkpoint you hold (default: the one the report embeds -- then pin --witness-key).")
@witness_option
@click.option("--policy", "-p", "policy_path", type=click.Path(path_type=Path), metavar="DIR",
              help="The policy pack: each signature must be by the key it lists for the signer.")
@format_option("text", "json")
def verify_report(report: Path, checkpoint_file: Path | None, witness: str | None, policy_path: Path | None,
                  fmt: str) -> None:
    """Re-verify a report's signatures, decision digest and audit-log proof, offline (exit 0 ok, 1 not).

    \b
    Reads the files `govern report` embeds (decision.json, govern-signed-records.json,
    govern-inclusion-proof.json, govern-checkpoint.json); no store, no network.
    Recomputes the decision digest; verifies every counted sign-off and applied waiver
    (signature, key, and what the decision counts it for); and checks that the
    decision's audit event is in the log the witness signed.
    """
    from govern.cli.audit import _witness
    from govern.cli.main import emit_json
    from govern.record.checkpoint import load
    from govern.record.report_proof import verify

    files = read_attachments(report)
    witness = _witness(witness)
    checkpoint = load(checkpoint_file) if checkpoint_file else None
    policy = None
    if policy_path is not None:
        from govern.cli.common import load as load_pack

        policy, _ = load_pack(policy_path)
    result = verify(files, checkpoint=checkpoint, witness=witness, policy=policy)
    if fmt == "json":
        emit_json(result.to_dict())
    else:
        lines = [f"{report}: " + ("verified" if result.ok else "NOT VERIFIED")]
        lines += [f"  ok: {fact}" for fact in result.facts]
        lines += [f"  - {problem}" for problem in result.problems]
        click.echo("\n".join(lines))
    if not result.ok:
        raise SystemExit(EXIT_POLICY)


def read_attachments(path: Path) -> dict[str, bytes]:
    """The PDF's embedded files by name; InputError for a file that is not a readable PDF."""
    from govern.errors import Diagnostic, InputError, Span

    try:
        import pypdf
    except ImportError:
        raise InputError(Diagnostic("verify-report-deps-missing", "govern verify-report reads PDFs with pypdf",
                                    hint="pip install 'govern[audit]'")) from None
    try:
        if path.stat().st_size > MAX_PDF_BYTES:
            raise InputError(Diagnostic("report-too-large", f"{path} is larger than {MAX_PDF_BYTES >> 20} MB",
                                        Span(str(path))))
        reader = pypdf.PdfReader(path)
        found = reader.attachments
        return {name: contents[0] for name, contents in found.items() if contents}
    except FileNotFoundError:
        raise InputError(Diagnostic("file-not-found", f"no such file: {path}", Span(str(path)))) from None
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many kinds for a damaged or hostile file
        raise InputError(Diagnostic("report-unreadable", f"{path} is not a readable PDF: {type(exc).__name__}: {exc}",
                                    Span(str(path)), "pass the PDF `govern report` wrote")) from None
