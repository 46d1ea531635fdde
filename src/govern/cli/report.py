"""`govern report`: the audit-ready PDF of an evaluation (or of the whole inventory).

WeasyPrint and Jinja2 are imported only here and in :mod:`govern.report`, after
the arguments are checked: `govern check` never pays for them.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from govern.cli.common import as_of_option
from govern.cli.status import database_option
from govern.errors import Diagnostic, InputError

if TYPE_CHECKING:
    from govern.report.render import PdfWriter
    from govern.report.worker import PdfWorker


def _need_report_extra() -> None:
    """Fail with a usable message when the `report` extra or WeasyPrint's system libraries are missing."""
    try:
        import jinja2  # noqa: F401

        from govern.report.render import load_weasyprint

        load_weasyprint()
    except ImportError as exc:
        raise InputError(Diagnostic("report-deps-missing", f"govern report needs the `report` extra: {exc}",
                                    hint="pip install 'govern[report]'")) from None
    except OSError as exc:  # WeasyPrint found, Pango/HarfBuzz not
        raise InputError(Diagnostic(
            "report-deps-missing", f"WeasyPrint cannot load its system libraries: {exc}",
            hint="install Pango (the report ships its own fonts), e.g. apt-get install libpango-1.0-0 "
                 "libpangoft2-1.0-0 libharfbuzz-subset0")) from None


@click.command()
@click.argument("use_case_path", metavar="[USE_CASE.yaml]", required=False, type=click.Path(path_type=Path))
@click.option("--policy", "-p", "policy_path", type=click.Path(path_type=Path),
              help="Policy pack folder. Required with USE_CASE.yaml; with --evaluation it adds rule text, RACI "
                   "and the appendix (used only if its digest matches the recorded one).")
@click.option("--evidence", "-e", "evidence", type=click.Path(path_type=Path),
              help="Evidence bundle folder. Required with USE_CASE.yaml; with --evaluation it adds lineage, drift "
                   "plots and the manifest (used only if its digest matches the recorded one).")
@click.option("--target", "-t", help="Stage the model wants to enter (default: the last stage of the plan).")
@as_of_option
@click.option("--evaluation", "evaluation_id", type=int, metavar="ID",
              help="Render a recorded evaluation from the audit store instead of evaluating now.")
@click.option("--inventory", is_flag=True, help="Render the portfolio view of every use case in the store.")
@click.option("--output", "-o", "output", required=True, type=click.Path(path_type=Path),
              help="Where to write the PDF (written atomically: a temp file renamed into place).")
@click.option("--templates", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of report templates/CSS overriding the shipped ones file by file "
                   "(also GOVERN_REPORT_TEMPLATES).")
@click.option("--no-store", "no_store", is_flag=True,
              help="Do not read the audit store (the audit-trail section then says `not recorded`).")
