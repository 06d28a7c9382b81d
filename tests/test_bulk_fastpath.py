"""The fast path of ingest-bulk (analysis/ingest/linescan.py): every row checked in bulk, only candidate lines parsed.

Each test cuts the text where a mistake of the fast path would show: a piece or block
boundary inside a North Korea row (or inside its ``408``), ``408`` in a column that is not
reporterCode or partnerCode, a ragged row far from any candidate, CRLF and a last line
without a line break, a long line in the middle of a piece.
"""

from __future__ import annotations

import gzip

import polars as pl
import pytest

from analysis.errors import DataError, Issue
from analysis.ingest import comtrade_bulk as cb
from analysis.ingest import linescan
from analysis.ingest.comtrade_layout import BULK_COLUMNS

from .test_comtrade import BULK

I_REP, I_PARTNER = BULK_COLUMNS.index("reporterCode"), BULK_COLUMNS.index("partnerCode")


@pytest.fixture(autouse=True, params=["compiled", "numpy"])
def counter(request, monkeypatch):
    """Every test runs with the compiled counter and with the numpy one (used where the module is not built)."""
    if request.param == "numpy":
        monkeypatch.setattr(linescan, "_counter", linescan._NumpyCounter)
    elif linescan.scanner_name() != "compiled":
        pytest.skip("analysis.ingest._linescan is not built (no C compiler at install): only the numpy counter runs")
    return request.param


def lines_of_fixture() -> list[str]:
    return BULK.read_bytes().decode("utf-8").split("\r\n")[:-1]  # CRLF, ends with a line break


def dprk(lines: list[str], columns=(I_REP, I_PARTNER)) -> list[int]:
    """1-based line numbers of the rows whose reporterCode or partnerCode is exactly 408."""
    return [n for n, row in enumerate(lines, start=1)
            if n > 1 and row.strip("\r") and any(row.split("\t")[c].strip() == "408" for c in columns)]


def extract(path, tmp_path) -> pl.DataFrame:
    out = tmp_path / f"{path.name}.parquet"
    cb.ingest_bulk([path], out, progress=False)
    return pl.read_parquet(out)


def small_pieces(monkeypatch, chunk: int, read: int = 7, block: int | None = None) -> None:
    monkeypatch.setattr(linescan, "CHUNK", chunk)
    monkeypatch.setattr(linescan, "_READ", read)
    if block is not None:
        monkeypatch.setattr(linescan, "_BLOCK", block)


# ----------------------------------------------------------- a row cut by a boundary
@pytest.mark.parametrize("shift", [-4, -3, -2, -1, 0, 1, 2])
def test_dprk_row_cut_by_a_piece_boundary_is_kept(tmp_path, monkeypatch, shift):
    """The first piece ends inside a North Korea row, at or around its 408 (``...\\t4|08\\t``,
    ``...\\t40|8\\t``, ``...\\t408|\\t`` ...): the row is whole again and kept, with its line number."""
    data = BULK.read_bytes()
    lines = lines_of_fixture()
    target = dprk(lines)[5]
    row_start = sum(len(x) + 2 for x in lines[:target - 1])
    cell = row_start + lines[target - 1].index("\t408\t") + 1  # the 4 of the partner's 408
    small_pieces(monkeypatch, chunk=cell + 2 + shift, read=1 << 20)  # plain text: pieces of CHUNK bytes
    p = tmp_path / "cut.txt"
    p.write_bytes(data)
    got = extract(p, tmp_path)
    assert got["_line"].to_list() == dprk(lines)
    assert got.drop("_file").equals(cb.scan_bulk([BULK]).collect().drop("_file"))


@pytest.mark.parametrize("block", [5, 64, 1000])
def test_block_boundaries_inside_a_piece_do_not_lose_or_invent_rows(tmp_path, monkeypatch, block):
    """The scanner checks a piece in blocks; a 408 that starts at the end of one block and ends in
    the next is found, and the line numbers counted block by block are the file's."""
    monkeypatch.setattr(linescan, "_BLOCK", block)
    gz = tmp_path / "f.txt.gz"
    gz.write_bytes(gzip.compress(BULK.read_bytes(), mtime=0))
    got = extract(gz, tmp_path)
    assert got["_line"].to_list() == dprk(lines_of_fixture())
    assert got.drop("_file").equals(cb.scan_bulk([BULK]).collect().drop("_file"))


