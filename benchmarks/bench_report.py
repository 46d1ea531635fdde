"""Benchmark: cold `govern report` for the credit-risk example (target ≤ 3 s, ≤ 250 MB peak RSS).

Each run is a fresh process (cold imports, cold font cache in WeasyPrint), timed from the outside
with ``os.wait4`` so wall time, CPU time (user + sys) and peak RSS belong to that process alone.
Three modes:

* ``evaluate+render``: ``govern report USE_CASE -p POLICY -e EVIDENCE`` — evaluates, then renders;
* ``render from store``: ``govern report --evaluation ID -p POLICY -e EVIDENCE`` — the decision is
  read from the audit store, so this is the cost of the report alone;
* ``check alone``: ``govern check USE_CASE -p POLICY -e EVIDENCE -f json --no-record`` — the
  evaluation ``evaluate+render`` also pays, so ``evaluate+render / (check alone + render from
  store)`` says whether evaluating and rendering in one process costs more than the two apart;
* a one-process phase breakdown (evaluation, view-model + charts + diagrams, Jinja2, WeasyPrint).

CPU time is reported next to wall time because the benchmark machine may be shared: wall time
rises with the load average, CPU time much less.

    .venv/bin/python benchmarks/bench_report.py [--runs 3] [--evidence DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "eu-ai-act"
USE_CASE = ROOT / "examples" / "credit-risk" / "use_case.yaml"
EVIDENCE = ROOT / "examples" / "credit-risk" / "evidence"
AS_OF = "2026-06-01"


def run(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, float]:
    # output goes to files, not pipes: `check -f json` prints more than a pipe holds, and the
    # child would block writing while we wait for it
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "govern", *args], cwd=cwd, env=env, stdout=out, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        errors.seek(0)
        err = errors.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"govern {' '.join(args)} failed ({proc.returncode}):\n{err.decode()}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}


def pages(path: Path) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:
        return -1
    return len(PdfReader(path).pages)


def phases(evidence: Path) -> dict[str, float]:
    code = f"""
import time, datetime, json
t = [time.perf_counter()]
import govern
from govern.evaluate.pipeline import check
from govern.classification import classify
from govern.plan.graph import compile_plan
from govern.evidence.bundle import EvidenceBundle
policy = govern.load_policy({str(POLICY)!r}); use_case = govern.load_use_case({str(USE_CASE)!r}, policy)
decision = check(policy, use_case, {str(evidence)!r}, target="production", as_of=datetime.date(2026, 6, 1))
plan = compile_plan(policy, use_case, classify(policy, use_case, decision.as_of)); bundle = EvidenceBundle.open({str(evidence)!r})
t.append(time.perf_counter())
from govern.report import render
from govern.report.context import build_context
dirs = render.template_dirs(); theme = render.load_theme(dirs)
ctx = build_context(decision.to_dict(), policy=policy, plan=plan, use_case=use_case, bundle=bundle, theme=theme)
t.append(time.perf_counter())
ctx["created"] = "2026-06-01T00:00:00Z"; ctx["attachments"] = []
html = render._environment(dirs).get_template("report.html.j2").render(**ctx)
t.append(time.perf_counter())
import weasyprint
t.append(time.perf_counter())
pdf = render.html_to_pdf(html, moment=datetime.datetime(2026, 6, 1), attachments=[])
t.append(time.perf_counter())
names = ["evaluate", "context+charts+diagrams", "jinja2", "import weasyprint", "weasyprint layout+pdf"]
print(json.dumps({{n: t[i + 1] - t[i] for i, n in enumerate(names)}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--evidence", type=Path, default=EVIDENCE)
    parser.add_argument("--json", type=Path)
    opts = parser.parse_args()
    results: dict[str, object] = {"load_average_before": os.getloadavg(), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = f"sqlite:///{(work / 'govern.db').as_posix()}"
        env = {**os.environ, "GOVERN_DATABASE_URL": db}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: bytecode cached (the first run writes it)
        # record one evaluation for the store mode (this also warms the OS file cache, not Python);
        # at today's date: a replay (--as-of) is never recorded
        run(["check", str(USE_CASE), "-p", str(POLICY), "-e", str(opts.evidence), "--target", "production"], env, work)
        modes = {
            "evaluate+render": ["report", str(USE_CASE), "-p", str(POLICY), "-e", str(opts.evidence),
                                "--as-of", AS_OF, "--target", "production", "-o", str(work / "a.pdf")],
            "render from store": ["report", "--evaluation", "1", "-p", str(POLICY), "-e", str(opts.evidence),
                                  "-o", str(work / "b.pdf")],
            "check alone": ["check", str(USE_CASE), "-p", str(POLICY), "-e", str(opts.evidence), "--as-of", AS_OF,
                            "--target", "production", "-f", "json", "--no-record"],
        }
        for name, args in modes.items():
            samples = [run(args, env, work) for _ in range(opts.runs)]
            results[name] = {
                "wall_s_median": statistics.median(s["wall_s"] for s in samples),
                "wall_s_min": min(s["wall_s"] for s in samples),
                "cpu_s_median": statistics.median(s["cpu_s"] for s in samples),
                "peak_rss_mb_max": max(s["peak_rss_mb"] for s in samples),
                "runs": samples,
            }
        results["pages"] = pages(work / "a.pdf")
        results["pages_from_store"] = pages(work / "b.pdf")
        results["pdf_kb"] = round((work / "a.pdf").stat().st_size / 1024)
    results["phases_s"] = phases(opts.evidence)
    results["load_average_after"] = os.getloadavg()
    for name in ("evaluate+render", "render from store", "check alone"):
        r = results[name]
        print(f"{name:18s} wall median {r['wall_s_median']:.2f} s (min {r['wall_s_min']:.2f}), "  # type: ignore[index]
              f"cpu {r['cpu_s_median']:.2f} s, peak RSS {r['peak_rss_mb_max']:.0f} MB")  # type: ignore[index]
    ratio = {k: results["evaluate+render"][f"{k}_median"] / (results["check alone"][f"{k}_median"]  # type: ignore[index]
                                                            + results["render from store"][f"{k}_median"])  # type: ignore[index]
             for k in ("wall_s", "cpu_s")}
    results["evaluate+render / (check + render from store)"] = ratio
    print(f"evaluate+render / (check alone + render from store): wall {ratio['wall_s']:.2f}, cpu {ratio['cpu_s']:.2f}")
    print(f"pages {results['pages']} (from store {results['pages_from_store']}), {results['pdf_kb']} KB")
    print("phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in results["phases_s"].items()))  # type: ignore[union-attr]
    print(f"load average before {results['load_average_before']}, after {results['load_average_after']}, "
          f"{results['cpus']} CPUs")
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
