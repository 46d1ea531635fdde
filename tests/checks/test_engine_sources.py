"""The data checks (drift, fairness, performance_by_group, data_quality) read DuckDB/Parquet-glob sources named
in the manifest, with the same numbers."""

from __future__ import annotations

import math

import duckdb
import yaml

from govern.evaluate.pipeline import check
from tests.checks.test_data_checks import AS_OF, results, setup  # noqa: F401  (the fixture)


def _manifest(evidence, data):
    manifest = yaml.safe_load((evidence / "manifest.yaml").read_text())
    manifest["data"] = data
    (evidence / "manifest.yaml").write_text(yaml.safe_dump(manifest))


def _close(expected, actual, path="measured"):
    """Counts and labels identical, floats within 1e-9 relative (the engines' summation order differs)."""
    if isinstance(expected, dict):
        assert list(expected) == list(actual), path
        for key in expected:
            _close(expected[key], actual[key], f"{path}.{key}")
    elif isinstance(expected, (list, tuple)):
        assert len(expected) == len(actual), path
        for i, (e, a) in enumerate(zip(expected, actual)):
            _close(e, a, f"{path}[{i}]")
    elif isinstance(expected, float):
        assert math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-300), f"{path}: {expected} != {actual}"
    else:
        assert expected == actual, f"{path}: {expected!r} != {actual!r}"


def _measured(decision, check_id):
    measured = dict(results(decision)[check_id].measured)
    measured.pop("engine", None)
    return measured


def test_duckdb_database_and_parquet_glob_sources_give_the_pandas_numbers(setup, tmp_path):  # noqa: F811
    policy, use_case, evidence, predictions, reference, current = setup
    expected = check(policy, use_case, evidence, target="validation", as_of=AS_OF)

    # the current window as two Parquet parts, the predictions in a DuckDB database (queried)
    (evidence / "data" / "window").mkdir()
    half = len(current) // 2
    current.iloc[:half].to_parquet(evidence / "data" / "window" / "part-0.parquet", index=False)
    current.iloc[half:].to_parquet(evidence / "data" / "window" / "part-1.parquet", index=False)
    (evidence / "data" / "current.csv").unlink()
    con = duckdb.connect(str(evidence / "data" / "scored.duckdb"))
    con.register("frame", predictions)
    con.execute("CREATE TABLE scored AS SELECT * FROM frame")
    con.close()
    _manifest(evidence, {"engine": "duckdb", "sources": {
        "data/current.csv": "parquet:data/window/*.parquet",
        "data/predictions.csv": {"duckdb": "data/scored.duckdb", "query": "SELECT * FROM scored WHERE score >= 0"},
    }})
    got = check(policy, use_case, evidence, target="validation", as_of=AS_OF)
    for check_id in ("drift", "four_fifths", "tpr_gap", "segments", "quality"):
        assert results(got)[check_id].measured["engine"] == "duckdb"
        _close(_measured(expected, check_id), _measured(got, check_id), check_id)
        assert results(got)[check_id].status == results(expected)[check_id].status
    drift_files = {ref.path for ref in results(got)["drift"].evidence}
    assert {"data/window/part-0.parquet", "data/window/part-1.parquet", "data/reference.csv"} <= drift_files
    assert "data/scored.duckdb" in {ref.path for ref in results(got)["four_fifths"].evidence}
    assert "data/scored.duckdb" in {ref.path for ref in results(got)["segments"].evidence}


def test_a_duckdb_query_cannot_escape_the_bundle(setup, tmp_path):  # noqa: F811
    policy, use_case, evidence, predictions, *_ = setup
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n")
    con = duckdb.connect(str(evidence / "data" / "scored.duckdb"))
    con.register("frame", predictions)
    con.execute("CREATE TABLE scored AS SELECT * FROM frame")
    con.close()
    for query in (f"SELECT * FROM read_csv('{outside}')", "SELECT 1; DROP TABLE scored", "COPY scored TO 'x.csv'"):
        _manifest(evidence, {"sources": {"data/predictions.csv": {"duckdb": "data/scored.duckdb", "query": query}}})
        got = results(check(policy, use_case, evidence, target="validation", as_of=AS_OF))["four_fifths"]
        assert got.status == "error", query
        assert "SELECT statement" in got.message or "disabled" in got.message, got.message