@database_option
def report(use_case_path: Path | None, policy_path: Path | None, evidence: Path | None, target: str | None,
           as_of: _dt.date | None, evaluation_id: int | None, inventory: bool, output: Path,
           templates: Path | None, no_store: bool, database: str | None) -> None:
    """Write the audit-ready PDF report of an evaluation.

    \b
    Sections: cover, executive summary, risk classification (rules, citations, facts
    read), responsibilities (RACI), gate graph and checks, fairness, drift and data
    quality, performance by subpopulation, lineage, sign-offs and waivers,
    reproducibility, audit trail, appendix (the policy text that applied).

    \b
    The PDF is PDF/A-3b with the decision JSON, the evidence manifest and the long
    listings (every drift feature and data-quality column as CSV, each classification
    rule's full explanation, the governance template) embedded as attachments, each
    named with its sha256 in the reproducibility section; and deterministic: the same evaluation renders the same bytes (dates
    come from --as-of, not the clock). The report's sha256 is printed so it can be
    recorded. Exit 0 when the report is written, whatever the verdict; 2 on bad input.

    \b
    Examples:
      govern report uc.yaml -p policies/eu-ai-act -e evidence/ --as-of 2026-06-01 -o report.pdf
      govern report --evaluation 42 -p policies/eu-ai-act -e evidence/ -o report.pdf
      govern report --inventory -o inventory.pdf
    """
    modes = sum([use_case_path is not None and evaluation_id is None, evaluation_id is not None, inventory])
    if modes != 1:
        raise click.UsageError("give exactly one of USE_CASE.yaml, --evaluation ID or --inventory")
    if use_case_path is not None and evaluation_id is None and (policy_path is None or evidence is None):
        raise click.UsageError("USE_CASE.yaml needs --policy and --evidence")
    from govern.report.worker import PdfWorker

    worker = PdfWorker.start()  # imports WeasyPrint while this process reads the store, pack and evidence
    try:
        if inventory:
            _inventory(output, as_of, templates, database, worker)
            return
        if evaluation_id is not None:
            data = _from_store(evaluation_id, use_case_path, policy_path, evidence, database, templates, worker)
        else:
            assert use_case_path is not None and policy_path is not None and evidence is not None
            data = _evaluate(use_case_path, policy_path, evidence, target, as_of, database, templates, no_store,
                             worker)
    finally:
        if worker is not None:
            worker.close()
    from govern.report.render import write_atomically

    write_atomically(output, data["pdf"])
    sha = hashlib.sha256(data["pdf"]).hexdigest()
    decision = data["decision"]
    verdict = "allowed" if decision.get("allowed") else "blocked"
    click.echo(f"wrote {output} ({len(data['pdf']) / 1024:.0f} KB, PDF/A-3b) — {decision['use_case']['id']} "
               f"{verdict} for {decision['target']}, decision {decision['decision_digest'].split(':')[-1][:12]}")
    for note in data.get("notes", []):
        click.echo(f"note: {note}", err=True)
    if not no_store and (evaluation_id is not None or _store_exists(database)):
        from govern.record.store import Store

        with Store.open(database) as store:  # the report's digest joins the tamper-evident trail
            seq = store.record_report(decision["use_case"]["id"], decision["decision_digest"], f"sha256:{sha}",
                                      output.name, evaluation_id)
        click.echo(f"recorded as audit event #{seq}")
    click.echo(f"sha256:{sha}")


def _store_exists(database: str | None) -> bool:
    from govern.report.audit import store_exists

    return store_exists(database)


def _evaluate(use_case_path: Path, policy_path: Path, evidence: Path, target: str | None, as_of: _dt.date | None,
              database: str | None, templates: Path | None, no_store: bool,
              worker: "PdfWorker | None") -> dict[str, Any]:
    from govern.cli.common import load
    from govern.evaluate.pipeline import check as run

    policy, use_case = load(policy_path, use_case_path)
    assert use_case is not None
    if worker is None:
        _need_report_extra()  # before the evaluation: a missing extra is exit 2 at once
    if no_store or not _store_exists(database):
        decision_obj = run(policy, use_case, evidence, target=target, as_of=as_of)
    else:  # the same decision `govern check` makes: sign-offs and waivers from the store count too
        from govern.record.store import Store

        from govern.record.sources import StoreRecords

        with Store.open(database) as store:
            decision_obj = run(policy, use_case, evidence, target=target, as_of=as_of, records=StoreRecords(store))
    from govern.classification import classify
    from govern.evidence.bundle import EvidenceBundle
    from govern.plan.graph import compile_plan
    from govern.report.render import render_report

    decision = decision_obj.to_dict()
    plan = compile_plan(policy, use_case, classify(policy, use_case, decision_obj.as_of))
    bundle = EvidenceBundle.open(Path(evidence))
    audit = None if no_store else _audit(decision, database)
    pdf = render_report(decision, policy=policy, plan=plan, use_case=use_case, bundle=bundle, audit=audit,
                        templates=templates, to_pdf=_pdf_writer(worker))
    return {"pdf": pdf, "decision": decision}


