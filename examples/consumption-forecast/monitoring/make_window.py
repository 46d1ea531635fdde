"""Generate the monitoring evidence bundle: a validation reference and a production window of scored requests.

The window is the point: ten million hourly region requests (the default) written as Parquet
parts, far more than the pandas engine should hold, so the manifest names it as a source and
the drift check counts it in DuckDB (``--engine spark`` writes a manifest for Spark instead).
Nothing here is committed: the bundle is rebuilt in ~10-20 s, seeded, byte-identical each time.

    python examples/consumption-forecast/monitoring/make_window.py            # 10M rows
    python examples/consumption-forecast/monitoring/make_window.py --rows 200000 --out /tmp/mon
    python examples/consumption-forecast/monitoring/make_window.py --shift 2.5  # a warm spell: drift
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

HERE = Path(__file__).resolve().parent
REGIONS = np.array(["north", "east", "south", "west"])
BASE_MW = np.array([1700.0, 1500.0, 2100.0, 1250.0])
PART_ROWS = 1_000_000
SEED = 20260115


def requests(rng: np.random.Generator, n: int, warming: float) -> pa.Table:
    """Hourly requests: region, hour, the temperature forecast, yesterday's load, and the model's forecast."""
    region = rng.integers(0, 4, n)
    hour = rng.integers(0, 24, n)
    temperature = np.round(rng.normal(9.0 + warming, 5.5, n), 1)
    daily = 1 + 0.18 * np.sin((hour - 7) / 24 * 2 * np.pi)
    heating = 1 + 0.012 * np.clip(15 - temperature, 0, None)
    load = BASE_MW[region] * daily * heating
    lag = np.round(load * rng.normal(1.0, 0.03, n), 3)
    forecast = np.round(load * rng.normal(1.0, 0.02, n), 3)
    return pa.table({"request_id": np.arange(n, dtype=np.int64), "region": REGIONS[region],
                     "hour": hour.astype(np.int64), "temperature_c": temperature,
                     "load_lag_24h_mw": lag, "forecast_mw": forecast})


def build(out: Path, rows: int, engine: str, shift: float) -> Path:
    if out.exists():
        shutil.rmtree(out)
    (out / "data" / "window").mkdir(parents=True)
    rng = np.random.default_rng(SEED)
    pq.write_table(requests(rng, 500_000, 0.0), out / "data" / "reference.parquet")
    for part, start in enumerate(range(0, rows, PART_ROWS)):
        table = requests(rng, min(PART_ROWS, rows - start), 0.3 + shift)  # a slightly milder month
        pq.write_table(table, out / "data" / "window" / f"part-{part:04d}.parquet")
    if engine == "spark":
        sources = {"reference": {"spark": "data/reference.parquet", "format": "parquet"},
                   "window": {"spark": "data/window", "format": "parquet"}}
    else:
        sources = {"reference": "parquet:data/reference.parquet", "window": "parquet:data/window/*.parquet"}
    manifest = {"bundle": "grid-load-forecaster-monitoring",
                "model": {"name": "grid-load-forecaster", "version": "1.4.0"},
                "data": {"engine": engine, "sources": sources}}
    (out / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows in the production window")
    parser.add_argument("--out", type=Path, default=HERE / "evidence", help="bundle folder (replaced)")
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    parser.add_argument("--shift", type=float, default=0.0, help="extra warming of the window, in °C")
    args = parser.parse_args()
    out = build(args.out, args.rows, args.engine, args.shift)
    print(f"wrote {out} ({args.rows:,} window rows, engine {args.engine})")


if __name__ == "__main__":
    main()
