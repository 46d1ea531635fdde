"""Classification throughput: govern vs Rego (regopy) vs Cedar (cedarpy) vs hand-written Python.

The benchmark of issue #2: 10,000 distinct seeded synthetic use cases, classified by the
9-rule pack in ``pack/``, by the same policy in ``policy.rego`` and ``policy.cedar``, and by
a hand-written Python function. Every engine must give the same tier for every input (the
script exits 1 and prints the first disagreement otherwise); then it reports µs per
decision (median of ``--repeats`` passes over all inputs, engines interleaved), the one-time
pack load + compile time, and the cold start of ``govern classify`` as a subprocess.

    .venv/bin/python benchmarks/classify/bench_classify.py [--n 10000] [--seed 20260802]

Prints a Markdown table and writes JSON to ``benchmarks/results/classify-<stamp>.json``.
Not a timed test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PACK = HERE / "pack"
USE_CASE = HERE / "use_case.yaml"
RESULTS = REPO / "benchmarks" / "results"
AS_OF = _dt.date(2026, 8, 2)
TIERS = ("prohibited", "high", "limited", "minimal")
SEVERITY = {t: i for i, t in enumerate(TIERS)}

# --- the policy, by hand ------------------------------------------------------------------

BANNED_PURPOSES = frozenset({
    "social_scoring", "subliminal_manipulation", "exploiting_vulnerabilities",
    "predictive_policing", "workplace_emotion_recognition", "untargeted_face_scraping",
})
OTHER_PURPOSES = ("credit_scoring", "recruitment", "exam_grading", "fraud_detection", "recommendation",
                  "forecasting", "customer_support", "content_generation", "identity_verification",
                  "predictive_maintenance")
ANNEX_III_DOMAINS = frozenset({
    "biometric_categorisation", "critical_infrastructure", "education", "employment",
    "essential_services", "law_enforcement", "migration", "justice",
})
OTHER_DOMAINS = ("marketing", "operations", "retail", "entertainment", "healthcare")
AUDIENCES = ("internal_few", "internal_many", "public")
LARGE_IMPACT_EUR = 1_000_000
LARGE_USER_BASE = 100_000


def tier_by_hand(f: dict[str, Any]) -> str:
    """The 9 rules as plain Python: the floor any engine can be compared with."""
    public = f["audience"] == "public"
    if f["purpose"] in BANNED_PURPOSES or (f["biometrics"] and f["realtime"] and public):
        return "prohibited"
    if ((f["domain"] in ANNEX_III_DOMAINS and f["affects_individuals"])
            or (f["impact_eur"] >= LARGE_IMPACT_EUR and public)
            or f["safety_component"]
            or (f["biometrics"] and not f["realtime"])):
        return "high"
    if f["interacts_with_humans"] or f["generates_content"] or f["n_users"] >= LARGE_USER_BASE:
        return "limited"
    return "minimal"


# --- synthetic use cases -------------------------------------------------------------------

def _amount(rng: random.Random, threshold: int, top_exponent: float) -> int:
    """Log-uniform integers, with the threshold and its neighbours 5% of the time (≥ edges)."""
    if rng.random() < 0.05:
        return threshold + rng.choice((-1, 0, 1))
    return int(10 ** rng.uniform(0, top_exponent))


def synthesize(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` distinct complete use cases (every fact answered), reproducible from ``seed``.

    The mix is chosen so that every rule fires often and each tier is well represented;
    integers only, since Cedar has no floating-point numbers.
    """
    rng = random.Random(seed)
    seen: set[tuple] = set()
    cases: list[dict[str, Any]] = []
    while len(cases) < n:
        f = {
            "purpose": rng.choice(sorted(BANNED_PURPOSES)) if rng.random() < 0.08 else rng.choice(OTHER_PURPOSES),
            "domain": rng.choice(sorted(ANNEX_III_DOMAINS)) if rng.random() < 0.35 else rng.choice(OTHER_DOMAINS),
            "affects_individuals": rng.random() < 0.5,
            "audience": rng.choice(AUDIENCES),
            "impact_eur": _amount(rng, LARGE_IMPACT_EUR, 7.0),
            "safety_component": rng.random() < 0.06,
            "biometrics": rng.random() < 0.08,
            "realtime": rng.random() < 0.4,
            "interacts_with_humans": rng.random() < 0.2,
            "generates_content": rng.random() < 0.15,
            "n_users": _amount(rng, LARGE_USER_BASE, 5.5),
        }
        key = tuple(f.values())
        if key not in seen:
            seen.add(key)
            cases.append(f)
    return cases