# --------------------------------------------------- 408 where it does not count
def test_408_in_other_columns_at_line_start_and_end_is_not_kept(tmp_path, monkeypatch):
    """408 as a whole cell in datasetCode (first on the line), partner2Code, qtyUnitCode and
    isAggregate (last, before CR LF): candidates for the search, never kept."""
    lines = lines_of_fixture()
    others = [k for k in range(1, len(lines)) if k + 1 not in dprk(lines)][:3]
    for k, col in zip(others, ("datasetCode", "qtyUnitCode", "isAggregate")):
        cells = lines[k].split("\t")
        cells[BULK_COLUMNS.index(col)] = "408"
        cells[BULK_COLUMNS.index("partner2Code")] = "408"
        lines[k] = "\t".join(cells)
    p = tmp_path / "bait.txt"
    p.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    for chunk in (61, 1 << 20):
        small_pieces(monkeypatch, chunk=chunk, block=97)
        got = extract(p, tmp_path)
        assert got["_line"].to_list() == dprk(lines_of_fixture()), chunk
        assert not set(got["_line"]) & {k + 1 for k in others}


def test_reporter_code_first_on_the_line_is_found(tmp_path, monkeypatch):
    """Columns are read by name: with reporterCode first, a 408 at the very start of a line
    (after the previous line's line break) is a North Korea row."""
    lines = lines_of_fixture()
    order = [I_REP] + [i for i in range(len(BULK_COLUMNS)) if i != I_REP]
    moved = ["\t".join(row.split("\t")[i] for i in order) for row in lines]
    k = next(n for n in range(1, len(moved)) if n + 1 not in dprk(lines))
    cells = moved[k].split("\t")
    cells[0] = "408"  # now DPRK as reporter
    moved[k] = "\t".join(cells)
    p = tmp_path / "reordered.txt"
    p.write_bytes(("\r\n".join(moved) + "\r\n").encode())
    for chunk in (53, 1 << 20):
        small_pieces(monkeypatch, chunk=chunk, block=131)
        got = extract(p, tmp_path)
        assert got["_line"].to_list() == sorted(dprk(lines) + [k + 1])
        assert got.filter(pl.col("_line") == k + 1)["reporterCode"].to_list() == ["408"]
    assert got.drop("_file").equals(cb.scan_bulk([p]).collect().drop("_file"))


# ------------------------------------------------------ every row is still checked
@pytest.mark.parametrize("fields", [33, 35])
def test_ragged_row_in_a_piece_without_dprk_rows_is_named(tmp_path, monkeypatch, fields):
    """A row a field short (or long) in a piece that holds no North Korea row, so no line of that
    piece is ever split: the tab count of the piece catches it, and the error names its line."""
    lines = lines_of_fixture()
    hits = set(dprk(lines))
    # a run of 6 rows with no North Korea row; the ragged one in the middle
    k = next(n for n in range(2, len(lines) - 6) if not hits & set(range(n - 2, n + 5)))
    cells = lines[k].split("\t")
    lines[k] = "\t".join(cells[:-1] if fields == 33 else cells + ["x"])
    data = ("\r\n".join(lines) + "\r\n").encode()
    row_start = sum(len(x) + 2 for x in lines[:k])
    p = tmp_path / "ragged.txt.gz"
    p.write_bytes(gzip.compress(data, mtime=0))
    out = tmp_path / "out.parquet"
    for chunk in (len(lines[k]) * 3, 1 << 20):  # pieces of about three rows, then the whole file
        small_pieces(monkeypatch, chunk=chunk, read=97)
        assert b"408" not in data[row_start - len(lines[k - 1]):row_start + len(lines[k]) + 2]
        with pytest.raises(DataError) as err:
            cb.ingest_bulk([p], out, progress=False)
        (issue,) = err.value.issues
        assert (issue.line, f"{fields} fields" in issue.rule, "34" in issue.rule) == (k + 1, True, True), chunk
        assert not out.exists()


@pytest.mark.parametrize("chunk", [29, 300, 1 << 20])
def test_crlf_and_last_dprk_row_without_line_break(tmp_path, monkeypatch, chunk):
    """CRLF line ends and a last row (a North Korea row) without a line break, in small and large
    pieces: the last row is kept with its line number, and no cell keeps the CR."""
    lines = lines_of_fixture()
    last = lines[dprk(lines)[0] - 1]
    body = lines + [last]
    p = tmp_path / "crlf.txt"
    p.write_bytes("\r\n".join(body).encode())  # no line break after the last row
    small_pieces(monkeypatch, chunk=chunk)
    out = tmp_path / "out.parquet"
    counts = cb.ingest_bulk([p], out, progress=False)
    got = pl.read_parquet(out)
    assert got["_line"].to_list() == dprk(body) and got["_line"][-1] == len(body)
    assert counts["rows_scanned"] == len(body) - 1
    assert set(got["isAggregate"]) == {"0"}
    assert not any("\r" in (v or "") for col in got.select(pl.col(pl.String)).iter_columns() for v in col)


