"""Build the evidence bundle of the hiring-screening example, deterministically.

    .venv/bin/python examples/hiring-screening/build_evidence.py               # writes evidence/
    .venv/bin/python examples/hiring-screening/build_evidence.py --out /tmp/ev  # writes /tmp/ev

A CV screening model (`cv-screener` 1.0.0): logistic regression on synthetic CV features,
trained on synthetic historical recruiter decisions, then used to score a synthetic audit
population of applicants. The tool outputs a score and a selection (advance to interview when
score >= 0.5). Sex and race/ethnicity follow the categories of NYC Local Law 144 (6 RCNY §5-301,
EEO-1 component 1): they are never model inputs, only audit columns.

**A mild bias is injected on purpose and documented**, so the impact ratios are worth reading:
the historical recruiter decisions the model learns from penalise women and Black and Hispanic
applicants (label bias), and two CV features act as proxies (employment gaps are longer for women,
employee referrals more frequent for White applicants). The model never sees sex or race; it
reproduces part of the bias through the proxies. The unbiased latent qualification is known
(synthetic data) and written as `qualified`, so error-rate gaps can be measured too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata as md
import json
import os
import platform
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
MODEL = "cv-screener"
VERSION = "1.0.0"
THRESHOLD = 0.5
SEEDS = {"history": 101, "audit": 202, "model": 0}
N_HISTORY = 6000
N_AUDIT = 3000
EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "1767225600"))  # 2026-01-01T00:00:00Z
CARD_DATE = dt.datetime.fromtimestamp(EPOCH, dt.timezone.utc).date()
AUDIT_DATE = CARD_DATE + dt.timedelta(days=11)            # 2026-01-12
NOTICE_DATE = CARD_DATE + dt.timedelta(days=15)           # 2026-01-16
DISTRIBUTION_DATE = CARD_DATE + dt.timedelta(days=32)     # 2026-02-02, first use

SEX = {"Male": 0.52, "Female": 0.48}
#: 6 RCNY §5-301 / EEO-1 race/ethnicity categories, with shares of a plausible applicant pool
RACE = {
    "White": 0.38,
    "Hispanic or Latino": 0.22,
    "Black or African American": 0.20,
    "Asian": 0.14,
    "Two or More Races": 0.04,
    "Native American or Alaska Native": 0.012,
    "Native Hawaiian or Pacific Islander": 0.008,
}
FEATURES = ["years_experience", "education_level", "skills_match", "certifications",
            "employment_gap_months", "employee_referral"]
#: label bias of the historical recruiter decisions (log-odds), documented in the model card
LABEL_BIAS = {"Female": -0.35, "Black or African American": -0.45, "Hispanic or Latino": -0.30}


def applicants(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(list(SEX), size=n, p=list(SEX.values()))
    race = rng.choice(list(RACE), size=n, p=np.array(list(RACE.values())) / sum(RACE.values()))
    female = sex == "Female"
    white = race == "White"
    frame = pd.DataFrame({
        "applicant_id": [f"A{seed:03d}-{i:05d}" for i in range(n)],
        "sex": sex,
        "race_ethnicity": race,
        "years_experience": np.round(rng.gamma(2.2, 2.6, n), 1),
        "education_level": rng.choice([0, 1, 2, 3], size=n, p=[0.18, 0.52, 0.25, 0.05]),
        "skills_match": np.round(rng.beta(2.5, 2.5, n), 3),
        "certifications": rng.poisson(1.0, n),
        # proxies: caregiving gaps are longer for women, referrals more frequent among White applicants
        "employment_gap_months": np.round(rng.exponential(np.where(female, 7.0, 3.0)), 1),
        "employee_referral": (rng.random(n) < np.where(white, 0.30, 0.12)).astype(int),
    })
    merit = (-3.1 + 0.13 * frame.years_experience + 0.45 * frame.education_level + 3.2 * frame.skills_match
             + 0.25 * frame.certifications - 0.02 * frame.employment_gap_months)
    noise = rng.logistic(0.0, 1.0, n)
    frame["qualified"] = (merit + noise > 0).astype(int)  # unbiased latent qualification
    bias = sum(np.where((frame.sex == g) | (frame.race_ethnicity == g), b, 0.0) for g, b in LABEL_BIAS.items())
    recruiter = (merit + 0.9 * frame.employee_referral - 0.05 * frame.employment_gap_months + bias + noise
                 + rng.normal(0.0, 0.5, n))
    frame["advanced_historically"] = (recruiter > 0).astype(int)  # biased historical label
    return frame


def train(history: pd.DataFrame):
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000, random_state=SEEDS["model"]))
    model.fit(history[FEATURES].to_numpy(dtype=float), history.advanced_historically.to_numpy())
    return model


# ----------------------------------------------------------------------------- audit tables
def rate_tables(pred: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """LL144 tables computed directly with pandas: selection and scoring rates and impact ratios.

    Selection rate = share selected; scoring rate = share scoring above the sample median;
    impact ratio = the category's rate / the highest category's rate (every category, no minimum).
    """
    median = float(pred.score.median())
    work = pred.assign(above_median=(pred.score > median).astype(int))
    out = {}
    for name, cols in (("sex", ["sex"]), ("race_ethnicity", ["race_ethnicity"]),
                       ("intersectional", ["sex", "race_ethnicity"])):
        g = work.groupby(cols).agg(n=("selected", "size"), selected=("selected", "sum"),
                                   above_median=("above_median", "sum")).reset_index()
        g["selection_rate"] = g.selected / g.n
        g["selection_impact_ratio"] = g.selection_rate / g.selection_rate.max()
        g["scoring_rate"] = g.above_median / g.n
        g["scoring_impact_ratio"] = g.scoring_rate / g.scoring_rate.max()
        g["share_of_sample"] = g.n / len(work)
        out[name] = g
    return out


def _table_md(g: pd.DataFrame, cols: list[str]) -> str:
    head = " | ".join(c.replace("_", " ") for c in cols)
    rows = [f"| {head} | n | share | selected | selection rate | impact ratio | above median | scoring rate | impact ratio |",
            "|" + "---|" * (len(cols) + 8)]
    for _, r in g.iterrows():
        flag = " ¹" if r.share_of_sample < 0.02 else ""
        rows.append(f"| {' | '.join(str(r[c]) for c in cols)}{flag} | {r.n} | {r.share_of_sample:.3f} | {r.selected} | "
                    f"{r.selection_rate:.3f} | {r.selection_impact_ratio:.3f} | {r.above_median} | "
                    f"{r.scoring_rate:.3f} | {r.scoring_impact_ratio:.3f} |")
    return "\n".join(rows)


def audit_report(tables: dict[str, pd.DataFrame], pred: pd.DataFrame) -> str:
    small = tables["intersectional"][tables["intersectional"].share_of_sample < 0.02]
    small_list = ", ".join(f"{r.sex} & {r.race_ethnicity} (n={r.n})" for _, r in small.iterrows())
    return f"""# Bias audit report — {MODEL} {VERSION}

