#!/usr/bin/env python3
"""4,000 client-specific recommenders, one pipeline copied: govern over the nightly retrain.

    .venv/bin/python examples/recommender-portfolio/portfolio.py [--clients 4000] [--workers N] [--out DIR]

1. **Generate** (once, cached, deterministic): for every client a use-case descriptor and an
   evidence bundle from a real, tiny computation — seeded synthetic 1-5 star ratings, the
   live model (champion, trained on yesterday's ratings) and tonight's retrain (challenger,
   trained on today's) fitted by the same alternating-least-squares matrix factorisation,
   both scored on the same held-out ratings. A few clients have frozen their model or
   turned it off (human in command).
2. **Classify, compile, evaluate** every client, in worker processes: tier under
   ``policies/eu-ai-act`` and ``policies/mlops-template`` (the shipped packs), and
   ``govern.evaluate.pipeline.check`` of the nightly retrain (target ``production``) under
   the example's release policy ``policy/`` — classification, gate graph and evidence.
3. **Summarise**: promoted / kept champion / frozen / off / blocked, tier histograms,
   timings; record every decision in the audit store and show ``govern status``.

Generation and evaluation are timed separately; only evaluation is the benchmark.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures as cf
import datetime as _dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterable

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
POLICY_DIR = HERE / "policy"
SHIPPED = {"eu-ai-act": REPO / "policies" / "eu-ai-act", "mlops-template": REPO / "policies" / "mlops-template"}
INTAKE = HERE / "intake.yaml"

GENERATOR_VERSION = 1        # bump when the generated files change
SEED = 20260115
#: the night of the run: today (UTC), the date `govern check` enforces at; two runs on one day give the
#: same decision digests, and a decision is recorded only when it was made at the real date
AS_OF = _dt.datetime.now(_dt.timezone.utc).date()
TARGET = "production"

# human in command: which clients froze their model or turned it off (a few in every 50)
FROZEN = {7, 31}
OFF = {23}

OUTCOMES = ("promoted", "kept_champion", "frozen", "off", "blocked")


# ============================================================================ generation ==

def client_id(i: int) -> str:
    return f"client-{i:04d}"


def client_setup(i: int) -> dict[str, Any]:
    """The client's own answers: where it shows recommendations and what it has set."""
    channel = "assistant" if i % 10 == 3 else "email" if i % 10 in (1, 5, 8) else "web_widget"
    control = "frozen" if i % 50 in FROZEN else "off" if i % 50 in OFF else "on"
    facts: dict[str, Any] = {"channel": channel, "client_control": control,
                             "interacts_with_humans": channel == "assistant"}
    # the platform's answers to the other EU AI Act questions the imported Art. 50(1) rule reads
    # (the same as in intake.yaml: in scope of the Act, no carve-out claimed)
    facts.update(scope_exclusion="none", excepted_purposes=["none"])
    if channel == "assistant":
        facts["interaction_obvious"] = i % 20 == 13  # half the assistants say "I'm a bot" in their name
    return facts


def _als(users, items, ratings, n_users: int, n_items: int, rank: int, reg: float, iters: int, rng):
    """Biased matrix factorisation by alternating least squares, batched over users/items (numpy only)."""
    import numpy as np

    mu = ratings.mean()
    m = np.zeros((n_users, n_items))
    mask = np.zeros((n_users, n_items))
    m[users, items] = ratings - mu
    mask[users, items] = 1.0
    bu = np.zeros(n_users)
    bi = np.zeros(n_items)
    for _ in range(3):  # biases, regularised
        bu = ((m - bi) * mask).sum(1) / (mask.sum(1) + reg * 5)
        bi = ((m - bu[:, None]) * mask).sum(0) / (mask.sum(0) + reg * 5)
    r = (m - bu[:, None] - bi[None, :]) * mask
    p = rng.normal(0, 0.1, (n_users, rank))
    q = rng.normal(0, 0.1, (n_items, rank))
    eye = reg * np.eye(rank)
    for _ in range(iters):
        a = np.einsum("ui,ik,il->ukl", mask, q, q) + eye
        p = np.linalg.solve(a, (r @ q)[..., None])[..., 0]
        a = np.einsum("ui,uk,ul->ikl", mask, p, p) + eye
        q = np.linalg.solve(a, (r.T @ p)[..., None])[..., 0]
    return mu, bu, bi, p, q