def test_long_line_in_the_middle_of_a_piece_is_caught(tmp_path):
    """The line length cap holds for a line inside a piece (not only for one carried over between
    pieces): with a cap of 700 bytes (the header is shorter), a 701-byte row in the middle fails, naming
    its line, and a 700-byte row passes."""
    lines = lines_of_fixture()
    header, k = lines[0], 40

    def with_row_of(size: int) -> list[int]:
        rows = list(lines)
        cells = rows[k].split("\t")
        cells[-2] += "1" * (size - len(rows[k]) - 2)  # + CR LF = size bytes
        rows[k] = "\t".join(cells)
        assert len(rows[k]) + 2 == size
        p = tmp_path / f"long{size}.txt"
        p.write_bytes(("\r\n".join(rows) + "\r\n").encode())
        found = []
        for c in linescan.candidate_lines(p, b"408", len(header.split("\t")), (I_REP, I_PARTNER), max_line=700, chunk=1 << 20):
            found += c.lines
        return found

    assert with_row_of(700) == dprk(lines)
    with pytest.raises(DataError) as err:
        with_row_of(701)
    assert err.value.issues[0].line == k + 1 and "longer than 700" in err.value.issues[0].rule


def test_reader_thread_stops_when_the_search_fails(tmp_path, monkeypatch):
    """A ragged row near the start of a large file ends the read at once; the inflating thread
    stops too (no thread left running, no lasting work)."""
    import threading

    lines = lines_of_fixture()
    lines[3] = lines[3] + "\textra"
    p = tmp_path / "big.txt.gz"
    p.write_bytes(gzip.compress((("\r\n".join(lines) + "\r\n") + ("\r\n".join(lines[1:]) + "\r\n") * 400).encode(), mtime=1))
    small_pieces(monkeypatch, chunk=4096, read=512)
    with pytest.raises(DataError) as err:
        cb.ingest_bulk([p], tmp_path / "out.parquet", progress=False)
    assert err.value.issues[0].line == 4
    assert not [t for t in threading.enumerate() if t.name == "inflate bulk file"]


def test_files_of_both_layouts_and_a_csv_in_one_extract(tmp_path):
    """Three files in one call (the bulk layout, the API layout, a comma-separated file), with row
    groups small enough that one holds rows of two files: each row has its own file's columns."""
    from .test_comtrade import BULK_API_LAYOUT

    rows = BULK.read_bytes().decode("utf-8").split("\r\n")
    csv = tmp_path / "bulk.csv"
    csv.write_text("\n".join(",".join(r.split("\t")) for r in rows if r) + "\n", encoding="utf-8")
    files = [BULK, BULK_API_LAYOUT, csv]
    alone = [extract(f, tmp_path) for f in files]
    out = tmp_path / "all.parquet"
    counts = cb.ingest_bulk(files, out, progress=False, row_group_size=7)
    together = pl.read_parquet(out)
    assert counts["rows_kept"] == together.height == sum(a.height for a in alone) == 3 * 19
    assert together.equals(pl.concat(alone))
    assert together["reporterDesc"].null_count() == 2 * 19  # only the API layout carries descriptions
    import pyarrow.parquet as pq

    assert pq.ParquetFile(out).metadata.num_row_groups == -(-together.height // 7)


# ------------------------------------------------- the reading thread and the writer's import
def test_reading_thread_starts_before_the_first_piece_is_asked_for():
    """Inflating begins as soon as the prefetcher is made (the searching thread imports numpy
    meanwhile); the items then come in order, and close() ends the thread."""
    import threading

    started = threading.Event()

    def pieces():
        started.set()
        yield from (b"a", b"b", b"c")

    ahead = linescan._Prefetch(pieces(), depth=2)
    try:
        assert started.wait(timeout=10)
        assert list(ahead) == [b"a", b"b", b"c"]
    finally:
        ahead.close()
    assert not ahead._worker.is_alive()


def test_reading_thread_error_is_raised_to_the_reader_and_an_early_stop_ends_the_thread():
    def failing():
        yield b"first"
        raise DataError([Issue("f.txt.gz", None, None, "the gzip file ends early (truncated download?)")])

    ahead = linescan._Prefetch(failing(), depth=1)
    got = []
    with pytest.raises(DataError) as err:
        for item in ahead:
            got.append(item)
    ahead.close()
    assert got == [b"first"]
    assert "ends early" in err.value.issues[0].rule

    closed = []

    def endless():  # never ends by itself
        try:
            while True:
                yield b"x" * 10
        finally:
            closed.append(True)

    ahead = linescan._Prefetch(endless(), depth=2)
    assert next(iter(ahead)) == b"x" * 10
    ahead.close()
    assert not ahead._worker.is_alive()
    assert closed == [True]  # the producer's generator (its open file) was closed, not left to the collector


def test_closing_the_candidate_reader_early_ends_the_reading_thread(tmp_path, monkeypatch):
    import threading

    lines = lines_of_fixture()
    p = tmp_path / "big.txt.gz"
    p.write_bytes(gzip.compress((("\r\n".join(lines) + "\r\n") + ("\r\n".join(lines[1:]) + "\r\n") * 200).encode(), mtime=1))
    small_pieces(monkeypatch, chunk=4096, read=512)
    reader = linescan.candidate_lines(p, b"408", len(BULK_COLUMNS), (I_REP, I_PARTNER),
                                      chunk=linescan.CHUNK, read=linescan._READ)
    first = next(reader)
    assert first.lines_scanned > 1
    reader.close()
    assert not [t for t in threading.enumerate() if t.name == "inflate bulk file"]


def test_ingest_bulk_command_runs_numpy_with_one_blas_thread_unless_told_otherwise(tmp_path, monkeypatch):
    import os

    from analysis import cli

    for name in cli.SINGLE_THREADED:  # restored after the test, whatever main() set
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["ingest-bulk", str(BULK), "--out", str(tmp_path / "a.parquet"), "--quiet"]) == 0
    assert [os.environ[name] for name in cli.SINGLE_THREADED] == ["1", "1", "1"]
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert cli.main(["ingest-bulk", str(BULK), "--out", str(tmp_path / "b.parquet"), "--quiet"]) == 0
    assert os.environ["OPENBLAS_NUM_THREADS"] == "3"
    assert pl.read_parquet(tmp_path / "a.parquet").height == pl.read_parquet(tmp_path / "b.parquet").height == 19


