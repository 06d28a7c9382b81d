"""ingest-bulk streams: exactly the North Korea rows, from files of any shape, in memory that does not grow with the file."""

from __future__ import annotations

import gzip
import sys

import numpy as np
import polars as pl
import pytest

from analysis.errors import DataError
from analysis.ingest import comtrade_bulk as cb
from analysis.ingest import linescan
from analysis.ingest.comtrade_layout import BULK_COLUMNS
from analysis.paths import ROOT
from bench.generate_bulk import expected_dprk_lines, generate
from bench.measure import measure

from .test_comtrade import BULK

I_PARTNER = BULK_COLUMNS.index("partnerCode")


def fixture_lines() -> list[str]:
    return BULK.read_text(encoding="utf-8").splitlines()


def extract(path, tmp_path) -> pl.DataFrame:
    out = tmp_path / f"{path.name}.parquet"
    cb.ingest_bulk([path], out, progress=False)
    return pl.read_parquet(out)


def dprk_lines(lines: list[str]) -> list[int]:
    """Expected 1-based line numbers: rows whose partnerCode is 408 (the fixture's reporters are never 408)."""
    return [n for n, row in enumerate(lines, start=1) if n > 1 and row and row.split("\t")[I_PARTNER] == "408"]


# --------------------------------------------------------- the same rows as the lazy scan
def test_chunk_boundaries_do_not_change_the_rows(tmp_path, monkeypatch):
    """Tiny chunks cut lines (and the header) anywhere; the result is still scan_bulk's, row for row."""
    reference = cb.scan_bulk([BULK]).collect()
    gz = tmp_path / "f.txt.gz"
    gz.write_bytes(gzip.compress(BULK.read_bytes(), mtime=0))
    for chunk, read in ((37, 11), (1000, 300), (4096, 4096)):
        monkeypatch.setattr(linescan, "CHUNK", chunk)
        monkeypatch.setattr(linescan, "_READ", read)
        for src in (BULK, gz):
            got = extract(src, tmp_path).drop("_file")
            assert got.equals(reference.drop("_file")), (chunk, src.name)
    assert reference.height == 19


def test_crlf_blank_lines_and_no_final_newline(tmp_path):
    lines = fixture_lines()
    last = lines[dprk_lines(lines)[0] - 1]
    body = lines[:50] + [""] + lines[50:] + [last]  # a blank line: later rows keep their physical line numbers
    p = tmp_path / "crlf.txt"
    p.write_bytes("\r\n".join(body).encode())  # CRLF, and the last row (a DPRK row) has no line break
    got = extract(p, tmp_path)
    assert got["_line"].to_list() == dprk_lines(body)
    assert got["_line"][-1] == len(body) and got.height == 20
    assert set(got["isAggregate"]) == {"0"}  # the last cell does not keep the \r


def test_multi_member_gzip(tmp_path):
    """pigz and bgzip write several gzip members; all are read."""
    data = BULK.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 1
    p = tmp_path / "multi.txt.gz"
    p.write_bytes(gzip.compress(data[:cut], mtime=0) + gzip.compress(data[cut:], mtime=0))
    assert extract(p, tmp_path)["_line"].to_list() == dprk_lines(fixture_lines())


def test_408_elsewhere_is_not_kept(tmp_path):
    """Rows with 408 in another column are read as candidates and dropped by the exact rule."""
    lines = fixture_lines()
    i_p2, i_val = BULK_COLUMNS.index("partner2Code"), BULK_COLUMNS.index("primaryValue")
    n = next(k for k, row in enumerate(lines[1:], start=1) if row.split("\t")[I_PARTNER] != "408")
    cells = lines[n].split("\t")
    cells[i_p2], cells[i_val] = "408", "1408.0"
    lines[n] = "\t".join(cells)
    m = next(k for k, row in enumerate(lines[1:], start=1) if row.split("\t")[I_PARTNER] == "408")
    cells = lines[m].split("\t")
    cells[I_PARTNER] = " 408 "  # spaces around the code: still North Korea, as in scan_bulk
    lines[m] = "\t".join(cells)
    p = tmp_path / "bait.txt"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = extract(p, tmp_path)
    assert got["_line"].to_list() == dprk_lines(fixture_lines())
    assert n + 1 not in got["_line"].to_list()
    assert got.drop("_file").equals(cb.scan_bulk([p]).collect().drop("_file"))


