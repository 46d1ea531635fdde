"""The report's figures: the gate graph, the lineage graph, and the fairness, drift and performance charts.

Drawn after every section's data is assembled, and only when asked (``charts=True``), because
drawing reads the drift data files again — tests of the view-model skip that.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govern.evidence.bundle import EvidenceBundle

DRIFT_PLOTS = 4


def draw_figures(ctx: dict[str, Any], theme: dict[str, Any], decision: dict[str, Any], bundle: "EvidenceBundle | None") -> None:
    from govern.report import charts, diagrams

    palette = theme.get("status", {})
    use_case = ctx["meta"]["use_case"]["name"] or ctx["meta"]["use_case"]["id"]
    statuses = ", ".join(f"{g['title']}: {g['status']}" for g in ctx["gates"])
    ctx["gate_diagram"] = diagrams.gate_graph(
        ctx["gates"], ctx["gate_edges"], palette,
        title=f"Gate graph of {use_case}, in stage order. {statuses}.") if ctx["gates"] else None
    lin = ctx["lineage"]
    if lin.get("graph") is not None:
        pii = [n["name"] for n in lin["nodes"] if n["pii"] == "yes" and n["anonymised"] == "no"]
        lin["diagram"] = diagrams.lineage_graph(
            lin["graph"], theme.get("lineage", {}),
            title=f"Lineage: {len(lin['nodes'])} nodes from sources through jobs to the model"
                  + (f"; personal data (PII) in {', '.join(pii)}" if pii else "") + ".")
    lin.pop("graph", None)
    for f in ctx["fairness"]:
        groupings = f.pop("_groupings")
        f["chart"] = charts.fairness_chart(
            groupings, theme, alt=f"Bar chart of selection rates per group for {f['title']}, with the four-fifths "
                                  f"line at 80% of the highest rate. Lowest impact ratio "
                                  f"{f['summary'][0][1] if f['summary'] else 'n/a'}.") if groupings else None
    for p in ctx["performance"]:
        raw = p.pop("_raw")
        p["chart"] = charts.performance_chart(
            raw["groups"], raw["overall"], p["floor"], raw["metric"], theme,
            alt=f"Bar chart of {p['metric']} by {p['group_by']}: overall {p['overall']}, worst {p['worst_group']} "
                f"{p['worst']}.") if raw["groups"] else None
    for d in ctx["drift"]:
        d["chart"] = None
        if not d["available"]:
            continue
        top = [r for r in d["features"] if r["drifted"]][:DRIFT_PLOTS] or d["features"][:DRIFT_PLOTS]
        if bundle is None:
            d["plots_note"] = "Distribution plots need the evidence folder, which was not available."
            continue
        panels = _drift_panels(bundle, d, top)
        if panels:
            d["chart"] = charts.drift_chart(
                panels, theme, alt="Reference versus current distributions of the most drifted features: "
                                   + ", ".join(p["name"] for p in panels) + ".")
            d["plotted"] = [p["name"] for p in panels]
        else:
            d["plots_note"] = "The reference and current data could not be read for plotting."


def _drift_panels(bundle: "EvidenceBundle", drift: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = [r["name"] for r in rows]
    ref = _read_columns(bundle, drift.get("reference_path"), names)
    cur = _read_columns(bundle, drift.get("current_path"), names)
    if ref is None or cur is None:
        return []
    panels = []
    for r in rows:
        if r["name"] not in ref or r["name"] not in cur:
            continue
        numeric = r["kind"] == "numeric"
        rv, cv = _values(ref[r["name"]], numeric), _values(cur[r["name"]], numeric)
        caption = (f"{r['test']} {r['statistic']}, p {r['pvalue']}, PSI {r['psi']}"
                   + (f", Wasserstein {r['wasserstein']}" if numeric else "")
                   + f"  —  {r['flag']}")
        panels.append({"name": r["name"], "kind": "numeric" if numeric else "categorical", "reference": rv,
                       "current": cv, "caption": caption})
    return panels


def _values(raw: list[str], numeric: bool) -> list[Any]:
    out: list[Any] = []
    for v in raw:
        if v is None or v == "" or v.lower() in ("nan", "na", "null", "none"):
            continue
        if numeric:
            try:
                x = float(v)
            except ValueError:
                continue
            if math.isfinite(x):
                out.append(x)
        else:
            out.append(v)
    return out


def _read_columns(bundle: "EvidenceBundle", path: str | None, names: list[str]) -> dict[str, list[str]] | None:
    """Selected columns of a CSV (or Parquet, with pyarrow) evidence file, as strings."""
    if not path:
        return None
    try:
        ef = bundle.file(path)
    except Exception:  # noqa: BLE001
        return None
    if ef.path.endswith(".parquet"):
        try:
            import pyarrow.parquet as pq

            table = pq.read_table(ef.abs_path, columns=[n for n in names])
            return {n: [None if v is None else str(v) for v in table.column(n).to_pylist()] for n in table.column_names}
        except Exception:  # noqa: BLE001
            return None
    import csv

    try:
        with ef.abs_path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            index = {n: header.index(n) for n in names if n in header}
            cols: dict[str, list[str]] = {n: [] for n in index}
            for row in reader:
                for n, i in index.items():
                    cols[n].append(row[i] if i < len(row) else "")
            return cols
    except (OSError, StopIteration, UnicodeDecodeError, csv.Error):
        return None