def _rmse(model, users, items, ratings) -> tuple[float, float]:
    import numpy as np

    mu, bu, bi, p, q = model
    pred = np.clip(mu + bu[users] + bi[items] + np.einsum("nk,nk->n", p[users], q[items]), 1.0, 5.0)
    err = pred - ratings
    return float(np.sqrt(np.mean(err ** 2))), float(np.mean(np.abs(err)))


def train_client(i: int) -> dict[str, Any]:
    """Synthetic ratings for client i; champion and challenger fitted and scored on the same test set."""
    import numpy as np

    rng = np.random.default_rng([SEED, i])
    n_users = int(rng.integers(40, 150))
    n_items = int(rng.integers(25, 80))
    density = float(rng.uniform(0.07, 0.25))
    true_rank = 3
    u_true = rng.normal(0, 0.7, (n_users, true_rank))
    v_true = rng.normal(0, 0.7, (n_items, true_rank))
    scores = 3.2 + rng.normal(0, 0.4, n_users)[:, None] + rng.normal(0, 0.5, n_items)[None, :] + u_true @ v_true.T
    n = max(30, int(density * n_users * n_items))
    flat = rng.choice(n_users * n_items, size=n, replace=False)  # observed (user, item), in time order
    users, items = flat // n_items, flat % n_items
    ratings = np.clip(np.rint(scores[users, items] + rng.normal(0, 0.6, n)), 1, 5)
    yesterday, today = int(0.70 * n), int(0.85 * n)  # champion saw [0, yesterday); challenger [0, today)
    test = slice(today, n)
    # one pipeline copied: the same configuration for every client
    config = {"rank": 3, "reg": 2.0, "iters": 6}
    champion = _als(users[:yesterday], items[:yesterday], ratings[:yesterday], n_users, n_items,
                    config["rank"], config["reg"], config["iters"], np.random.default_rng([SEED, i, 1]))
    challenger = _als(users[:today], items[:today], ratings[:today], n_users, n_items,
                      config["rank"], config["reg"], config["iters"], np.random.default_rng([SEED, i, 2]))
    ch_rmse, ch_mae = _rmse(champion, users[test], items[test], ratings[test])
    new_rmse, new_mae = _rmse(challenger, users[test], items[test], ratings[test])
    tr_rmse, tr_mae = _rmse(challenger, users[:today], items[:today], ratings[:today])
    factors = np.concatenate([challenger[3].ravel(), challenger[4].ravel(), challenger[1], challenger[2],
                              [challenger[0]]]).astype("<f4")
    return {
        "config": config, "n_users": n_users, "n_items": n_items, "n_ratings": n,
        "champion": {"train": {"n": yesterday}, "test": {"n": n - today, "rmse": round(ch_rmse, 6),
                                                         "mae": round(ch_mae, 6)}},
        "challenger": {"train": {"n": today, "rmse": round(tr_rmse, 6), "mae": round(tr_mae, 6)},
                       "test": {"n": n - today, "rmse": round(new_rmse, 6), "mae": round(new_mae, 6)}},
        "artifact": factors.tobytes(),
    }


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a YAML string ("on"/"off" stay strings)
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    return str(value)


