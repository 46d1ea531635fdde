"""The files a report embeds beside its pages (PDF/A-3 associated files), and their digests.

The paper keeps what an auditor must read; long machine-ish listings travel with it as
attachments instead of pages: the full evidence manifest, every drift feature and every
data-quality column (CSV), the full explanation of every classification rule including the
ones that did not fire, and the governance template's text. Each is built from the same data
the pages are, its bytes depend only on the evaluation (sorted, ``\\n`` line ends, no clock),
and the report names each one with its size and sha256 (section 11) so a reader knows where
a listing went and can check it is the one the report was made with.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from govern.report.sections.common import checks_of

if TYPE_CHECKING:
    from govern.evidence.bundle import EvidenceBundle

DECISION = "decision.json"
MANIFEST = "evidence-manifest.json"
EXPLANATION = "classification-explanation.txt"
TEMPLATE = "policy-template.yaml"
DRIFT = "drift-features.csv"
QUALITY = "data-quality-columns.csv"


@dataclass(frozen=True)
class Attachment:
    name: str
    text: str
    description: str
    relationship: str  # PDF/A-3 AFRelationship: Data | Supplement | Source | …

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")

    @property
    def sha256(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()

    def as_tuple(self) -> tuple[str, str, str, str]:
        return self.name, self.text, self.description, self.relationship

    def listed(self) -> dict[str, Any]:
        """The row of the report's table of embedded files."""
        from govern.report.formatting import human_size

        return {"name": self.name, "description": self.description, "size": human_size(len(self.data)),
                "sha256": self.sha256}


def decision_json(decision: dict[str, Any]) -> str:
    """The decision as `govern check -f json` prints it."""
    return json.dumps(decision, indent=2, ensure_ascii=False, default=str) + "\n"


def build(decision: dict[str, Any], ctx: dict[str, Any], *, bundle: "EvidenceBundle | None" = None,
          proof: Iterable[tuple[str, str, str, str]] = ()) -> list[Attachment]:
    """Every attachment of one report, in the order they are embedded and listed."""
    from govern.report.sections.reproducibility import evidence_manifest

    files = [
        Attachment(DECISION, decision_json(decision),
                   "The machine-readable decision this report renders (govern check -f json)", "Data"),
        Attachment(MANIFEST, json.dumps(evidence_manifest(decision, bundle), indent=2, ensure_ascii=False) + "\n",
                   "Every evidence file with its role, size and sha256", "Supplement"),
    ]
    explanation = classification_explanation(decision, ctx)
    if explanation:
        files.append(Attachment(EXPLANATION, explanation,
                                "Why each classification rule fired or did not, condition by condition", "Supplement"))
    appendix = ctx.get("appendix") or {}
    if appendix.get("template_text"):
        files.append(Attachment(TEMPLATE, appendix["template_text"] + "\n",
                                f"The governance template that applied ({appendix['template_file']}), as written",
                                "Source"))
    drift = drift_csv(decision)
    if drift:
        files.append(Attachment(DRIFT, drift, "Every feature's drift statistics, per drift check", "Data"))
    quality = quality_csv(decision)
    if quality:
        files.append(Attachment(QUALITY, quality, "Every column's data-quality figures, per data-quality check",
                                "Data"))
    files.extend(Attachment(*p) for p in proof)
    return files


def classification_explanation(decision: dict[str, Any], ctx: dict[str, Any]) -> str:
    """Every rule the classification evaluated, with the full explanation `govern classify --explain` gives."""
    from govern.classification import OUTCOME_LABELS, why_lines

    cls = decision.get("classification") or {}
    rules = [r for r in cls.get("rules", []) if isinstance(r, dict)]
    not_fired = [r for r in cls.get("not_fired", []) if isinstance(r, dict)]
    if not rules and not not_fired:
        return ""
    meta = ctx.get("meta") or {}
    policy = meta.get("policy") or {}
    lines = [f"# classification of {meta.get('use_case', {}).get('id') or decision.get('use_case', {}).get('id')} "
             f"under {policy.get('name')} {policy.get('version')} as of {cls.get('as_of') or decision.get('as_of')}: "
             f"tier {cls.get('tier') or decision.get('tier')}",
             f"# policy digest {cls.get('policy_digest') or policy.get('digest')}", ""]
    for r in [*rules, *not_fired]:
        label = OUTCOME_LABELS.get(r.get("outcome") or r.get("status"), r.get("status") or "did not fire")
        head = f"{label} {r['id']} (tier {r.get('tier')})"
        if r.get("citation"):
            head += f" — {r['citation']}"
        if r.get("location"):
            head += f" [{r['location']}]"
        lines.append(head)
        lines.extend(why_lines(r, indent="  "))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return buf.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "; ".join(map(str, value))
    return str(value)


def drift_csv(decision: dict[str, Any]) -> str:
    """One row per (drift check, feature), with every statistic as recorded (full precision)."""
    header = ["check", "feature", "kind", "drifted", "psi", "ks_statistic", "ks_pvalue", "chi2_statistic",
              "chi2_pvalue", "wasserstein", "cramers_v", "n_reference", "n_current", "because"]
    rows = []
    for g, c in checks_of(decision, "drift"):
        for f in (c.get("measured") or {}).get("features") or []:
            s = f.get("stats") or {}
            drifted = f.get("drifted")
            rows.append([f"{g['id']}.{c['id']}", f.get("name"), f.get("kind"),
                         "not assessed" if drifted is None else bool(drifted),
                         *(s.get(k) for k in header[4:13]),
                         list(f.get("because") or []) or s.get("reason")])
    return _csv(header, rows) if rows else ""


def quality_csv(decision: dict[str, Any]) -> str:
    """One row per (data-quality check, column)."""
    header = ["check", "column", "type", "missing_rate", "max_missing", "missing_exceeded", "range_low", "range_high",
              "range_source", "n_out_of_range", "n_unseen_categories"]
    rows = []
    for g, c in checks_of(decision, "data_quality"):
        for col in (c.get("measured") or {}).get("columns") or []:
            rows.append([f"{g['id']}.{c['id']}", col.get("name"), *(col.get(k) for k in header[2:])])
    return _csv(header, rows) if rows else ""
