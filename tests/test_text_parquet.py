"""The Parquet writer of ingest-bulk's extract (analysis/ingest/text_parquet.py), read back by pyarrow and polars.

Each test writes a file with :class:`TextParquetWriter` and reads it with two independent
readers, comparing every cell with what was written and with what pyarrow writes from the
same values: a mistake in the format (a wrong Thrift field, a definition level off by one
run, a length prefix in the wrong byte order) makes a reader fail or a cell differ.
"""

from __future__ import annotations

from array import array

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.ingest.text_parquet import TextParquetWriter, _levels

COLUMNS = [("a", "text"), ("b", "text"), ("n", "int64")]


def write(path, columns, groups):
    w = TextParquetWriter(path, columns)
    for g in groups:
        w.write_row_group(g)
    w.close()
    return path


def expected(columns, groups) -> dict[str, list]:
    out: dict[str, list] = {name: [] for name, _ in columns}
    for g in groups:
        for (name, kind), values in zip(columns, g):
            out[name] += list(values) if kind == "int64" else [v.decode("utf-8") if v else None for v in values]
    return out


GROUPS = [
    [[b"", b"x", b"", b"yz"], [b"1", b"2", b"3", b"4"], array("q", [2, 3, 5, 7])],
    [[b"\xc3\xa9t\xc3\xa9", b""], [b"", b""], array("q", [-1, 2**62])],  # non-ASCII text, a column all null, big and negative numbers
]


def test_both_readers_read_back_every_cell(tmp_path):
    p = write(tmp_path / "t.parquet", COLUMNS, GROUPS)
    want = expected(COLUMNS, GROUPS)
    assert pq.read_table(p).to_pydict() == want
    assert pl.read_parquet(p).to_dict(as_series=False) == want


def test_the_file_matches_what_pyarrow_writes_from_the_same_values(tmp_path):
    ours = write(tmp_path / "ours.parquet", COLUMNS, GROUPS)
    want = expected(COLUMNS, GROUPS)
    schema = pa.schema([("a", pa.string()), ("b", pa.string()), pa.field("n", pa.int64(), nullable=False)])
    pq.write_table(pa.table(want, schema=schema), tmp_path / "theirs.parquet")
    assert pq.read_table(ours).equals(pq.read_table(tmp_path / "theirs.parquet"))
    meta = pq.ParquetFile(ours).metadata
    assert (meta.num_rows, meta.num_row_groups, meta.num_columns) == (6, 2, 3)
    assert [meta.row_group(i).num_rows for i in range(2)] == [4, 2]
    col = meta.row_group(0).column(0)
    assert (col.compression, col.path_in_schema, col.num_values) == ("GZIP", "a", 4)
    assert pq.ParquetFile(ours).schema_arrow.field("a").type == pa.string()
    assert not pq.ParquetFile(ours).schema_arrow.field("n").nullable


def test_many_columns_and_long_runs(tmp_path):
    # 20 columns (a Thrift list of 15 or more needs the long header), runs of 300 values (two-byte varints)
    columns = [(f"c{i}", "text") for i in range(20)] + [("line", "int64")]
    n = 700
    text = [b"v" * (i % 3) for i in range(n)]  # null, 'v', 'vv', ...
    runs = [b""] * 300 + [b"408"] * 300 + [b""] * 100
    group = [text if i % 2 else runs for i in range(20)] + [array("q", range(n))]
    p = write(tmp_path / "wide.parquet", columns, [group])
    want = expected(columns, [group])
    assert pl.read_parquet(p).to_dict(as_series=False) == want
    assert pq.read_table(p).to_pydict() == want


def test_no_rows_gives_a_readable_file_with_the_schema(tmp_path):
    p = write(tmp_path / "empty.parquet", COLUMNS, [])
    df = pl.read_parquet(p)
    assert df.height == 0 and df.columns == ["a", "b", "n"]
    assert df.schema == {"a": pl.String, "b": pl.String, "n": pl.Int64}
    assert pq.ParquetFile(p).metadata.num_row_groups == 0


def test_definition_levels_are_runs_of_present_and_null():
    # 4-byte length, then per run: varint(length << 1) and the level (1 present, 0 null)
    assert _levels([b"a", b"b", b"", b"c"]) == bytes([6, 0, 0, 0, 4, 1, 2, 0, 2, 1])
    assert _levels([b""] * 200) == bytes([3, 0, 0, 0, 0x90, 0x03, 0])


def test_bad_row_groups_are_refused(tmp_path):
    w = TextParquetWriter(tmp_path / "bad.parquet", COLUMNS)
    with pytest.raises(ValueError, match="needs 3 columns"):
        w.write_row_group([[b"a"], [b"b"]])
    with pytest.raises(ValueError, match="same number of rows"):
        w.write_row_group([[b"a"], [b"b", b"c"], array("q", [1])])
    with pytest.raises(ValueError, match="kind must be"):
        TextParquetWriter(tmp_path / "other.parquet", [("x", "float")])
    w.abort()
