"""Evidence tables: CSV/Parquet only, size-capped, every failure a diagnostic with file and line."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import pandas as pd
import pytest

from govern.errors import EvidenceError
from govern.stats.frames import read_table


def diag(exc: pytest.ExceptionInfo[EvidenceError]):
    assert len(exc.value.diagnostics) == 1
    return exc.value.diagnostics[0]


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({"x": [1.0, 2.5, None], "city": ["a", "b", "c"], "n": [1, 2, 3]})


def test_reads_csv_gzip_and_parquet_identically(tmp_path: Path, table):
    table.to_csv(tmp_path / "t.csv", index=False)
    with gzip.open(tmp_path / "t.csv.gz", "wt") as fh:
        table.to_csv(fh, index=False)
    table.to_parquet(tmp_path / "t.parquet", index=False)
    for name in ("t.csv", "t.csv.gz", "t.parquet"):
        got = read_table(tmp_path / name)
        pd.testing.assert_frame_equal(got, table, check_dtype=False)
    assert list(read_table(tmp_path / "t.parquet", columns=["city"]).columns) == ["city"]
    assert list(read_table(tmp_path / "t.csv", columns=["n", "x"]).columns) == ["x", "n"]


@pytest.mark.parametrize("name", ["t.pkl", "t.pickle", "t.json", "t.feather", "t.csv.bz2", "t"])
def test_other_formats_are_refused_before_reading(tmp_path: Path, table, name):
    path = tmp_path / name
    path.write_bytes(pickle.dumps(table))
    with pytest.raises(EvidenceError) as exc:
        read_table(path)
    d = diag(exc)
    assert d.code == "evidence-format" and "pickle" in (d.hint or "")


def test_malformed_csv_reports_the_line(tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6,7\n")
    with pytest.raises(EvidenceError) as exc:
        read_table(path)
    d = diag(exc)
    assert d.code == "evidence-malformed"
    assert d.span is not None and d.span.file.endswith("bad.csv") and d.span.line == 4
    assert "bad.csv:4:1" in d.render()


def test_empty_and_header_only_files(tmp_path: Path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("a,b\n")
    (tmp_path / "blank.csv").write_text("\n\n")
    for name in ("empty.csv", "header.csv", "blank.csv"):
        with pytest.raises(EvidenceError) as exc:
            read_table(tmp_path / name)
        assert diag(exc).code == "evidence-empty", name


def test_size_limit_missing_file_and_directory(tmp_path: Path, table):
    table.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(EvidenceError) as exc:
        read_table(tmp_path / "t.csv", max_bytes=10)
    assert diag(exc).code == "evidence-too-large"
    with pytest.raises(EvidenceError) as exc:
        read_table(tmp_path / "nope.csv")
    assert diag(exc).code == "evidence-missing"
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(EvidenceError) as exc:
        read_table(tmp_path / "dir.csv")
    assert diag(exc).code == "evidence-not-a-file"


def test_corrupt_parquet_and_gzip(tmp_path: Path):
    (tmp_path / "t.parquet").write_bytes(b"PAR1 not really parquet")
    (tmp_path / "t.csv.gz").write_bytes(b"not gzip at all")
    for name in ("t.parquet", "t.csv.gz"):
        with pytest.raises(EvidenceError) as exc:
            read_table(tmp_path / name)
        assert diag(exc).code in ("evidence-malformed", "evidence-unreadable"), name


def test_non_utf8_csv(tmp_path: Path):
    (tmp_path / "latin.csv").write_bytes("name\nJosé\n".encode("latin-1"))
    with pytest.raises(EvidenceError) as exc:
        read_table(tmp_path / "latin.csv")
    assert diag(exc).code == "evidence-unreadable"


def test_missing_column_suggests_the_closest(tmp_path: Path, table):
    table.to_parquet(tmp_path / "t.parquet", index=False)
    table.to_csv(tmp_path / "t.csv", index=False)
    for name in ("t.parquet", "t.csv"):
        with pytest.raises(EvidenceError) as exc:
            read_table(tmp_path / name, columns=["cty"])
        d = diag(exc)
        assert d.code == "evidence-column-missing" and "city" in (d.hint or "")


def test_frames_module_never_mentions_pickle_loading():
    source = (Path(__file__).parents[2] / "src/govern/stats/frames.py").read_text()
    for forbidden in ("read_pickle", "pickle.load", "import pickle", "allow_pickle=True"):
        assert forbidden not in source
