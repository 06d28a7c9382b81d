"""Fuzzing the readers with hypothesis: random bytes, random JSON and random
well-formed-but-wrong tables. The only exception allowed out of a reader is the project's
own :class:`~analysis.errors.DataError` (a clear message naming file, line, column and rule).
Derandomized, so CI sees the same examples every run."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.build import assemble
from analysis.errors import DataError, IssueLog
from analysis.ingest import comtrade as ct
from analysis.ingest.common import columns_of, load
from analysis.paths import RAW
from analysis.provenance import sha256, sidecar_path
from analysis.rawio import read_table

from . import corruptions

FIX = Path(__file__).parent / "fixtures" / "comtrade"
FAST = settings(max_examples=150, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=10, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


def only_data_errors(call):
    """Run ``call``; a DataError must carry at least one issue naming a file and a rule."""
    try:
        return call()
    except DataError as exc:
        assert exc.issues and all(i.file and i.rule for i in exc.issues)
        return None


# Cells that look almost right: numbers with separators or signs, dates in several shapes,
# codes near the real ones, quotes, commas, blanks, non-ASCII text.
CELLS = st.one_of(
    st.sampled_from(["", " ", "0", "-1", "2,914", "1e3", "NaN", "inf", "12.5", "2019-01-01", "2019-02-30", "2019-13-01",
                     "31/12/2019", "2019", "A", "Q", "P", "all", "male", "female", "CHN", "PRK", "WLD", "KRP", "export",
                     "total", "USD", "final", "provisional", "official", "news", "en", "ko", "https://example.org/a",
                     "mou-cn-defectors-stats-2020", "x" * 500, '"', "a,b", "탈북민 2,914명", "\u00a0", "\t"]),
    st.text(max_size=12),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def table_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


@FAST
@given(data=st.binary(max_size=2000))
def test_random_bytes_into_the_csv_reader(scratch, data):
    path = scratch / "random.csv"
    path.write_bytes(data)
    only_data_errors(lambda: read_table(path, columns_of(corruptions.RAW_MODELS["defectors/arrivals.csv"])))


@FAST
@given(rel=st.sampled_from(sorted(corruptions.RAW_MODELS)), data=st.data())
def test_wrong_tables_through_parser_and_schema(scratch, rel, data):
    """A table with the right header (or a shuffled one) and random cells: parse and validate."""
    model = corruptions.RAW_MODELS[rel]
    header = list(model.to_schema().columns)
    if data.draw(st.booleans()):
        header = data.draw(st.permutations(header))
    width = st.integers(len(header) - 1, len(header) + 1) if data.draw(st.integers(0, 9)) == 0 else st.just(len(header))
    rows = data.draw(st.lists(width.flatmap(lambda n: st.lists(CELLS, min_size=n, max_size=n)), max_size=8))
    path = scratch / Path(rel).name
    path.write_text(table_text(header, rows), encoding="utf-8")
    log = IssueLog()
    only_data_errors(lambda: load(path, model, log))
    assert all(i.file and i.rule for i in log.issues)


ARRIVALS = corruptions.RawCsv.load("defectors/arrivals.csv")
FLOWS = corruptions.RawCsv.load("trade/flows.csv")


def _period(year: int, freq: str, k: int) -> tuple[str, str]:
    import calendar
    if freq == "A":
        return f"{year}-01-01", f"{year}-12-31"
    months = {"H": 6, "Q": 3, "M": 1}.get(freq, 12)
    first = 1 + (k % (12 // months)) * months
    last = first + months - 1
    return f"{year}-{first:02d}-01", f"{year}-{last:02d}-{calendar.monthrange(year, last)[1]}"


@st.composite
def arrival_rows(draw):
    """Rows that pass every row rule (known sources, whole periods, sexes, counts) in random combinations."""
    sources = sorted({r[0] for r in ARRIVALS.rows})
    rows = []
    for _ in range(draw(st.integers(1, 25))):
        freq = draw(st.sampled_from(["A", "H", "Q", "M"]))
        start, end = _period(draw(st.integers(2000, 2025)), freq, draw(st.integers(0, 11)))
        n = draw(st.integers(0, 5000))
        rows.append([draw(st.sampled_from(sources[:6])), start, end, freq, draw(st.sampled_from(["male", "female", "all"])),
                     str(n), draw(st.sampled_from(["final", "provisional", "revised"])), f"{n}명", ""])
    return rows


@st.composite
def flow_rows(draw):
    sources = sorted({r[0] for r in FLOWS.rows})
    rows = []
    for _ in range(draw(st.integers(1, 25))):
        freq = draw(st.sampled_from(["A", "M"]))
        start, end = _period(draw(st.integers(2000, 2025)), freq, draw(st.integers(0, 11)))
        v = draw(st.integers(0, 10**10))
        rows.append([draw(st.sampled_from(sources[:6])), start, end, freq, draw(st.sampled_from(["CHN", "PRK", "KOR"])),
                     draw(st.sampled_from(["PRK", "WLD", "CHN"])), draw(st.sampled_from(["export", "import", "total"])),
                     draw(st.sampled_from(["TOTAL", "27", "61+62"])), str(v), "USD", draw(st.sampled_from(["GACC", "KOTRA"])),
                     "final", f"{v:,}", ""])
    return rows


@pytest.fixture(scope="module")
def raw_tree(scratch):
    raw = scratch / "raw"
    shutil.copytree(RAW, raw)
    return raw


def _replace(raw: Path, rel: str, text: str) -> None:
    path = raw / rel
    path.write_text(text, encoding="utf-8")
    side = sidecar_path(path)
    meta = json.loads(side.read_text(encoding="utf-8"))
    meta["sha256"] = sha256(path)
    side.write_text(json.dumps(meta), encoding="utf-8")


def _through_build(raw_tree: Path, rel: str, text: str) -> None:
    """Build with ``rel`` replaced by ``text``: only the project's DataError may escape; the file is restored after."""
    try:
        _replace(raw_tree, rel, text)
        only_data_errors(lambda: assemble(raw_tree))
    finally:
        shutil.copy(RAW / rel, raw_tree / rel)
        shutil.copy(RAW / f"{rel}.meta.json", raw_tree / f"{rel}.meta.json")