# ----------------------------------------------------------------- gzip data, however it is cut
@pytest.mark.parametrize("read", [7, 512, 1 << 20])
@pytest.mark.parametrize("keep", [0.6, 0.9, -4])
def test_truncated_gzip_is_named_whatever_the_reads(tmp_path, monkeypatch, read, keep):
    """A gzip file cut inside its compressed data (0.6, 0.9 of it) or inside its trailer (-4 bytes)."""
    lines = lines_of_fixture()
    data = gzip.compress((("\r\n".join(lines) + "\r\n") * 30).encode(), mtime=1)
    cut = int(len(data) * keep) if keep > 0 else len(data) + keep
    p = tmp_path / "cut.txt.gz"
    p.write_bytes(data[:cut])
    small_pieces(monkeypatch, chunk=4096, read=read)
    with pytest.raises(DataError) as err:
        cb.ingest_bulk([p], tmp_path / "out.parquet", progress=False)
    issue = err.value.issues[0]
    assert issue.file.endswith("cut.txt.gz") and issue.rule == "the gzip file ends early (truncated download?)"


@pytest.mark.parametrize("read", [7, 1 << 20])
def test_bytes_after_the_last_member_are_named_but_zero_padding_is_skipped(tmp_path, monkeypatch, read):
    """Bytes that are not gzip after the last member are an error; NUL bytes there (as tape and
    block devices pad files, and as gzip itself skips them) are not."""
    small_pieces(monkeypatch, chunk=4096, read=read)
    data = gzip.compress(BULK.read_bytes(), mtime=0)
    bad = tmp_path / "tail.txt.gz"
    bad.write_bytes(data + b"this is not gzip data")
    with pytest.raises(DataError) as err:
        cb.ingest_bulk([bad], tmp_path / "out.parquet", progress=False)
    assert err.value.issues[0].rule.startswith("not a readable gzip file (")
    padded = tmp_path / "padded.txt.gz"
    padded.write_bytes(data + b"\0" * 100)
    assert extract(padded, tmp_path)["_line"].to_list() == dprk(lines_of_fixture())


def test_the_benchmarks_inflate_only_floor_reads_every_member(tmp_path):
    """The floor ingest-bulk is measured against must inflate the whole file: a floor that stopped after the first
    gzip member would be too fast and make every ratio look worse (or, counted wrongly, better)."""
    from bench.contenders import inflate_only

    p = tmp_path / "two_members.txt.gz"
    p.write_bytes(gzip.compress(b"a\tb\r\n" * 1000, mtime=1) + gzip.compress(b"c\td\r\n" * 1500, mtime=1))
    assert inflate_only(p) == 5 * 2500