Auditor: Ada Okafor (independent auditor; example person). Audit date: {AUDIT_DATE.isoformat()}.
Data: {len(pred)} applicants scored by the tool (`data/predictions.csv`), **synthetic test data**
(see `audit/test_data_explanation.md`). Selection: score >= {THRESHOLD}. Scoring rate: share of a
category scoring above the sample median score ({pred.score.median():.4f}).

Number of individuals in the unknown category (sex or race/ethnicity not reported): 0. (The
synthetic data have complete categories; real audit data would report and exclude them here.)

Categories under 2 % of the data (6 RCNY §5-301 allows excluding them from the impact-ratio
calculation, with the reason): none excluded in the tables below — every category is reported, so the
ratios can be recomputed either way. Categories under 2 %, marked ¹: {small_list}.

## Sex

{_table_md(tables['sex'], ['sex'])}

## Race/ethnicity

{_table_md(tables['race_ethnicity'], ['race_ethnicity'])}

## Intersectional categories (sex × race/ethnicity)

{_table_md(tables['intersectional'], ['sex', 'race_ethnicity'])}

¹ under 2 % of the sample.

## Method

Rates and ratios computed with pandas by the example's builder from `data/predictions.csv`;
`govern check` recomputes them from the same file (fairness checks `impact_ratios_selection_rate`,
`impact_ratios_scoring_rate`) and the example's tests assert both agree, and agree with fairlearn's
`selection_rate`.
"""


def published_summary(tables: dict[str, pd.DataFrame], pred: pd.DataFrame) -> str:
    sex, race = tables["sex"], tables["race_ethnicity"]
    lines = [f"- {r.sex}: selection rate {r.selection_rate:.3f}, impact ratio {r.selection_impact_ratio:.3f}; "
             f"scoring rate {r.scoring_rate:.3f}, impact ratio {r.scoring_impact_ratio:.3f}" for _, r in sex.iterrows()]
    lines += [f"- {r.race_ethnicity}: selection rate {r.selection_rate:.3f}, impact ratio {r.selection_impact_ratio:.3f}; "
              f"scoring rate {r.scoring_rate:.3f}, impact ratio {r.scoring_impact_ratio:.3f}" for _, r in race.iterrows()]
    return f"""# Summary of the bias audit of our automated employment decision tool