def write_client(root: Path, i: int) -> None:
    cid = client_id(i)
    facts = client_setup(i)
    run = train_client(i)
    folder = root / "clients" / cid
    ev = folder / "evidence"
    (ev / "model").mkdir(parents=True, exist_ok=True)
    champion_version, version = "2026.01.14", "2026.01.15"
    lines = [
        f"# Client {i:04d}'s copy of the shared recommender (generated by portfolio.py)",
        f"id: {cid}",
        f"name: {json.dumps(f'Product recommendations for client {i:04d}')}",
        f"owner: {cid}",
        "policy: recommender-retrain",
        f"model: {{name: rec-{cid}, author: alice}}",
        "facts:",
        *(f"  {k}: {_yaml_scalar(v)}" for k, v in sorted(facts.items())),
    ]
    (folder / "use_case.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def metrics(which: dict[str, Any], v: str) -> str:
        return json.dumps({"model": {"name": f"rec-{cid}", "version": v}, **{k: which[k] for k in ("train", "test")}},
                          indent=1, sort_keys=True) + "\n"

    files: dict[str, tuple[str, bytes]] = {
        "metrics.json": ("metrics", metrics(run["challenger"], version).encode()),
        "champion_metrics.json": ("champion_metrics", metrics(run["champion"], champion_version).encode()),
        "model/factors.f32": ("artifact", run["artifact"]),
    }
    cfg = run["config"]
    card = f"""---
name: rec-{cid}
version: "{version}"
owner: {cid}
algorithm: matrix_factorisation_als
hyperparameters: {{rank: {cfg['rank']}, reg: {cfg['reg']}, iters: {cfg['iters']}}}
---
# rec-{cid}

## Intended use
Rank products for shoppers of client {i:04d} from their past 1-5 star ratings ({facts['channel']}).

## Training
Biased matrix factorisation (ALS) on {run['challenger']['train']['n']} ratings of {run['n_users']} shoppers
and {run['n_items']} products; the live version {champion_version} saw {run['champion']['train']['n']}.
Both are scored on the same {run['challenger']['test']['n']} most recent ratings.

## Limitations
Cold-start shoppers and products get the popularity baseline.
"""
    files["model_card.md"] = ("model_card", card.encode())
    if facts.get("interacts_with_humans") and not facts.get("interaction_obvious") and i % 400 != 63:
        # (client 63 of every 400 is an assistant whose notice was never written: blocked)
        files["transparency_notice.md"] = ("transparency_notice", (
            f"# You are talking to an AI shopping assistant\n\nClient {i:04d}'s assistant tells shoppers at the "
            "start of every conversation that its suggestions come from an AI system (EU AI Act Art. 50(1)).\n"
        ).encode())
    manifest = [f"bundle: rec-{cid}-{version}", f"model: {{name: rec-{cid}, version: \"{version}\"}}", "files:"]
    for path, (role, data) in sorted(files.items()):
        (ev / path).write_bytes(data)
        manifest.append(f"  - {{path: {path}, role: {role}, sha256: {hashlib.sha256(data).hexdigest()}}}")
    (ev / "manifest.yaml").write_text("\n".join(manifest) + "\n", encoding="utf-8")


def _write_range(root: str, start: int, stop: int) -> int:
    for i in range(start, stop):
        write_client(Path(root), i)
    return stop - start


def _generator_code_digest() -> str:
    import inspect

    code = "".join(inspect.getsource(f) for f in (client_setup, _als, _rmse, train_client, write_client))
    return hashlib.sha256(code.encode()).hexdigest()


def generate(root: Path, clients: int, workers: int, progress: "Progress") -> tuple[bool, float]:
    """(regenerated?, seconds). Reuses the files when the stamp says they were made the same way."""
    stamp_file = root / "generated.json"
    stamp = {"generator_version": GENERATOR_VERSION, "seed": SEED, "clients": clients,
             "code_sha256": _generator_code_digest()}
    if stamp_file.is_file() and json.loads(stamp_file.read_text()) == stamp:
        return False, 0.0
    start = time.perf_counter()
    if (root / "clients").exists():
        shutil.rmtree(root / "clients")
    root.mkdir(parents=True, exist_ok=True)
    progress.start("generate", clients)
    chunks = _chunks(range(clients), max(1, min(100, clients // (workers * 4) or 1)))
    if workers > 1:
        with cf.ProcessPoolExecutor(workers) as pool:
            for done in cf.as_completed([pool.submit(_write_range, str(root), c[0], c[-1] + 1) for c in chunks]):
                progress.advance(done.result())
    else:
        for c in chunks:
            progress.advance(_write_range(str(root), c[0], c[-1] + 1))
    progress.finish()
    stamp_file.write_text(json.dumps(stamp, indent=1) + "\n")
    return True, time.perf_counter() - start


# ============================================================================ evaluation ==

_W: dict[str, Any] = {}  # per worker process: the loaded packs and the shared intake


def _init_worker(keep_decisions: bool) -> None:
    """Load the packs once per process (inherited for free when the pool forks after loading)."""
    if "retrain" not in _W:
        import yaml

        import govern

        _W["retrain"] = govern.load_policy(POLICY_DIR)
        for name, path in SHIPPED.items():
            _W[name] = govern.load_policy(path)
        _W["intake"] = yaml.safe_load(INTAKE.read_text(encoding="utf-8"))
    _W["keep"] = keep_decisions


def outcome_of(decision) -> str:
    """promoted | kept_champion | frozen | off | blocked.

    The client's control comes first, read from the production gate's own check results:
    when an upstream gate fails, ``determining`` names only that gate, but the client's
    "off" or "frozen" still holds (every gate's checks are evaluated and reported).
    """
    production = {c.id: c.status for c in decision.gate(TARGET).checks}
    if production.get("client_not_off") == "failed":
        return "off"
    if production.get("client_not_frozen") == "failed":
        return "frozen"
    if decision.allowed:
        return "promoted"
    if set(decision.determining) == {f"{TARGET}.challenger_beats_champion"}:
        return "kept_champion"
    return "blocked"


def _evaluate_chunk(root: str, ids: list[int]) -> list[dict[str, Any]]:
    from govern.classification import tier_of
    from govern.evaluate.pipeline import check
    from govern.load.use_case import load_use_case

    retrain, eu, mlops, intake = _W["retrain"], _W["eu-ai-act"], _W["mlops-template"], _W["intake"]
    cpu0 = time.process_time()
    out = []
    for i in ids:
        folder = Path(root) / "clients" / client_id(i)
        use_case = load_use_case(folder / "use_case.yaml", retrain.facts)
        facts = use_case.facts
        eu_facts = {**intake["eu-ai-act"], "interacts_with_humans": facts.get("interacts_with_humans"),
                    "interaction_obvious": facts.get("interaction_obvious")}
        ml_facts = {**intake["mlops-template"],
                    "availability": "scheduled_batch" if facts.get("channel") == "email" else "realtime_24_7"}
        decision = check(retrain, use_case, folder / "evidence", target=TARGET)  # today: recorded, not a replay
        prod = decision.gate(TARGET)
        measured = {k: v for c in prod.checks if c.id == "challenger_beats_champion" for k, v in c.measured.items()}
        row = {
            "client": use_case.id, "control": facts["client_control"], "channel": facts["channel"],
            "tier": decision.tier,
            "eu_ai_act_tier": tier_of(eu, {k: v for k, v in eu_facts.items() if v is not None}, AS_OF),
            "mlops_tier": tier_of(mlops, ml_facts, AS_OF),
            "allowed": decision.allowed, "outcome": outcome_of(decision), "determining": list(decision.determining),
            "challenger_rmse": measured.get("metrics.test.rmse"), "champion_rmse": measured.get("champion.test.rmse"),
            "decision_digest": decision.digest, "plan_digest": decision.plan_digest,
        }
        if _W["keep"]:
            row["decision"] = decision
        out.append(row)
    if out:
        out[0]["_cpu_s"] = time.process_time() - cpu0  # this chunk's CPU time (summed by the parent)
    return out


def evaluate(root: Path, clients: int, workers: int, record: bool, progress: "Progress") -> list[dict[str, Any]]:
    _init_worker(record)  # load in the parent: forked workers inherit the compiled packs
    if clients:  # and warm the evaluation path once (imports, lazily built models) before forking
        _evaluate_chunk(str(root), [0])
    chunks = _chunks(range(clients), max(1, min(50, clients // (workers * 8) or 1)))
    rows: list[dict[str, Any]] = []
    progress.start("evaluate", clients)
    if workers > 1:
        with cf.ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(record,)) as pool:
            for done in cf.as_completed([pool.submit(_evaluate_chunk, str(root), c) for c in chunks]):
                part = done.result()
                rows.extend(part)
                progress.advance(len(part))
    else:
        for c in chunks:
            part = _evaluate_chunk(str(root), c)
            rows.extend(part)
            progress.advance(len(part))
    progress.finish()
    rows.sort(key=lambda r: r["client"])
    _W["cpu_s"] = sum(r.pop("_cpu_s", 0.0) for r in rows)
    return rows


# ============================================================================ store ======

def record_decisions(rows: list[dict[str, Any]], database: str, progress: "Progress") -> tuple[float, str | None]:
    try:
        from govern.record.store import Store
    except ImportError as exc:  # the audit store is optional: the example works without it
        return 0.0, f"audit store not available ({exc}); decisions not recorded"
    start = time.perf_counter()
    progress.start("record", len(rows))
    with Store.open(database) as store:
        for first in range(0, len(rows), 500):  # 500 decisions per transaction, each with its own audit event
            part = rows[first:first + 500]
            store.record_decisions([row["decision"] for row in part], policy=_W["retrain"], per_transaction=500)
            progress.advance(len(part))
    progress.finish()
    return time.perf_counter() - start, None


def show_status(database: str, head: int) -> tuple[float, list[str]]:
    govern_cli = Path(sys.executable).with_name("govern")
    cmd = [str(govern_cli)] if govern_cli.exists() else [sys.executable, "-m", "govern"]
    start = time.perf_counter()
    proc = subprocess.run([*cmd, "status", "--database", database, "--as-of", AS_OF.isoformat()],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    lines = (proc.stdout or proc.stderr).rstrip("\n").splitlines()
    if proc.returncode != 0:
        return elapsed, [f"govern status failed (exit {proc.returncode}):", *lines[-5:]]
    shown = lines[:head] + ([f"    … {len(lines) - head - 1} more lines …"] if len(lines) > head + 1 else []) + lines[-1:]
    return elapsed, shown


# ============================================================================ reporting ==

class Progress:
    """tqdm or rich if installed, else a one-line stderr counter; silent unless stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._n = self._total = 0
        self._label = ""
        self._t0 = 0.0
        self._last = 0.0

    def start(self, label: str, total: int) -> None:
        self._label, self._total, self._n, self._t0 = label, total, 0, time.perf_counter()
        if not self.enabled:
            return
        try:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, unit="client", file=sys.stderr, leave=False)
        except ImportError:
            self._bar = None

    def advance(self, n: int) -> None:
        self._n += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.perf_counter()
        if now - self._last >= 0.1 or self._n >= self._total:
            self._last = now
            width = 30
            filled = int(width * self._n / max(1, self._total))
            rate = self._n / max(1e-9, now - self._t0)
            sys.stderr.write(f"\r{self._label:<9} [{'#' * filled}{'.' * (width - filled)}] "
                             f"{self._n}/{self._total}  {now - self._t0:5.1f}s  {rate:,.0f}/s")
            sys.stderr.flush()

    def finish(self) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        else:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()


def profile(root: Path, clients: int, top: int) -> int:
    """cProfile of the evaluation, in one process; own time aggregated per govern function (and the rest)."""
    import cProfile
    import pstats

    _init_worker(False)
    _evaluate_chunk(str(root), list(range(min(clients, 20))))  # warm lazy imports
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    _evaluate_chunk(str(root), list(range(clients)))
    prof.disable()
    wall = time.perf_counter() - start
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values())
    by_area: collections.Counter[str] = collections.Counter()
    rows, others = [], []
    for (file, line, name), (_cc, _nc, tt, ct, _callers) in stats.items():
        marker = f"{os.sep}govern{os.sep}"
        if marker in file and "site-packages" not in file:
            where = file.split(marker, 1)[1]
            rows.append((tt, ct, f"govern/{where}:{line}({name})"))
            by_area["govern/" + where.split(os.sep)[0]] += tt
        elif "site-packages" in file:
            by_area[file.split("site-packages" + os.sep, 1)[1].split(os.sep)[0]] += tt
        elif file.startswith("~") or "python3." in file:
            by_area["stdlib/builtins"] += tt
            others.append((tt, f"{os.path.basename(file)}:{line}({name})"))
        else:
            by_area["example"] += tt
    print(f"profiled {clients} clients in one process: {wall:.2f} s under cProfile "
          f"({wall / clients * 1000:.2f} ms per client; the profiler roughly doubles the cost)")
    print(f"\nown time by area (of {total:.2f} s):")
    for area, tt in by_area.most_common(12):
        print(f"  {tt:7.2f} s  {tt / total:6.1%}  {area}")
    print(f"\ntop {top} govern functions by own time (cumulative in brackets):")
    for tt, ct, where in sorted(rows, reverse=True)[:top]:
        print(f"  {tt:7.3f} s  [{ct:7.3f} s]  {where}")
    print("\ntop 8 standard-library / builtin functions by own time:")
    for tt, where in sorted(others, reverse=True)[:8]:
        print(f"  {tt:7.3f} s  {where}")
    cum = sorted(((ct, where) for _tt, ct, where in rows), reverse=True)
    print(f"\ntop {top} govern functions by cumulative time:")
    for ct, where in cum[:top]:
        print(f"  {ct:7.3f} s  {where}")
    return 0


def _chunks(items: Iterable[int], size: int) -> list[list[int]]:
    items = list(items)
    return [items[k:k + size] for k in range(0, len(items), size)]


def _histogram(rows: list[dict[str, Any]], key: str) -> str:
    counts = collections.Counter(r[key] for r in rows)
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def portfolio_digest(rows: list[dict[str, Any]]) -> str:
    text = "\n".join(f"{r['client']} {r['decision_digest']}" for r in rows)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    outcomes = collections.Counter(r["outcome"] for r in rows)
    frozen_better = sum(1 for r in rows if r["outcome"] == "frozen" and r["challenger_rmse"] is not None
                        and r["challenger_rmse"] < r["champion_rmse"])
    blocked = collections.Counter(d for r in rows if r["outcome"] == "blocked" for d in r["determining"])
    disagree = [r["client"] for r in rows if r["tier"] != r["eu_ai_act_tier"]]
    return {
        "clients": len(rows), "outcomes": {k: outcomes.get(k, 0) for k in OUTCOMES},
        "frozen_with_better_challenger": frozen_better, "blocked_by": dict(sorted(blocked.items())),
        "tiers": {"recommender-retrain": dict(collections.Counter(r["tier"] for r in rows)),
                  "eu-ai-act": dict(collections.Counter(r["eu_ai_act_tier"] for r in rows)),
                  "mlops-template": dict(collections.Counter(r["mlops_tier"] for r in rows))},
        "tier_disagreements_with_eu_ai_act": disagree,
        "portfolio_digest": portfolio_digest(rows),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=4000, help="number of client-specific models (default 4000)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="worker processes (default: CPU count; 1 = in-process)")
    ap.add_argument("--out", type=Path, default=HERE / "build", help="generated portfolio, results and store")
    ap.add_argument("--database", help="audit store URL (default: sqlite:///OUT/govern.db, recreated each run)")
    ap.add_argument("--no-record", action="store_true", help="do not record decisions in the audit store")
    ap.add_argument("--status-lines", type=int, default=12, help="lines of `govern status` to show (default 12)")
    ap.add_argument("--profile", type=int, metavar="N", default=0,
                    help="instead of the run: profile evaluation in-process (cProfile) and print the top N "
                         "functions inside govern by own time")
    ap.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                    help="progress bar: auto = only when stderr is a terminal (never in CI logs)")
    args = ap.parse_args(argv)
    if args.clients < 1 or args.workers < 1:
        ap.error("--clients and --workers must be at least 1")

    out: Path = args.out.resolve()
    progress = Progress(args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty()))
    workers = min(args.workers, args.clients)
    print(f"recommender portfolio: {args.clients} clients, {workers} worker(s), out {out}")

    regenerated, gen_s = generate(out, args.clients, workers, progress)
    print(f"generate   {'%.2f s' % gen_s if regenerated else 'cached (delete ' + str(out / 'generated.json') + ' to rebuild)'}")

    if args.profile:
        return profile(out, args.clients, args.profile)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    t0 = time.perf_counter()
    rows = evaluate(out, args.clients, workers, not args.no_record, progress)
    eval_s = time.perf_counter() - t0
    cpu_s = _W["cpu_s"]
    print(f"evaluate   {eval_s:.2f} s wall for {len(rows)} clients ({len(rows) / eval_s:,.0f}/s)  "
          f"[target <= 5 s: {'met' if eval_s <= 5 else 'MISSED'}]\n"
          f"           {cpu_s:.2f} s CPU in the workers = {cpu_s / len(rows) * 1000:.2f} ms per client "
          f"(load average {load:.1f} at start on {os.cpu_count()} CPUs)\n"
          f"           each: descriptor loaded, tier under 3 packs, plan compiled, nightly retrain checked "
          f"(target {TARGET}, as of {AS_OF})")

    summary = summarise(rows)
    summary["timings_s"] = {"generate": round(gen_s, 3) if regenerated else None, "evaluate": round(eval_s, 3),
                            "evaluate_cpu": round(cpu_s, 3)}
    summary["workers"], summary["load_average_at_start"] = workers, round(load, 2)
    o = summary["outcomes"]
    print(f"\nnightly retrain, {summary['clients']} clients:")
    print(f"  promoted (challenger RMSE better)   {o['promoted']:5d}")
    print(f"  kept champion (RMSE not better)     {o['kept_champion']:5d}")
    print(f"  frozen by the client                {o['frozen']:5d}   "
          f"({summary['frozen_with_better_challenger']} of them with a better challenger, not promoted)")
    print(f"  turned off by the client            {o['off']:5d}")
    print(f"  blocked (other gates)               {o['blocked']:5d}   "
          + "; ".join(f"{k} {v}" for k, v in summary["blocked_by"].items()))
    print("tiers:")
    for pack, hist in summary["tiers"].items():
        print(f"  {pack:<20} " + ", ".join(f"{k} {v}" for k, v in sorted(hist.items())))
    n_dis = len(summary["tier_disagreements_with_eu_ai_act"])
    print(f"  recommender-retrain agrees with eu-ai-act on {len(rows) - n_dis}/{len(rows)} clients")
    print(f"portfolio digest (all decision digests) {summary['portfolio_digest']}")

    (out / "results.jsonl").write_text("".join(json.dumps({k: v for k, v in r.items() if k != "decision"},
                                                          sort_keys=True) + "\n" for r in rows))
    if not args.no_record:
        database = args.database or f"sqlite:///{(out / 'govern.db').as_posix()}"
        if args.database is None:
            for suffix in ("", "-wal", "-shm"):
                Path(str(out / "govern.db") + suffix).unlink(missing_ok=True)
        rec_s, problem = record_decisions(rows, database, progress)
        if problem:
            print(f"\n{problem}")
        else:
            summary["timings_s"]["record"] = round(rec_s, 3)
            print(f"\nrecord     {rec_s:.2f} s: {len(rows)} decisions in {database} "
                  f"({rec_s / len(rows) * 1000:.2f} ms each)")
            status_s, lines = show_status(database, args.status_lines)
            summary["timings_s"]["status"] = round(status_s, 3)
            print(f"$ govern status --database {database} --as-of {AS_OF}   ({status_s:.2f} s)")
            print("\n".join("  " + line for line in lines))
    (out / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    print(f"\nresults: {out / 'results.jsonl'}, {out / 'summary.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
