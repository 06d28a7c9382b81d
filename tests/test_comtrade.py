"""UN Comtrade: saved API responses and bulk files (recorded/synthetic fixtures, no network). The fetcher: test_comtrade_fetch.py."""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import shutil
import socket
from pathlib import Path

import polars as pl
import pytest

from analysis.errors import DataError
from analysis.ingest import comtrade as ct
from analysis.schemas import TradeFlowObservations

FIX = Path(__file__).parent / "fixtures" / "comtrade"
API = FIX / "final_C_A_HS_prk_2019.json"
BULK = FIX / "bulk_C_A_156_2019_H5.txt"
BULK_GZ = FIX / "bulk_C_A_156_2019_H5.txt.gz"
BULK_API_LAYOUT = FIX / "bulk_api_layout_C_A_156_2019_H5.txt"
REAL_HEAD = FIX / "C_A_32_196201_S1_O_head.txt.gz"
BULK_DPRK_ROWS = 19
COL = {c: i for i, c in enumerate(ct.BULK_COLUMNS)}  # positions in the real bulk layout


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("tests must not touch the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)


def api_doc() -> dict:
    return json.loads(API.read_text(encoding="utf-8"))


def write_doc(tmp_path: Path, doc: dict | str, name: str = "resp.json") -> Path:
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return p


def issues_of(exc: DataError) -> list[tuple]:
    return [(i.line, i.column, i.rule) for i in exc.issues]


# --------------------------------------------------------------------------- columns
def test_fixture_has_exactly_the_verified_final_columns():
    for record in api_doc()["data"]:
        assert tuple(record) == ct.FINAL_COLUMNS
    assert BULK.read_text(encoding="utf-8").splitlines()[0].split("\t") == list(ct.BULK_COLUMNS)
    assert gzip.decompress(REAL_HEAD.read_bytes()).split(b"\r\n")[0].decode().split("\t") == list(ct.BULK_COLUMNS)
    assert BULK_API_LAYOUT.read_text(encoding="utf-8").splitlines()[0].split("\t") == list(ct.FINAL_COLUMNS)
    assert len(ct.FINAL_COLUMNS) == 47 and len(ct.BULK_COLUMNS) == 34
    assert list(ct.ComtradeRecords.to_schema().columns) == list(ct.FINAL_COLUMNS)
    assert ct.COUNTRIES[408][0] == "PRK"


# ------------------------------------------------------------------------ good response
def test_good_response_to_trade_flows():
    records = ct.read_api_json(API)
    assert records.height == 5
    assert records["_line"].to_list() == [1, 2, 3, 4, 5]
    flows = ct.records_to_flows(records, "comtrade-final-2019")
    TradeFlowObservations.validate(flows)
    assert flows.columns == list(TradeFlowObservations.to_schema().columns)
    assert dict(flows.schema) == {
        "source_id": pl.String, "period_start": pl.Date, "period_end": pl.Date, "freq": pl.String,
        "reporter": pl.String, "partner": pl.String, "flow": pl.String, "commodity": pl.String,
        "value": pl.Float64, "currency": pl.String, "agency": pl.String, "status": pl.String,
        "reported_as": pl.String, "note": pl.String,
    }
    assert flows.height == 4  # the re-export (RX) is dropped
    rows = {(r["reporter"], r["flow"], r["commodity"]): r for r in flows.iter_rows(named=True)}
    chn_m = rows[("CHN", "import", "TOTAL")]
    assert chn_m["partner"] == "PRK"
    assert chn_m["value"] == 1111111111.0 and chn_m["reported_as"] == "1111111111.0"
    assert chn_m["period_start"] == dt.date(2019, 1, 1) and chn_m["period_end"] == dt.date(2019, 12, 31)
    assert (chn_m["freq"], chn_m["currency"], chn_m["agency"], chn_m["status"]) == ("A", "USD", "COMTRADE", "final")
    assert "Import" in chn_m["note"]
    assert rows[("CHN", "export", "TOTAL")]["reported_as"] == "222222222.5"
    assert rows[("CHN", "import", "61")]["value"] == 44444444.25
    assert rows[("RUS", "export", "TOTAL")]["value"] == 5555555.0


def test_monthly_record_periods(tmp_path):
    doc = api_doc()
    rec = doc["data"][0]
    rec.update(freqCode="M", refPeriodId=20200201, refYear=2020, refMonth=2, period="202002")
    doc["data"], doc["count"] = [rec], 1
    flows = ct.records_to_flows(ct.read_api_json(write_doc(tmp_path, doc)), "comtrade-m")
    assert flows.row(0, named=True)["period_start"] == dt.date(2020, 2, 1)
    assert flows.row(0, named=True)["period_end"] == dt.date(2020, 2, 29)
    assert flows["freq"].to_list() == ["M"]


# ------------------------------------------------------------------------ bad responses
def test_empty_data_list(tmp_path):
    doc = api_doc()
    doc["data"], doc["count"] = [], 0
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, doc))
    assert err.value.issues[0].column == "data"
    assert "no records" in err.value.issues[0].rule
    assert "resp.json" in err.value.issues[0].file