def _pdf_writer(worker: "PdfWorker | None") -> "PdfWriter":
    """The worker's PDF if it made one; otherwise WeasyPrint in this process, whose absence is exit 2."""
    def to_pdf(html: str, **options: Any) -> bytes:
        pdf = worker.pdf(html, **options) if worker is not None else None
        if pdf is None:
            _need_report_extra()
            from govern.report.render import html_to_pdf

            pdf = html_to_pdf(html, **options)
        return pdf

    return to_pdf


def _audit(decision: dict[str, Any], database: str | None, evaluation_id: int | None = None) -> dict[str, Any] | None:
    from govern.report.audit import audit_section, store_exists

    if evaluation_id is None and not store_exists(database):
        return None  # the report says: not recorded
    from govern.record.store import Store

    with Store.open(database) as store:
        return audit_section(store, decision, evaluation_id=evaluation_id)


def _from_store(evaluation_id: int, use_case_path: Path | None, policy_path: Path | None, evidence: Path | None,
                database: str | None, templates: Path | None, worker: "PdfWorker | None") -> dict[str, Any]:
    from govern.record.store import Store

    notes: list[str] = []
    with Store.open(database) as store:
        try:
            decision = store.decision(evaluation_id)
        except KeyError:
            raise InputError(Diagnostic("unknown-evaluation", f"no evaluation #{evaluation_id} in the store",
                                        hint="see `govern history USE_CASE` for recorded evaluations")) from None
    policy = use_case = plan = bundle = None
    if policy_path is not None:
        from govern.cli.common import load

        policy, use_case = load(policy_path, use_case_path)
        if policy.digest != (decision.get("policy") or {}).get("digest"):
            notes.append(f"policy {policy_path} ({policy.digest[7:19]}) is not the recorded policy version "
                         f"({str(decision['policy']['digest'])[7:19]}): its text is left out of the report")
            policy = use_case = None
    if policy is not None and use_case is not None:
        from govern.classification import classify
        from govern.plan.graph import compile_plan

        as_of = _dt.date.fromisoformat(decision["as_of"])
        candidate = compile_plan(policy, use_case, classify(policy, use_case, as_of))
        plan = candidate if candidate.digest == decision.get("plan_digest") else None
    if evidence is not None:
        from govern.evidence.bundle import EvidenceBundle
        from govern.evidence.identity import evidence_digest

        candidate_bundle = EvidenceBundle.open(Path(evidence))
        if evidence_digest(candidate_bundle) == decision.get("evidence_digest"):
            bundle = candidate_bundle
        else:
            notes.append(f"evidence {evidence} is not the recorded evidence: lineage, plots and manifest come "
                         "from the recorded decision only")
    if worker is None:
        _need_report_extra()
    from govern.report.recorded import render_recorded

    with Store.open(database) as store:  # the audit section, signed records, inclusion proof, latest checkpoint
        pdf, more = render_recorded(store, evaluation_id, decision, policy=policy, plan=plan, use_case=use_case,
                                    bundle=bundle, templates=templates, to_pdf=_pdf_writer(worker))
    return {"pdf": pdf, "decision": decision, "notes": notes + more}


def _inventory(output: Path, as_of: _dt.date | None, templates: Path | None, database: str | None,
               worker: "PdfWorker | None") -> None:
    from govern.record.store import Store

    if worker is None:
        _need_report_extra()
    from govern.report.audit import inventory_items
    from govern.report.render import render_inventory, write_atomically

    today = as_of or _dt.date.today()
    with Store.open(database) as store:
        items = inventory_items(store, today=today)
        chain = store.verify_chain().to_dict()
        from govern.record.config import redact

        url = redact(store.url)
    pdf = render_inventory(items, as_of=today, chain=chain, templates=templates, store_url=url,
                           to_pdf=_pdf_writer(worker))
    write_atomically(output, pdf)
    click.echo(f"wrote {output} ({len(pdf) / 1024:.0f} KB, PDF/A-3b) — {len(items)} use case(s) as of {today}")
    click.echo(f"sha256:{hashlib.sha256(pdf).hexdigest()}")
