"""`govern evidence pull`: evidence that lives elsewhere (an MLflow registry) → a bundle folder to review offline."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.common import format_option


@click.group()
def evidence() -> None:
    """Evidence bundles from where the evidence already lives.

    \b
    A pulled folder is an ordinary bundle: `govern check -e`, `govern sign -e` and
    `govern report -e` read it offline, with the same evidence and model digests as
    `govern check --mlflow` computes from the server.
    """


@evidence.command()
@click.argument("uri", metavar="URI")
@click.option("--output", "-o", "out", required=True, type=click.Path(path_type=Path), metavar="DIR",
              help="Folder to write (new, empty, or an earlier snapshot, which is replaced).")
@click.option("--tracking-uri", "tracking_uri", metavar="URI",
              help="MLflow tracking server (default: MLFLOW_TRACKING_URI).")
@click.option("--champion-alias", "champion_alias", metavar="ALIAS",
              help="Registry alias of the champion (default: the run manifest's `mlflow.champion_alias`, "
                   "else `champion`).")
@format_option("text", "json")
def pull(uri: str, out: Path, tracking_uri: str | None, champion_alias: str | None, fmt: str) -> None:
    """Write an MLflow model version (or run) as an evidence bundle folder.

    \b
    URI is models:/NAME/VERSION, models:/NAME@ALIAS or runs:/RUN_ID. The folder holds
    the run's artifacts at their own paths, the MLflow model under model/, metrics.json
    (the run's metrics, mapped to check paths), champion_metrics.json (the version
    holding the champion alias), mlflow/source.json (version, run params, tags, metrics,
    parent and child runs, dataset inputs), mlflow/lineage.yaml (dataset inputs) and
    manifest.yaml with every file's role and sha256. Two pulls of an unchanged version
    give the same bytes. Layout and metric-name mapping: docs/mlflow.md.

    \b
    Exit codes: 0 written, 2 bad URI, unreachable server, missing model, unusable files.

    \b
    Examples:
      govern evidence pull models:/credit-risk-scorer/2 -o snapshot/ --tracking-uri http://127.0.0.1:5000
      govern sign uc.yaml -p pack -e snapshot/ --gate production --role validator ...
    """
    from govern.evidence.bundle import EvidenceBundle
    from govern.evidence.identity import evidence_digest, model_digest
    from govern.evidence.mlflow import pull as run

    result = run(uri, out, tracking_uri=tracking_uri, champion_alias=champion_alias)
    bundle = EvidenceBundle.open(result.path)  # verifies the manifest it just wrote
    summary = {"path": str(result.path), "uri": uri, "registered_model": result.name, "version": result.version,
               "run_id": result.run_id, "files": len(bundle.files()), "evidence_digest": evidence_digest(bundle),
               "model_digest": model_digest(bundle)}
    if fmt == "json":
        from govern.cli.main import emit_json

        emit_json(summary)
        return
    what = f"{result.name} version {result.version} (run {result.run_id})" if result.name else f"run {result.run_id}"
    click.echo(f"pulled {what} → {result.path}: {summary['files']} files")
    click.echo(f"  evidence {summary['evidence_digest']}")
    click.echo(f"  model    {summary['model_digest']}")