def test_truncated_json(tmp_path):
    text = API.read_text(encoding="utf-8")
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, text[: len(text) // 2]))
    issue = err.value.issues[0]
    assert "truncated" in issue.rule and issue.line is not None and "resp.json" in issue.file


def test_missing_column(tmp_path):
    doc = api_doc()
    del doc["data"][2]["primaryValue"]
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, doc))
    assert issues_of(err.value) == [(3, "primaryValue", "data[2]: required field is missing")]
    assert "resp.json, line 3, column 'primaryValue'" in str(err.value)


def test_non_numeric_value(tmp_path):
    doc = api_doc()
    doc["data"][1]["primaryValue"] = "12,345"
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, doc))
    (issue,) = err.value.issues
    assert (issue.line, issue.column, issue.value) == (2, "primaryValue", "12,345")
    assert issue.rule == "data[1]: must be a number"


def test_non_numeric_code(tmp_path):
    doc = api_doc()
    doc["data"][0]["partnerCode"] = "408x"
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, doc))
    assert issues_of(err.value) == [(1, "partnerCode", "data[0]: must be a whole number")]


@pytest.mark.parametrize("column", ["reporterCode", "partnerCode"])
def test_unknown_area_code(tmp_path, column):
    doc = api_doc()
    doc["data"][3][column] = 999  # not an area in UN Comtrade's reference list
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, doc))
    (issue,) = [i for i in err.value.issues if i.column == column]
    assert issue.line == 4 and issue.value == "999"
    assert issue.rule.startswith("data[3]: area code is not in UN Comtrade's reference list")


def test_area_in_reference_list_but_outside_the_project_is_read_not_published(tmp_path):
    doc = api_doc()
    doc["data"][3]["reporterCode"] = 276  # Germany: a Comtrade area, not one trade_flows covers
    doc["data"][3]["reporterISO"] = "DEU"
    records = ct.read_api_json(write_doc(tmp_path, doc))
    flows = ct.records_to_flows(records, "comtrade-final-2019")
    assert flows.height == 3 and "DEU" not in set(flows["reporter"])


def test_flow_code_outside_the_list(tmp_path):
    doc = api_doc()
    doc["data"][1]["flowCode"] = "XX"
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, doc))
    (issue,) = [i for i in err.value.issues if i.column == "flowCode"]
    assert (issue.line, issue.value) == (2, "XX") and "M, X, RM, RX" in issue.rule


def test_duplicated_record(tmp_path):
    doc = api_doc()
    dup = copy.deepcopy(doc["data"][0])
    dup["primaryValue"] = 1.0
    doc["data"].append(dup)
    doc["count"] = len(doc["data"])
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, doc))
    (issue,) = err.value.issues
    assert issue.line == 6 and issue.column == ",".join(ct.RECORD_KEY)
    assert "duplicated record" in issue.rule and "as line 1" in issue.rule