# --- engines -------------------------------------------------------------------------------

class Rego:
    """regopy: compile the module into a bundle once; per decision set the input and query it."""

    ENTRYPOINT = "govern/classify/tier"

    def __init__(self, path: Path) -> None:
        import regopy

        t0 = time.perf_counter()
        self.rego = regopy.Interpreter()
        self.rego.add_module(path.name, path.read_text(encoding="utf-8"))
        self.bundle = self.rego.build(None, [self.ENTRYPOINT])
        self.prepare_s = time.perf_counter() - t0
        self.Input = regopy.Input

    def tier(self, facts: dict[str, Any]) -> str:
        self.rego.set_input(facts)  # dict -> regopy.Input -> rego term
        out = self.rego.query_bundle_entrypoint(self.bundle, self.ENTRYPOINT)
        return json.loads(str(out))["expressions"][0]

    def tier_prebuilt(self, rego_input: Any) -> str:
        """Same, with the input already converted (breakdown only: conversion is a real cost)."""
        self.rego.set_input(rego_input)
        out = self.rego.query_bundle_entrypoint(self.bundle, self.ENTRYPOINT)
        return json.loads(str(out))["expressions"][0]


class Cedar:
    """cedarpy: one pre-parsed PolicySet; facts are the request context of Action::"classify".

    The tier is the most severe ``@tier`` among the determining policies (``reasons``), or
    ``minimal`` when nothing fired; policy id → tier is read once from the parsed set.
    """

    def __init__(self, path: Path, schema_path: Path) -> None:
        import cedarpy

        self.cedarpy = cedarpy
        text = path.read_text(encoding="utf-8")
        schema_text = schema_path.read_text(encoding="utf-8")
        t0 = time.perf_counter()
        self.policies = cedarpy.PolicySet.from_str(text)
        self.entities = cedarpy.Entities.from_json_str("[]")
        self.prepare_s = time.perf_counter() - t0
        self.schema = cedarpy.Schema.from_str(schema_text)
        validation = cedarpy.validate_policies(text, self.schema)
        if not validation.validation_passed:
            raise SystemExit(f"policy.cedar does not validate against its schema: {validation.errors}")
        pst = self.policies.to_pst()
        self.tier_of_policy = {pid: p.annotations["tier"] for pid, p in pst.static_policies.items()}

    @staticmethod
    def request(i: int, facts: dict[str, Any]) -> dict[str, Any]:
        return {"principal": 'Classifier::"govern"', "action": 'Action::"classify"',
                "resource": f'UseCase::"uc{i}"', "context": facts}

    def _tier(self, result: Any) -> str:
        diagnostics = result.diagnostics
        if diagnostics.errors:  # a policy that errors is skipped by Cedar: never let that pass silently
            raise RuntimeError(f"Cedar evaluation errors: {diagnostics.errors}")
        reasons = diagnostics.reasons
        if not reasons:
            return "minimal"
        return min((self.tier_of_policy[r] for r in reasons), key=SEVERITY.__getitem__)

    def tier(self, request: dict[str, Any]) -> str:
        return self._tier(self.cedarpy.is_authorized(request, self.policies, self.entities))

    def tiers_batch(self, requests: list[dict[str, Any]], schema: Any = None) -> list[str]:
        results = self.cedarpy.is_authorized_batch(requests, self.policies, self.entities, schema)
        return [self._tier(r) for r in results]


# --- measurement ---------------------------------------------------------------------------

def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        out = fn()
        return (time.perf_counter_ns() - t0) / 1e9, out
    finally:
        gc.enable()


