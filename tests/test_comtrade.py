"""UN Comtrade: saved API responses, bulk files and the fetcher (recorded/synthetic fixtures, no network)."""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import shutil
import socket
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from analysis.errors import DataError
from analysis.fetch import comtrade as fetch_mod
from analysis.ingest import comtrade as ct
from analysis.schemas import TradeFlowObservations

FIX = Path(__file__).parent / "fixtures" / "comtrade"
API = FIX / "final_C_A_HS_prk_2019.json"
BULK = FIX / "bulk_C_A_156_2019_H5.txt"
BULK_GZ = FIX / "bulk_C_A_156_2019_H5.txt.gz"
BULK_DPRK_ROWS = 19
KEY = "test-key-5f3c9a1e0b7d4c2a8e6f"


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
    assert BULK.read_text(encoding="utf-8").splitlines()[0].split("\t") == list(ct.FINAL_COLUMNS)
    assert len(ct.FINAL_COLUMNS) == 47
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
    doc["data"][3][column] = 276  # Germany: not in the module's reference map
    with pytest.raises(DataError) as err:
        ct.read_api_json(write_doc(tmp_path, doc))
    (issue,) = [i for i in err.value.issues if i.column == column]
    assert issue.line == 4 and issue.value == "276"
    assert issue.rule.startswith("data[3]: M49 code is not in the module's reference map")


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
        assert text_lines[line - 1].split("\t")[ct.FINAL_COLUMNS.index("primaryValue")] == value

    records = ct.read_bulk_extract(out)
    flows = ct.records_to_flows(records, "comtrade-bulk-2019")
    assert flows.height == BULK_DPRK_ROWS - 1  # minus the re-export
    assert set(flows["reporter"]) == {"CHN"} and set(flows["partner"]) == {"PRK"}


def test_scan_bulk_is_lazy_and_filters_reporter_or_partner(tmp_path):
    rows = BULK.read_text(encoding="utf-8").splitlines()
    header, body = rows[0], rows[1:]
    i_rep = ct.FINAL_COLUMNS.index("reporterCode")
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
    i_val, i_par = ct.FINAL_COLUMNS.index("primaryValue"), ct.FINAL_COLUMNS.index("partnerCode")
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


# ----------------------------------------------------------------------------- fetch
def api_frame() -> pd.DataFrame:
    """What comtradeapicall.getFinalData returns: json_normalize of the response's data."""
    return pd.json_normalize(api_doc()["data"])


class HTTP429(Exception):
    status = 429


def fixed_now():
    return dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)


def all_text(directory: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in directory.rglob("*") if p.is_file())


def test_fetch_without_key_raises(tmp_path, monkeypatch):
    monkeypatch.delenv(fetch_mod.ENV_KEY, raising=False)
    called = []
    with pytest.raises(fetch_mod.MissingKeyError, match="COMTRADE_API_KEY"):
        fetch_mod.fetch(408, 156, [2019], tmp_path, get_final_data=lambda *a, **k: called.append(1),
                        get_availability=lambda *a, **k: None)
    assert not called and list(tmp_path.iterdir()) == []


def test_fetch_none_is_a_clear_error_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(fetch_mod.ENV_KEY, KEY)

    def returns_none(key, **query):
        # what the package prints on an HTTP 401 (the URL it prints may carry the key)
        print('{ "statusCode": 401, "message": "Access denied due to invalid subscription key." } '
              f"https://comtradeapi.un.org/data/v1/get/C/A/HS?subscription-key={key}")
        return None

    sleeps = []
    with pytest.raises(fetch_mod.ComtradeFetchError) as err:
        fetch_mod.fetch(156, 408, [2019], tmp_path, get_final_data=returns_none,
                        get_availability=lambda *a, **k: None, sleep=sleeps.append)
    assert "returned None" in str(err.value)
    assert KEY not in str(err.value) and fetch_mod.REDACTED in str(err.value)
    assert sleeps == []  # a 401 is not retried
    assert list(tmp_path.iterdir()) == []


def test_fetch_retries_429_then_succeeds(tmp_path, monkeypatch):
    monkeypatch.setenv(fetch_mod.ENV_KEY, KEY)
    calls = []

    def flaky(key, **query):
        calls.append(query)
        if len(calls) == 1:
            raise HTTP429(f"Too Many Requests for https://comtradeapi.un.org/data/v1/get/C/A/HS?subscription-key={key}")
        if len(calls) == 2:
            print('{ "statusCode": 503, "message": "Service Unavailable" }')  # the package prints and returns None
            return None
        return api_frame()

    sleeps = []
    path = fetch_mod.fetch(156, 408, [2019], tmp_path, get_final_data=flaky,
                           get_availability=lambda *a, **k: None, sleep=sleeps.append, now=fixed_now,
                           base_delay=1.5)
    assert len(calls) == 3 and sleeps == [1.5, 3.0]
    q = calls[-1]
    assert (q["typeCode"], q["freqCode"], q["clCode"], q["period"], q["reporterCode"], q["partnerCode"]) == \
        ("C", "A", "HS", "2019", "156", "408")
    assert q["breakdownMode"] == "classic"
    assert path.exists() and sorted(p.name for p in tmp_path.iterdir()) == [path.name, path.name + ".meta.json"]
    # the snapshot reads back as a strict API response with the same values
    flows = ct.records_to_flows(ct.read_api_json(path), "comtrade-fetched")
    assert flows.height == 4
    assert KEY not in all_text(tmp_path)