def test_count_disagrees_with_data(tmp_path):
    doc = api_doc()
    doc["count"] = 9
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, doc))
    assert err.value.issues[0].column == "count"


def test_unknown_field_and_api_error(tmp_path):
    doc = api_doc()
    doc["data"][0]["surprise"] = 1
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, doc))
    assert (1, "surprise") == (err.value.issues[0].line, err.value.issues[0].column)
    doc = api_doc()
    doc["error"] = "Something went wrong"
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, doc, "err.json"))
    assert err.value.issues[0].column == "error"


def test_period_must_match_ref_year(tmp_path):
    doc = api_doc()
    doc["data"][4]["period"] = "2018"
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, doc))
    assert issues_of(err.value)[0][:2] == (5, "period")


# ------------------------------------------------------------------------------ bulk
@pytest.mark.parametrize("source", [BULK, BULK_GZ])
def test_ingest_bulk_keeps_exactly_the_dprk_rows(tmp_path, source, capsys):
    src = tmp_path / source.name
    shutil.copy(source, src)
    out = tmp_path / "extract" / "prk.parquet"
    counts = ct.ingest_bulk([src], out, progress=True)
    assert counts["rows_scanned"] == 127
    assert counts["rows_kept"] == BULK_DPRK_ROWS
    assert counts["files"] == 1 and counts["bytes"] == src.stat().st_size
    assert sorted(p.name for p in out.parent.iterdir()) == ["prk.parquet"]  # no temp files left
    err = capsys.readouterr().err
    assert "rows scanned" in err and "bytes" in err and f"{BULK_DPRK_ROWS} DPRK rows kept" in err

    extract = pl.read_parquet(out)
    assert extract.height == BULK_DPRK_ROWS
    assert set(extract["partnerCode"]) == {"408"}
    # _line points back at the file: the header is line 1
    lines = src.read_bytes() if not src.name.endswith(".gz") else gzip.decompress(src.read_bytes())
    text_lines = lines.decode().splitlines()
    for line, value in extract.select("_line", "primaryValue").iter_rows():
        assert text_lines[line - 1].split("\t")[COL["primaryValue"]] == value

    records = ct.read_bulk_extract(out)
    flows = ct.records_to_flows(records, "comtrade-bulk-2019")
    assert flows.height == BULK_DPRK_ROWS - 1  # minus the re-export
    assert set(flows["reporter"]) == {"CHN"} and set(flows["partner"]) == {"PRK"}


def test_scan_bulk_is_lazy_and_filters_reporter_or_partner(tmp_path):
    rows = BULK.read_text(encoding="utf-8").splitlines()
    header, body = rows[0], rows[1:]
    i_rep = COL["reporterCode"]
    flipped = body[0].split("\t")
    flipped[i_rep] = "408"  # a row with DPRK as reporter
    p = tmp_path / "two.txt"
    p.write_text("\n".join([header, "\t".join(flipped), *body[1:]]) + "\n", encoding="utf-8")
    lf = ct.scan_bulk([p])
    assert isinstance(lf, pl.LazyFrame)
    got = lf.collect()
    assert got.height == BULK_DPRK_ROWS + 1
    assert got.filter(pl.col("reporterCode") == "408")["_line"].to_list() == [2]


def test_bulk_header_must_match(tmp_path):
    text = BULK.read_text(encoding="utf-8").replace("primaryValue", "primary_value", 1)
    p = tmp_path / "bad.txt"
    p.write_text(text, encoding="utf-8")
    out = tmp_path / "out.parquet"
    with pytest.raises(DataError) as err:
        ct.ingest_bulk([p], out, progress=False)
    cols = {(i.line, i.column) for i in err.value.issues}
    assert (1, "primary_value") in cols and (1, "primaryValue") in cols
    assert not out.exists()