def cold_start(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Median wall time of ``runs`` fresh processes, after one untimed run (page cache, bytecode)."""
    subprocess.run(cmd, capture_output=True, check=False, cwd=REPO, env=env)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, check=False, cwd=REPO, env=env)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            message = f"{' '.join(cmd)} exited {proc.returncode}: {(proc.stdout + proc.stderr).decode().strip()}"
            print(f"COLD START FAILED: {message}", file=sys.stderr)
            return {"cmd": cmd, "runs": 0, "error": message, "median_ms": float("nan"), "min_ms": float("nan"),
                    "max_ms": float("nan")}
    return {"cmd": cmd, "runs": runs, "median_ms": statistics.median(times) * 1e3, "min_ms": min(times) * 1e3,
            "max_ms": max(times) * 1e3}


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("govern", "regopy", "cedarpy", "lark", "pydantic", "networkx", "PyYAML", "ruamel.yaml"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "implementation": platform.python_implementation(),
            "packages": versions}


def _forget(use_case: Any) -> Any:
    """The use case as first loaded: its digest and answers not yet computed (they are cached on it)."""
    use_case.__dict__.pop("digest", None)
    use_case.__dict__.pop("answers", None)
    return use_case


def first_disagreement(cases: list[dict[str, Any]], answers: dict[str, list[str]]) -> int | None:
    names = list(answers)
    for i in range(len(cases)):
        if len({answers[name][i] for name in names}) != 1:
            return i
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="number of distinct synthetic use cases")
    ap.add_argument("--seed", type=int, default=20260802)
    ap.add_argument("--repeats", type=int, default=5, help="timed passes over all inputs per engine (median)")
    ap.add_argument("--cold-runs", type=int, default=10, help="subprocess runs for the cold start (median)")
    ap.add_argument("--out", type=Path, default=None, help="JSON results file (default benchmarks/results/...)")
    args = ap.parse_args(argv)
    if args.repeats < 1 or args.n < 1:
        ap.error("--n and --repeats must be positive")

    # one-time costs ----------------------------------------------------------------------
    t0 = time.perf_counter()
    try:
        from govern.classification import classify, tier_of
    except ModuleNotFoundError:  # before the module was renamed from govern.classify
        from govern.classification import classify, tier_of
    from govern.load.pack import load_policy
    from govern.load.use_case import use_case_from_facts
    import_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    policy = load_policy(PACK)
    first_load_s = time.perf_counter() - t0
    reloads = []
    for _ in range(5):
        t0 = time.perf_counter()
        load_policy(PACK)
        reloads.append(time.perf_counter() - t0)
    load_s = statistics.median(reloads)

    rego = Rego(HERE / "policy.rego")
    cedar = Cedar(HERE / "policy.cedar", HERE / "policy.cedarschema")

    # inputs ------------------------------------------------------------------------------
    cases = synthesize(args.n, args.seed)
    t0 = time.perf_counter()
    use_cases = [use_case_from_facts(f, policy.facts, id=f"uc{i}", name=f"uc{i}") for i, f in enumerate(cases)]
    validate_s = time.perf_counter() - t0
    envs = [uc.env() for uc in use_cases]
    for uc in use_cases:  # computed once per validated use case, like validation itself (the "cold" row re-does it)
        uc.digest, uc.answers
    requests = [Cedar.request(i, f) for i, f in enumerate(cases)]
    rego_inputs = [rego.Input(f) for f in cases]

    # agreement on every input ------------------------------------------------------------
    answers = {
        "hand-written Python": [tier_by_hand(f) for f in cases],
        "govern tier_of": [tier_of(policy, e, AS_OF) for e in envs],
        "govern classify": [classify(policy, uc, AS_OF).tier for uc in use_cases],
        "Rego (regopy)": [rego.tier(f) for f in cases],
        "Cedar (cedarpy, is_authorized)": [cedar.tier(r) for r in requests],
        "Cedar (cedarpy, is_authorized_batch)": cedar.tiers_batch(requests),
    }
    bad = first_disagreement(cases, answers)
    if bad is not None:
        print(f"DISAGREEMENT on input #{bad}: {json.dumps(cases[bad], sort_keys=True)}", file=sys.stderr)
        for name, tiers in answers.items():
            print(f"  {name:40s} {tiers[bad]}", file=sys.stderr)
        n_bad = sum(1 for i in range(len(cases)) if len({a[i] for a in answers.values()}) != 1)
        print(f"{n_bad} of {len(cases)} inputs disagree", file=sys.stderr)
        return 1
    distribution = {t: answers["govern tier_of"].count(t) for t in TIERS}
    print(f"agreement: all {len(answers)} evaluators give the same tier on all {len(cases)} inputs "
          f"({', '.join(f'{t} {c}' for t, c in distribution.items())})", file=sys.stderr)

    # throughput --------------------------------------------------------------------------
    hand = tier_by_hand
    runs: dict[str, Callable[[], Any]] = {
        "hand": lambda: [hand(f) for f in cases],
        "tier_of": lambda: [tier_of(policy, e, AS_OF) for e in envs],
        "classify": lambda: [classify(policy, uc, AS_OF).tier for uc in use_cases],
        "classify_cold": lambda: [classify(policy, _forget(uc), AS_OF).tier for uc in use_cases],
        "classify_json": lambda: [classify(policy, uc, AS_OF).to_dict()["tier"] for uc in use_cases],
        "validate+tier_of": lambda: [tier_of(policy, use_case_from_facts(f, policy.facts).env(), AS_OF)
                                     for f in cases],
        "rego": lambda: [rego.tier(f) for f in cases],
        "rego_prebuilt": lambda: [rego.tier_prebuilt(x) for x in rego_inputs],
        "cedar": lambda: [cedar.tier(r) for r in requests],
        "cedar_batch": lambda: cedar.tiers_batch(requests),
        "cedar_batch_schema": lambda: cedar.tiers_batch(requests, cedar.schema),
        "loop": lambda: [f for f in cases],
    }
    samples: dict[str, list[float]] = {k: [] for k in runs}
    for rep in range(args.repeats):
        for key, fn in runs.items():
            seconds, out = timed(fn)
            samples[key].append(seconds)
            if key not in ("loop",) and out != answers["govern tier_of"]:
                raise SystemExit(f"{key}: results changed between runs")
        print(f"  pass {rep + 1}/{args.repeats} done", file=sys.stderr)
    us = {k: statistics.median(v) / len(cases) * 1e6 for k, v in samples.items()}
    us_min = {k: min(v) / len(cases) * 1e6 for k, v in samples.items()}

    # cold start --------------------------------------------------------------------------
    # An installed wheel has its bytecode compiled; a source checkout run with
    # PYTHONDONTWRITEBYTECODE=1 (as in some CI sandboxes) recompiles govern on every start.
    # Measure the installed situation by caching bytecode in a private PYTHONPYCACHEPREFIX
    # (nothing is written into the source tree), and the environment as given when it differs.
    govern_exe = Path(sys.executable).parent / "govern"
    classify_cmd = [str(govern_exe), "classify", str(USE_CASE.relative_to(REPO)), "--policy",
                    str(PACK.relative_to(REPO))]
    with tempfile.TemporaryDirectory(prefix="govern-bench-pycache-") as pycache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = pycache
        cold = {
            "govern_classify": cold_start(classify_cmd, args.cold_runs, env),
            "python_pass": cold_start([sys.executable, "-c", "pass"], args.cold_runs, env),
            "python_import_govern_cli": cold_start([sys.executable, "-c", "import govern.cli.main"],
                                                   args.cold_runs, env),
        }
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        cold["govern_classify_no_bytecode"] = cold_start(classify_cmd, args.cold_runs)

    # report ------------------------------------------------------------------------------
    rows = [
        ("hand-written Python", "hand", "plain `if` chain over the facts dict"),
        ("**govern `tier_of`**", "tier_of", "`tier_of(policy, facts, as_of)`, compiled closures"),
        ("**govern `classify` (full explanation)**", "classify", "`classify(policy, use_case, as_of)`: every rule's "
         "outcome and the conditions that decided it, with their values"),
        ("govern `classify`, first time for the use case", "classify_cold", "same, plus computing the use case's "
         "digest and answers (cached on it)"),
        ("govern `classify` + JSON of the explanation", "classify_json", "`classify(...).to_dict()`: the "
         "explanation as `govern classify -f json` prints it"),
        ("govern validate + `tier_of`", "validate+tier_of", "`use_case_from_facts(...)` then `tier_of`"),
        ("Rego (regopy)", "rego", "`set_input(dict)` + `query_bundle_entrypoint(bundle)`"),
        ("Rego (regopy), input pre-converted", "rego_prebuilt", "`set_input(Input)` + query (breakdown)"),
        ("Cedar (cedarpy), one request per call", "cedar", "`is_authorized(req, PolicySet, Entities)`"),
        ("Cedar (cedarpy), batch of all inputs", "cedar_batch", "`is_authorized_batch(reqs, PolicySet, Entities)`"),
        ("Cedar (cedarpy), batch + schema", "cedar_batch_schema", "same, with a pre-parsed `Schema`"),
    ]
    g = us["tier_of"]
    print()
    print(f"Classification of {len(cases)} distinct use cases, median of {args.repeats} passes "
          f"(µs per decision; harness loop overhead {us['loop'] * 1e3:.0f} ns)\n")
    print("| Evaluator | API | µs/decision (median) | min | ratio to govern `tier_of` |")
    print("|---|---|---:|---:|---:|")
    for label, key, api in rows:
        ratio = us[key] / g
        shown = f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.0f}×"
        print(f"| {label} | {api} | {us[key]:.2f} | {us_min[key]:.2f} | {shown} |")
    print()
    target_us = 2.0
    print(f"- govern `tier_of`: {g:.2f} µs/decision — target ≤ {target_us} µs: "
          f"{'MET' if g <= target_us else 'MISSED'}; {us['rego'] / g:.0f}× faster than Rego, "
          f"{us['cedar'] / g:.0f}× faster than Cedar per call ({us['cedar_batch'] / g:.0f}× batched), "
          f"{g / us['hand']:.1f}× the hand-written Python")
    c_us = us["classify"]
    print(f"- govern `classify` with the full explanation: {c_us:.2f} µs/decision — target ≤ 10 µs: "
          f"{'MET' if c_us <= 10 else 'MISSED'}; {c_us / g:.1f}× `tier_of`; {us['cedar'] / c_us:.1f}× faster than "
          f"Cedar per call (target ≥ 10×), {us['rego'] / c_us:.0f}× faster than Rego; with the JSON "
          f"{us['classify_json']:.1f} µs")
    print(f"- pack load + compile (`load_policy`): first {first_load_s * 1e3:.1f} ms in process "
          f"(after importing govern: {import_s * 1e3:.0f} ms), then {load_s * 1e3:.1f} ms median of 5 reloads")
    print(f"- Rego bundle build: {rego.prepare_s * 1e3:.1f} ms; Cedar PolicySet parse: {cedar.prepare_s * 1e3:.2f} ms")
    print(f"- validating the {len(cases)} answers (`use_case_from_facts`): {validate_s / len(cases) * 1e6:.1f} µs each")
    c = cold["govern_classify"]
    verdict = "FAILED TO RUN" if "error" in c else "MET" if c["median_ms"] <= 200 else "MISSED"
    print(f"- `govern classify` cold start: {c['median_ms']:.0f} ms median of {c['runs']} (min {c['min_ms']:.0f}) — "
          f"target ≤ 200 ms: {verdict}; `python -c pass` "
          f"{cold['python_pass']['median_ms']:.0f} ms; `python -c 'import govern.cli.main'` "
          f"{cold['python_import_govern_cli']['median_ms']:.0f} ms (bytecode cached, as when installed)")
    if "govern_classify_no_bytecode" in cold:
        print(f"- same without bytecode (PYTHONDONTWRITEBYTECODE is set here, so govern's modules are compiled "
              f"on every start): {cold['govern_classify_no_bytecode']['median_ms']:.0f} ms median")
    try:
        load = os.getloadavg()
        print(f"- load average during the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    except OSError:
        load = None

    result = {
        "benchmark": "classify", "when": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(), "n": len(cases), "seed": args.seed, "repeats": args.repeats, "as_of": AS_OF.isoformat(),
        "agreement": {"evaluators": list(answers), "all_agree": True, "tiers": distribution},
        "us_per_decision_median": us, "us_per_decision_min": us_min,
        "samples_s": samples,
        "targets": {"tier_of_us": target_us, "tier_of_met": g <= target_us, "cold_start_ms": 200,
                    "cold_start_met": c["median_ms"] <= 200, "classify_us": 10.0, "classify_met": c_us <= 10,
                    "cedar_over_classify_target": 10.0},
        "ratios": {"rego_over_govern": us["rego"] / g, "cedar_over_govern": us["cedar"] / g,
                   "cedar_over_classify": us["cedar"] / c_us, "rego_over_classify": us["rego"] / c_us,
                   "classify_over_tier_of": c_us / g,
                   "cedar_batch_over_govern": us["cedar_batch"] / g, "govern_over_hand": g / us["hand"]},
        "load_policy_ms": {"first": first_load_s * 1e3, "median_reload": load_s * 1e3,
                           "govern_import": import_s * 1e3},
        "prepare_ms": {"rego_bundle": rego.prepare_s * 1e3, "cedar_policyset": cedar.prepare_s * 1e3},
        "validate_us": validate_s / len(cases) * 1e6,
        "cold_start": cold,
        "load_average": load,
    }
    out = args.out or RESULTS / f"classify-{_dt.datetime.now().strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
    return 1 if any("error" in v for v in cold.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