def test_ragged_row_is_an_error_naming_its_line(tmp_path):
    lines = fixture_lines()
    n = next(k for k, row in enumerate(lines[1:], start=1) if row.split("\t")[I_PARTNER] != "408")
    lines[n] = lines[n].rsplit("\t", 1)[0]  # one field short, and not a DPRK row
    p = tmp_path / "ragged.txt.gz"
    p.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    out = tmp_path / "out.parquet"
    with pytest.raises(DataError) as err:
        cb.ingest_bulk([p], out, progress=False)
    (issue,) = err.value.issues
    assert (issue.line, "33 fields" in issue.rule, "34" in issue.rule) == (n + 1, True, True)
    assert not out.exists()


def test_ragged_rows_that_balance_out_are_caught_on_a_candidate(tmp_path):
    """One row a field short and a DPRK row a field long: the chunk's tab total is right, the candidate check is not."""
    lines = fixture_lines()
    short = next(k for k, row in enumerate(lines[1:], start=1) if row.split("\t")[I_PARTNER] != "408")
    long = dprk_lines(lines)[2] - 1
    lines[short] = lines[short].rsplit("\t", 1)[0]
    lines[long] = lines[long] + "\textra"
    p = tmp_path / "balanced.txt"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        cb.ingest_bulk([p], tmp_path / "out.parquet", progress=False)
    (issue,) = err.value.issues
    assert (issue.line, "35 fields" in issue.rule) == (long + 1, True)


def test_non_utf8_row_is_an_error_naming_its_line(tmp_path):
    data = bytearray(BULK.read_bytes())
    lines = fixture_lines()
    n = dprk_lines(lines)[3]
    start = sum(len(x) + 2 for x in lines[: n - 1])  # CRLF line ends
    data[start + data[start:].index(b"\tH5\t") + 1] = 0xFF  # inside classificationCode of a DPRK row
    p = tmp_path / "latin.txt"
    p.write_bytes(bytes(data))
    with pytest.raises(DataError) as err:
        cb.ingest_bulk([p], tmp_path / "out.parquet", progress=False)
    (issue,) = err.value.issues
    assert (issue.line, "UTF-8" in issue.rule) == (n, True)


def test_bytes_after_the_gzip_data_are_an_error(tmp_path):
    p = tmp_path / "tail.txt.gz"
    p.write_bytes(gzip.compress(BULK.read_bytes(), mtime=0) + b"not gzip")  # the header reads fine
    with pytest.raises(DataError) as err:
        cb.ingest_bulk([p], tmp_path / "out.parquet", progress=False)
    assert "gzip" in err.value.issues[0].rule and "tail.txt.gz" in err.value.issues[0].file


# ------------------------------------------------------------ bounded memory, exact rows
SMALL, LARGE, SEED = 200_000, 1_300_000, 7


@pytest.fixture(scope="module")
def bulk_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bulk")
    files = {}
    for n in (SMALL, LARGE):
        path = folder / f"bulk_{n}.txt.gz"
        files[n] = (path, generate(path, n, SEED, level=1))
    return files


def _ingest_peak_mb(src, out) -> float:
    """``nkflows ingest-bulk`` as its own process (started by a small launcher): its peak resident memory in MB."""
    m = measure([sys.executable, "-m", "analysis.cli", "ingest-bulk", str(src), "--out", str(out), "--quiet"], cwd=ROOT)
    assert m.returncode == 0, m.stderr
    return m.peak_rss_mb


def test_ingest_bulk_memory_does_not_grow_with_the_file(bulk_files, tmp_path):
    (small, small_text), (large, large_text) = bulk_files[SMALL], bulk_files[LARGE]
    growth_limit = 32.0
    # a reader that held the file, or even a tenth of it, would break the limit
    assert (large_text - small_text) / 1e6 > 5 * growth_limit
    peak_small = _ingest_peak_mb(small, tmp_path / "s.parquet")
    peak_large = _ingest_peak_mb(large, tmp_path / "l.parquet")
    assert peak_large - peak_small < growth_limit, (peak_small, peak_large)
    assert peak_large < 512


@pytest.mark.parametrize("n", [SMALL, LARGE])
def test_ingest_bulk_keeps_exactly_the_rows_drawn(bulk_files, tmp_path, n):
    path, _ = bulk_files[n]
    got = extract(path, tmp_path)
    expected = expected_dprk_lines(n, SEED)
    assert len(expected) > 500
    assert np.array_equal(got["_line"].to_numpy(), expected)
    dprk = (got["reporterCode"] == "408") | (got["partnerCode"] == "408")
    assert dprk.all()
    if n == SMALL:  # the lazy polars scan of the whole file agrees, cell for cell
        assert got.equals(cb.scan_bulk([path]).collect())