def test_truncated_gzip_leaves_previous_output(tmp_path):
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous")
    data = BULK_GZ.read_bytes()
    p = tmp_path / "cut.txt.gz"
    p.write_bytes(data[: len(data) - 40])
    with pytest.raises(DataError) as err:
        ct.ingest_bulk([p], out, progress=False)
    assert "cut.txt.gz" in err.value.issues[0].file
    assert out.read_bytes() == b"previous"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["cut.txt.gz", "out.parquet"]


def test_bulk_extract_bad_cell_names_file_and_line(tmp_path):
    rows = BULK.read_text(encoding="utf-8").splitlines()
    i_val, i_par = COL["primaryValue"], COL["partnerCode"]
    line_no = next(n for n, r in enumerate(rows[1:], start=2) if r.split("\t")[i_par] == "408")
    cells = rows[line_no - 1].split("\t")
    cells[i_val] = "n/a"
    rows[line_no - 1] = "\t".join(cells)
    p = tmp_path / "badcell.txt"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    ct.ingest_bulk([p], out, progress=False)
    with pytest.raises(DataError) as err:
        ct.read_bulk_extract(out)
    (issue,) = err.value.issues
    assert ("badcell.txt" in issue.file, issue.line, issue.column, issue.value) == (True, line_no, "primaryValue", "n/a")



@pytest.mark.parametrize("bad", ["n/a", "inf", "NaN", "1e400x", ""])
def test_bulk_value_must_be_a_finite_decimal(tmp_path, bad):
    rows = BULK.read_text(encoding="utf-8").splitlines()
    line_no = next(n for n, r in enumerate(rows[1:], start=2) if r.split("\t")[COL["partnerCode"]] == "408")
    cells = rows[line_no - 1].split("\t")
    cells[COL["primaryValue"]] = bad
    rows[line_no - 1] = "\t".join(cells)
    p = tmp_path / "bad.txt"
    p.write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-8"))
    with pytest.raises(DataError) as err:
        ct.read_bulk_file(p)
    (issue,) = err.value.issues
    assert (issue.line, issue.column) == (line_no, "primaryValue") and "bad.txt" in issue.file


# -------------------------------------------------------------- the real bulk layout
def test_real_bulk_file_header_and_rows_are_read_by_name(tmp_path):
    """The head of a file served by Comtrade's bulk endpoint: 34 columns, CRLF, 0/1 booleans."""
    rows = ct.scan_bulk([REAL_HEAD]).collect()
    assert rows.height == 0  # Argentina 1962 with the world: no DPRK row
    # the same rows, with partner 408, are kept, typed and checked
    text = gzip.decompress(REAL_HEAD.read_bytes()).decode()
    lines = text.split("\r\n")
    cells = lines[1].split("\t")
    cells[COL["partnerCode"]] = "408"
    lines[1] = "\t".join(cells)
    p = tmp_path / "C_A_32_196201_S1_O.txt.gz"
    p.write_bytes(gzip.compress("\r\n".join(lines).encode()))
    out = tmp_path / "prk.parquet"
    counts = ct.ingest_bulk([p], out, progress=False)
    assert (counts["rows_scanned"], counts["rows_kept"]) == (5, 1)
    extract = pl.read_parquet(out)
    assert extract.columns == [*ct.FINAL_COLUMNS, "_file", "_line"]
    row = extract.row(0, named=True)
    assert (row["_line"], row["cmdCode"], row["cifvalue"], row["fobvalue"], row["isAggregate"], row["reporterISO"]) == (2, "42", "641488.0", None, "0", None)
    rec = ct.read_bulk_extract(out).row(0, named=True)
    assert (rec["reporterCode"], rec["partnerCode"], rec["flowCode"], rec["primaryValue"]) == (32, 408, "M", 641488.0)
    assert (rec["isOriginalClassification"], rec["isReported"], rec["isAggregate"]) == (True, True, False)