@SLOW
@given(rows=arrival_rows())
def test_valid_looking_arrivals_through_the_whole_build(raw_tree, rows):
    """Rows each of which passes the row rules, combined at random: the harmonizer either
    publishes them or stops with a DataError (sums, duplicates, running totals), never crashes."""
    _through_build(raw_tree, "defectors/arrivals.csv", table_text(ARRIVALS.header, rows))


@SLOW
@given(rows=flow_rows())
def test_valid_looking_trade_through_the_whole_build(raw_tree, rows):
    _through_build(raw_tree, "trade/flows.csv", table_text(FLOWS.header, rows))


# ------------------------------------------------------------------------- UN Comtrade
GOOD = json.loads((FIX / "final_C_A_HS_prk_2019.json").read_text(encoding="utf-8"))
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)


@FAST
@given(data=st.binary(max_size=2000))
def test_random_bytes_into_the_comtrade_json_reader(data):
    only_data_errors(lambda: ct.parse_api_json(data, "response.json"))


@FAST
@given(doc=JSON)
def test_random_json_into_the_comtrade_json_reader(doc):
    only_data_errors(lambda: ct.parse_api_json(json.dumps(doc).encode(), "response.json"))


@FAST
@given(data=st.data())
def test_records_with_random_values(data):
    """The recorded response with random fields replaced by random JSON values, then mapped to trade_flows."""
    doc = json.loads(json.dumps(GOOD))
    for _ in range(data.draw(st.integers(1, 4))):
        rec = data.draw(st.sampled_from(doc["data"]))
        rec[data.draw(st.sampled_from(ct.FINAL_COLUMNS))] = data.draw(JSON)
    records = only_data_errors(lambda: ct.parse_api_json(json.dumps(doc).encode(), "response.json"))
    if records is not None:
        only_data_errors(lambda: ct.records_to_flows(records, "comtrade-fuzz"))


BULK_HEADER = (FIX / "bulk_C_A_156_2019_H5.txt").read_text(encoding="utf-8").splitlines()[0]


@settings(max_examples=40, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=600), gz=st.booleans(), with_header=st.booleans())
def test_random_bytes_into_the_bulk_reader(scratch, body, gz, with_header):
    data = (BULK_HEADER.encode() + b"\n" if with_header else b"") + body
    path = scratch / ("bulk.txt.gz" if gz else "bulk.txt")
    path.write_bytes(gzip.compress(data, mtime=0) if gz and data else data)
    out = scratch / "extract.parquet"
    out.unlink(missing_ok=True)
    counts = only_data_errors(lambda: ct.ingest_bulk([path], out, progress=False))
    if counts is not None and counts["rows_kept"]:
        only_data_errors(lambda: ct.read_bulk_extract(out))