Tool: {MODEL} {VERSION} (CV screening; advances applicants to a recruiter interview).
Date of the most recent bias audit: {AUDIT_DATE.isoformat()}. Auditor: Ada Okafor (independent).
Distribution date of the tool: {DISTRIBUTION_DATE.isoformat()}.
Source and explanation of the data: synthetic test data, because the tool has not been used yet and
no historical data of its use exist (6 RCNY §5-301(d)); see the explanation below.
Number of applicants assessed: {len(pred)}; in the unknown category: 0.

Selection and scoring rates and impact ratios (full intersectional tables in the audit report):

{chr(10).join(lines)}

Test data explanation: historical data of the tool's use do not exist before its first use; the
auditor therefore assessed a synthetic population built to resemble our applicant pool. The audit
will be repeated on historical data of actual use within one year.
"""


CANDIDATE_NOTICE = f"""# Notice to candidates: use of an automated employment decision tool

We use an automated employment decision tool ({MODEL}) to screen applications for this position
in New York City. It assesses the qualifications and characteristics stated in your CV: years of
relevant experience, education level, match between your listed skills and the job's required
skills, professional certifications, gaps in employment, and whether you were referred by an
employee. It does not use your sex, race or ethnicity.

You may request an alternative selection process or a reasonable accommodation by writing to
accommodations@example.com before the screening date; a recruiter will then review your application
without the tool. This notice is given at least ten business days before the tool is used.
"""

DATA_RETENTION = """# Data collected by the screening tool and its retention

Type of data: the CV you submit and the structured fields extracted from it (experience, education,
skills, certifications, employment dates, referral). Source: you, and the referring employee where
applicable. Retention: applications are kept for two years after the position is filled, then deleted;
the tool's scores are kept with them. Voluntary self-identification of sex and race/ethnicity is
stored separately, used only for bias audits, and never passed to the tool.
"""

TEST_DATA_EXPLANATION = f"""# Why the audit uses test data