def test_api_layout_bulk_file_is_accepted_too(tmp_path):
    out = tmp_path / "prk.parquet"
    counts = ct.ingest_bulk([BULK_API_LAYOUT], out, progress=False)
    assert counts["rows_kept"] == BULK_DPRK_ROWS
    api = ct.read_bulk_extract(out).drop("_file", "_line")
    ct.ingest_bulk([BULK], out, progress=False)
    real = ct.read_bulk_extract(out).drop("_file", "_line")
    # the same records in both layouts; only the API's descriptive columns differ
    same = [c for c in api.columns if c not in ct.DESCRIPTIVE]
    assert api.select(same).equals(real.select(same))
    assert real["cmdDesc"].null_count() == BULK_DPRK_ROWS and api["cmdDesc"].null_count() == 0


def test_bulk_header_names_every_problem(tmp_path):
    lines = BULK.read_bytes().decode("utf-8").split("\r\n")
    names = lines[0].split("\t")
    names[names.index("FOBValue")] = "cifvalue"   # duplicate of CIFValue under the API spelling
    names[names.index("qty")] = "quantity"        # unknown, and qty missing
    names.remove("motCode")                       # missing
    names.append("extra")                          # unknown
    lines[0] = "\t".join(names)
    p = tmp_path / "hdr.txt"
    p.write_bytes("\r\n".join(lines).encode("utf-8"))
    out = tmp_path / "out.parquet"
    with pytest.raises(DataError) as err:
        ct.ingest_bulk([p], out, progress=False)
    got = sorted((i.column, i.rule.split(" ")[0] + " " + i.rule.split(" ")[1]) for i in err.value.issues)
    assert got == sorted([("cifvalue", "column appears"), ("quantity", "unknown column"), ("extra", "unknown column"),
                          ("qty", "required column"), ("motCode", "required column"), ("fobvalue", "required column")])
    assert all(i.line == 1 and "hdr.txt" in i.file for i in err.value.issues)
    assert not out.exists()


def test_one_very_long_line_fails_with_bounded_memory(tmp_path):
    import tracemalloc

    from analysis.ingest import comtrade_bulk

    p = tmp_path / "long.txt.gz"
    header = "\t".join(ct.BULK_COLUMNS) + "\r\n"
    with gzip.open(p, "wb", compresslevel=1) as g:
        g.write(header.encode())
        g.write(b"4" * (24 << 20))  # 24 MB without a line break
    tracemalloc.start()
    with pytest.raises(DataError) as err:
        ct.ingest_bulk([p], tmp_path / "out.parquet", progress=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    (issue,) = err.value.issues
    assert issue.line == 2 and "longer than" in issue.rule and "long.txt.gz" in issue.file
    assert peak < 4 * comtrade_bulk.MAX_LINE + 40 * 2**20  # a few chunks, never the whole line

    p2 = tmp_path / "longhdr.txt"
    p2.write_bytes(b"x" * (comtrade_bulk.MAX_LINE + 10))
    with pytest.raises(DataError) as err:
        ct.ingest_bulk([p2], tmp_path / "out.parquet", progress=False)
    assert err.value.issues[0].line == 1 and "longer than" in err.value.issues[0].rule


def test_comma_separated_bulk_file_gives_the_same_rows(tmp_path):
    """A .csv bulk file goes through the lazy polars scan; it keeps the same rows as the tab-separated path."""
    rows = BULK.read_bytes().decode("utf-8").split("\r\n")
    csv_text = "\n".join(",".join(r.split("\t")) for r in rows if r) + "\n"
    p = tmp_path / "bulk.csv"
    p.write_text(csv_text, encoding="utf-8")
    ct.ingest_bulk([p], tmp_path / "csv.parquet", progress=False)
    ct.ingest_bulk([BULK], tmp_path / "tsv.parquet", progress=False)
    a, b = pl.read_parquet(tmp_path / "csv.parquet"), pl.read_parquet(tmp_path / "tsv.parquet")
    assert a.height == BULK_DPRK_ROWS and a.drop("_file").equals(b.drop("_file"))