def test_fetch_gives_up_after_bounded_attempts(tmp_path, monkeypatch):
    monkeypatch.setenv(fetch_mod.ENV_KEY, KEY)

    def always_timeout(key, **query):
        raise TimeoutError(f"read timed out: subscription-key={key}")

    sleeps = []
    with pytest.raises(fetch_mod.ComtradeFetchError) as err:
        fetch_mod.fetch(156, 408, [2019], tmp_path, get_final_data=always_timeout,
                        get_availability=lambda *a, **k: None, sleep=sleeps.append, max_attempts=4,
                        base_delay=2, max_delay=5)
    assert sleeps == [2, 4, 5]
    assert "after 4 attempts" in str(err.value) and KEY not in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_fetch_sidecar_and_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.setenv(fetch_mod.ENV_KEY, KEY)
    availability = pd.DataFrame([{
        "datasetCode": 1562019010000, "typeCode": "C", "freqCode": "A", "period": "2019", "reporterCode": 156,
        "classificationCode": "H5", "totalRecords": 12345, "datasetChecksum": -123456789,
        "firstReleased": "2020-06-01T00:00:00", "lastReleased": "2021-03-02T00:00:00",
    }])
    kw = dict(get_final_data=lambda key, **q: api_frame(), get_availability=lambda *a, **k: availability,
              sleep=lambda s: None, now=fixed_now)
    first = fetch_mod.fetch("CHN", "PRK", [2019], tmp_path, **kw)
    before = first.read_bytes()
    second = fetch_mod.fetch("CHN", "PRK", [2019], tmp_path, **kw)
    assert second != first and first.read_bytes() == before
    assert len(list(tmp_path.glob("*.json.meta.json"))) == 2

    meta = json.loads((tmp_path / (first.name + ".meta.json")).read_text(encoding="utf-8"))
    import hashlib
    assert meta["file"] == first.name
    assert meta["sha256"] == hashlib.sha256(before).hexdigest()
    assert meta["title"] and meta["description"]
    assert meta["origin"].startswith("https://comtradeapi.un.org/data/v1/get/C/A/HS?")
    assert "reportercode=156" in meta["origin"] and "partnerCode=408" in meta["origin"]
    assert "subscription" not in meta["origin"]
    assert meta["collected"] == "2024-05-06" and meta["retrieved_at"] == "2024-05-06T07:08:09+00:00"
    assert meta["dataset_releases"][0]["datasetChecksum"] == -123456789
    assert meta["dataset_releases"][0]["lastReleased"] == "2021-03-02T00:00:00"
    assert KEY not in all_text(tmp_path)

    from analysis.errors import IssueLog
    from analysis.provenance import read_sidecar
    log = IssueLog()
    assert read_sidecar(first, log) is not None and not log


def test_fetch_failed_write_leaves_no_partial_snapshot(tmp_path, monkeypatch):
    monkeypatch.setenv(fetch_mod.ENV_KEY, KEY)
    real_link = fetch_mod.os.link
    state = {"n": 0}

    def link_then_fail(src, dst):
        state["n"] += 1
        if state["n"] == 2:  # the sidecar's link fails after the snapshot's succeeded
            raise OSError("disk full")
        return real_link(src, dst)

    monkeypatch.setattr(fetch_mod.os, "link", link_then_fail)
    with pytest.raises(OSError):
        fetch_mod.fetch(156, 408, [2019], tmp_path, get_final_data=lambda key, **q: api_frame(),
                        get_availability=lambda *a, **k: None, now=fixed_now)
    assert list(tmp_path.iterdir()) == []


def test_fetch_passes_key_only_to_the_package(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(fetch_mod.ENV_KEY, KEY)
    seen = []

    def record(key, **q):
        seen.append(key)
        print(f"debug url ...?subscription-key={key}")  # the package's own print is captured, not shown
        return api_frame()

    fetch_mod.fetch(156, 408, [2019], tmp_path, get_final_data=record,
                    get_availability=lambda *a, **k: None, now=fixed_now)
    assert seen == [KEY]
    out = capsys.readouterr()
    assert KEY not in out.out and KEY not in out.err