The tool has not yet been used, so there is no historical data of its use, and we have no data from
other employers using it (6 RCNY §5-301(b)-(d)). The audit therefore uses {N_AUDIT} synthetic
applicants drawn from distributions resembling our applicant pool (category shares in the audit
report), scored by the exact model version to be deployed. The data generator, its seeds and the
deliberate historical-label bias are documented in the model card. The audit will be repeated on
historical data within one year of first use.
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_card(metrics: dict, refs: list[dict], coefs: dict[str, float]) -> str:
    front = {
        "name": MODEL, "version": VERSION, "owner": "talent-acquisition-analytics (example team)",
        "authors": ["govern contributors"], "date": CARD_DATE.isoformat(), "license": "apache-2.0",
        "library_name": "sklearn", "pipeline_tag": "tabular-classification",
        "algorithm": "logistic_regression (standard scaling)",
        "hyperparameters": {"C": 1.0, "max_iter": 1000, "random_state": SEEDS["model"]},
        "features": FEATURES, "decision_threshold": THRESHOLD,
        "target": {"column": "advanced_historically", "meaning": "recruiter advanced the applicant to interview (historical)"},
        "sensitive_attributes": ["sex", "race_ethnicity"],
        "injected_bias": {"label_bias_log_odds": LABEL_BIAS,
                          "proxies": {"employment_gap_months": "exponential, mean 7 months for women vs 3 for men",
                                      "employee_referral": "30 % of White applicants vs 12 % of others"}},
        # NYC LL144 audit record (read by the nyc-ll144 pack; unquoted ISO dates)
        "bias_audit_date": AUDIT_DATE,
        "bias_audit_auditor": "Ada Okafor (independent auditor, example)",
        "bias_audit_data_source": "test_data (synthetic applicants; see audit/test_data_explanation.md)",
        "distribution_date": DISTRIBUTION_DATE,
        "candidate_notice_date": NOTICE_DATE,
        "datasets": refs,
        "seeds": SEEDS,
    }
    coef_rows = "\n".join(f"| {k} | {v:+.3f} |" for k, v in coefs.items())
    return f"""---
{yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip()}
---

# {MODEL} {VERSION}

## Model details

Logistic regression (scikit-learn, standard scaling) on six CV features, trained on {N_HISTORY}
synthetic historical applications labelled with the recruiter's decision to advance. Standardised
coefficients:

| feature | coefficient |
|---|---|
{coef_rows}

## Intended use

Screen applications for an entry-level analyst position in New York City: applicants scoring at or
above {THRESHOLD} are advanced to a recruiter interview; the others are not reviewed further unless they
ask for the alternative process. An AEDT under NYC LL144 and a high-risk system under EU AI Act
Annex III 4(a) if used for EU positions.

## Training data

Synthetic: {N_HISTORY} historical applicants (seed {SEEDS['history']}) with sex and race/ethnicity in the LL144
categories (used only for auditing), six CV features and the recruiter's historical decision.

## Evaluation

Audit population ({N_AUDIT} synthetic applicants, seed {SEEDS['audit']}): AUC against the historical-style
label {metrics['audit']['auc_vs_recruiter_label']:.3f}, AUC against the unbiased latent qualification
{metrics['audit']['auc_vs_qualified']:.3f}; selection rate {metrics['audit']['selection_rate']:.3f}.

## Fairness

**Bias injected on purpose** (this is a demonstration): the historical labels penalise women
({LABEL_BIAS['Female']:+.2f} log-odds), Black ({LABEL_BIAS['Black or African American']:+.2f}) and Hispanic
({LABEL_BIAS['Hispanic or Latino']:+.2f}) applicants, and two proxy features carry group information. The
model does not use sex or race but learns the proxies' weights from the biased labels. Impact ratios:
`audit/bias_audit_report.md`.

## Limitations

Synthetic data; one position; six features; the latent qualification is a modelling assumption.
The four-fifths rule is a screening heuristic, not a legal standard under LL144.

## Caveats and recommendations

Do not deploy without reviewing the employment-gap and referral features: both act as proxies.
"""


def requirements_lock() -> str:
    names = ["numpy", "pandas", "scikit-learn", "scipy", "PyYAML", "joblib", "threadpoolctl"]
    lines = [f"# Packages that built {MODEL} (from importlib.metadata).",
             f"# python=={platform.python_version()} ({platform.python_implementation().lower()})"]
    lines += [f"{n}=={md.version(n)}" for n in sorted(names, key=str.lower)]
    return "\n".join(lines) + "\n"


def build(out: Path) -> dict:
    if out.exists():
        shutil.rmtree(out)
    for sub in ("data", "audit", "notices", "environment"):
        (out / sub).mkdir(parents=True)
    history = applicants(N_HISTORY, SEEDS["history"])
    audit = applicants(N_AUDIT, SEEDS["audit"])
    model = train(history)
    score = model.predict_proba(audit[FEATURES].to_numpy(dtype=float))[:, 1]
    pred = pd.DataFrame({
        "applicant_id": audit.applicant_id, "sex": audit.sex, "race_ethnicity": audit.race_ethnicity,
        "score": np.round(score, 6), "selected": (np.round(score, 6) >= THRESHOLD).astype(int),
        "qualified": audit.qualified, "advanced_historically": audit.advanced_historically})
    pred.to_csv(out / "data/predictions.csv", index=False, lineterminator="\n")
    pred = pd.read_csv(out / "data/predictions.csv")  # everything below from the published file
    tables = rate_tables(pred)
    metrics = {
        "model": {"name": MODEL, "version": VERSION},
        "audit": {
            "n": int(len(pred)), "selection_rate": float(pred.selected.mean()),
            "score_median": float(pred.score.median()),
            "auc_vs_recruiter_label": float(roc_auc_score(pred.advanced_historically, pred.score)),
            "auc_vs_qualified": float(roc_auc_score(pred.qualified, pred.score)),
            "accuracy_vs_qualified": float(accuracy_score(pred.qualified, pred.selected)),
        },
        "impact_ratios": {
            name: {" & ".join(str(r[c]) for c in g.columns if c in ("sex", "race_ethnicity")):
                   {"n": int(r.n), "selection": float(r.selection_impact_ratio), "scoring": float(r.scoring_impact_ratio)}
                   for _, r in g.iterrows()} for name, g in tables.items()},
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    (out / "audit/bias_audit_report.md").write_text(audit_report(tables, pred))
    (out / "audit/published_summary.md").write_text(published_summary(tables, pred))
    (out / "audit/test_data_explanation.md").write_text(TEST_DATA_EXPLANATION)
    (out / "notices/candidate_notice.md").write_text(CANDIDATE_NOTICE)
    (out / "notices/data_retention.md").write_text(DATA_RETENTION)
    (out / "environment/requirements-lock.txt").write_text(requirements_lock())
    (out / "environment/seeds.json").write_text(json.dumps(SEEDS, indent=2) + "\n")
    lr = model[-1]
    coefs = dict(zip(FEATURES, map(float, lr.coef_[0])))
    refs = [{"path": "data/predictions.csv", "sha256": sha256(out / "data/predictions.csv")}]
    (out / "model_card.md").write_text(model_card(metrics, refs, coefs))
    roles = {"data/predictions.csv": "bias_audit_data", "audit/bias_audit_report.md": "bias_audit_report",
             "audit/published_summary.md": "bias_audit_summary", "audit/test_data_explanation.md": "test_data_explanation",
             "notices/candidate_notice.md": "candidate_notice", "notices/data_retention.md": "data_retention_notice",
             "metrics.json": "metrics", "model_card.md": "model_card",
             "environment/requirements-lock.txt": "environment", "environment/seeds.json": "seeds"}
    manifest = {
        "bundle": MODEL, "model": {"name": MODEL, "version": VERSION},
        "files": [{"path": p, "role": roles[p], "sha256": sha256(out / p)} for p in sorted(roles)],
        "columns": {"target": "qualified", "prediction": "selected", "score": "score", "threshold": THRESHOLD,
                    "sensitive": ["sex", "race_ethnicity"]},
    }
    (out / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False, width=200))
    return {"tables": tables, "metrics": metrics}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "evidence")
    args = parser.parse_args(argv)
    result = build(args.out)
    inter = result["tables"]["intersectional"]
    worst = inter.loc[inter.selection_impact_ratio.idxmin()]
    print(f"{args.out}: {MODEL} {VERSION}, {N_AUDIT} applicants, selection rate "
          f"{result['metrics']['audit']['selection_rate']:.3f}; lowest intersectional selection impact ratio "
          f"{worst.selection_impact_ratio:.3f} ({worst.sex} & {worst.race_ethnicity}, n={worst.n})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
