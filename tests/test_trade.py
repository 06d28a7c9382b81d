"""Trade: known figures, the flow-sum check, month derivation from year-to-date figures, bad input."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analysis import harmonize_trade
from analysis.errors import IssueLog
from analysis.ingest.discrepancies import Discrepancies

from .conftest import rewrite, snapshot
from .test_bad_input import line_of, run_build

FLOWS = "trade/flows.csv"


def test_known_china_customs_figures(built):
    a = built[0].tables["trade_annual"].filter((pl.col("agency") == "GACC") & (pl.col("reporter") == "CHN") & (pl.col("partner") == "PRK"))
    row = lambda y: a.filter(pl.col("year") == y).row(0, named=True)  # noqa: E731
    assert (row(2023)["exports_usd"], row(2023)["imports_usd"], row(2023)["total_usd"]) == (2_003_500_000, 291_890_000, 2_295_380_000)
    assert row(2018)["total_usd"] == 2_430_000_000
    assert a["year"].min() == 2000 and a["year"].max() == 2025
    # KOTRA's China series is a separate series, never merged into China's customs view
    k = built[0].tables["trade_annual"].filter((pl.col("agency") == "KOTRA") & (pl.col("partner") == "CHN"))
    assert k.height > 10 and set(k["reporter"]) == {"PRK"}


def test_cny_figures_kept_but_not_in_usd_series(built):
    flows = built[0].tables["trade_flows"]
    cny = flows.filter(pl.col("currency") == "CNY")
    assert cny.height > 10
    assert (cny["reported_as"].str.contains("위안|yuan|CNY|元")).all()


def test_rounding_unit():
    assert harmonize_trade.rounding_unit(2_430_000_000.0) == 10_000_000
    assert harmonize_trade.rounding_unit(2_789_010_000.0) == 10_000
    assert harmonize_trade.rounding_unit(2_000_000_000.0) == 100_000_000  # "2.0 billion": two significant digits
    assert harmonize_trade.rounding_unit(0.0) == 0


def _flows(rows):
    return pl.DataFrame([
        {"source_id": s, "period_start": a, "period_end": b, "freq": f, "reporter": "CHN", "partner": "PRK", "flow": fl,
         "commodity": "TOTAL", "value": v, "currency": "USD", "agency": "GACC", "status": "final", "reported_as": str(v),
         "note": None, "_file": "f.csv", "_line": i + 2}
        for i, (s, a, b, f, fl, v) in enumerate(rows)], schema_overrides={"note": pl.String})


SOURCES = pl.DataFrame({"source_id": ["a", "b"], "kind": ["news", "news"], "published": ["2024-01-01", "2024-02-01"]})


def test_flow_sum_check_respects_the_sources_rounding():
    y = (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    ok = _flows([("a", *y, "A", "export", 2.0e9), ("a", *y, "A", "import", 0.29e9), ("a", *y, "A", "total", 2.3e9)])
    log = IssueLog()
    harmonize_trade.check_flow_sums(ok, Discrepancies(pl.DataFrame()), log)
    assert not log  # 2.00 + 0.29 = 2.29 rounds to 2.3 (units of 10 million and 100 million)
    bad = _flows([("a", *y, "A", "export", 2.0e9), ("a", *y, "A", "import", 0.29e9), ("a", *y, "A", "total", 2.5e9)])
    harmonize_trade.check_flow_sums(bad, Discrepancies(pl.DataFrame()), log)
    assert len(log.issues) == 1 and log.issues[0].line == 4 and "exports + imports" in log.issues[0].rule


def test_months_derived_from_year_to_date_figures():
    rows = [("a", dt.date(2022, 1, 1), dt.date(2022, 2, 28), "YTD", "total", 136_260_000),
            ("a", dt.date(2022, 1, 1), dt.date(2022, 3, 31), "YTD", "total", 200_000_000),
            ("b", dt.date(2022, 3, 1), dt.date(2022, 3, 31), "M", "total", 63_000_000)]
    flagged = harmonize_trade.choose_preferred(_flows(rows), SOURCES)
    monthly, conflicts = harmonize_trade.monthly_table(flagged)
    march = monthly.filter(pl.col("month") == 3).row(0, named=True)
    assert march["total_usd"] == 63_000_000 and march["basis"] == "reported"  # reported beats derived
    assert conflicts["value"].to_list() == ["63000000", "63740000"] and conflicts["chosen"].to_list() == [True, False]
    assert conflicts["source_id"].to_list() == ["b", "a"] and conflicts["conflict_id"].n_unique() == 1
    rows[2] = ("b", dt.date(2022, 3, 1), dt.date(2022, 3, 31), "M", "total", 63_740_000)
    monthly, conflicts = harmonize_trade.monthly_table(harmonize_trade.choose_preferred(_flows(rows), SOURCES))
    assert conflicts.height == 0


@pytest.mark.parametrize("old,new,column,rule", [
    ("2023-01-01,2023-12-31,A,CHN,PRK,total,TOTAL,2295380000", "2023-01-01,2023-13-31,A,CHN,PRK,total,TOTAL,2295380000", "period_end", "real calendar date"),
    ("2023-01-01,2023-12-31,A,CHN,PRK,total,TOTAL,2295380000", "2023-01-01,2023-12-31,A,CHN,PRK,total,TOTAL,-2295380000", "value", "greater_than_or_equal_to(0)"),
    ("2023-01-01,2023-12-31,A,CHN,PRK,total,TOTAL,2295380000", "2023-01-01,2023-12-31,A,CHN,XX,total,TOTAL,2295380000", "partner", "isin"),
])
def test_bad_trade_rows(old, new, column, rule, raw_copy, processed_copy, capsys):
    n = line_of(raw_copy, FLOWS, old)
    path = raw_copy / FLOWS
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[n - 1] = lines[n - 1].replace(old, new)
    rewrite(path, "\n".join(lines))
    before = snapshot(processed_copy)
    code, err = run_build(raw_copy, processed_copy, capsys)
    assert code == 1
    hit = [m for m in err.splitlines() if f"{FLOWS}, line {n}, column '{column}'" in m]
    assert hit and rule in hit[0]
    assert snapshot(processed_copy) == before


# ------------------------------------------------------------------ UN Comtrade in the build
COMTRADE_VALUES = "comtrade/recorded_values.csv"


def test_comtrade_figures_reach_the_published_tables_as_their_own_series(built):
    t = built[0].tables
    ct = t["trade_flows"].filter(pl.col("agency") == "COMTRADE")
    recorded = ct.filter(pl.col("source_id") == "freenk-comtrade-chn-imports-prk-by-hs")
    assert recorded.height == 45 and set(recorded["reporter"]) == {"CHN"} and set(recorded["partner"]) == {"PRK"}
    assert set(recorded["flow"]) == {"import"}  # China's imports: the reporter's view
    assert set(recorded["commodity"]) == {"TOTAL", "03", "2601", "2701", "2716", "61", "62", "6704"}
    annual = t["trade_annual"].filter((pl.col("agency") == "COMTRADE") & (pl.col("reporter") == "CHN"))
    assert annual["year"].to_list() == list(range(2016, 2025))
    row = annual.filter(pl.col("year") == 2022).row(0, named=True)
    assert (row["exports_usd"], row["imports_usd"], row["total_usd"], row["total_derived"]) == (894_039_906, 133_677_748, 1_027_717_654, True)
    # never mixed into China's customs series as the press reports it
    gacc = t["trade_annual"].filter((pl.col("agency") == "GACC") & (pl.col("reporter") == "CHN") & (pl.col("year") == 2022)).row(0, named=True)
    assert gacc["source_id"] != row["source_id"] and gacc["total_usd"] == 1_027_720_000


def test_trade_products_lines_with_gaps_as_gaps(built):
    p = built[0].tables["trade_products"]
    assert p.columns == ["year", "reporter", "partner", "flow", "hs_code", "description", "value_usd", "agency", "source_id"]
    wigs = p.filter((pl.col("hs_code") == "6704") & (pl.col("agency") == "COMTRADE")).sort("year")
    assert wigs["year"].to_list() == list(range(2016, 2025))
    assert wigs.filter(pl.col("year") == 2024)["value_usd"].item() == 187_772_505
    assert wigs["description"][0] == "Wigs, false eyelashes and beards (heading 6704)"
    coal = p.filter((pl.col("hs_code") == "2701") & (pl.col("agency") == "COMTRADE"))
    assert coal["year"].to_list() == [2016, 2017]  # no record after the 2017 ban: a gap, not a zero row
    assert (p["value_usd"] > 0).all()
    assert set(p["hs_code"]) <= set(harmonize_trade.LABOUR_LINKED_HS)
    years = set(p.filter((pl.col("reporter") == "CHN") & (pl.col("partner") == "PRK"))["year"])
    assert set(range(2016, 2025)) <= years


def test_trade_conflicts_cite_the_trade_rule_and_its_deciding_step(built):
    c = built[0].tables["conflicts"].filter((pl.col("table") == "trade_flows") & (pl.col("conflict_type") == "sources_disagree"))
    assert c["conflict_id"].n_unique() > 50
    assert c["decided_by"].str.starts_with("trade rule").all()
    assert not c["decided_by"].str.contains("sex split").any()
    assert c["decided_by"].str.contains(r"^trade rule(, step [1-6]: |: no )").all()


def test_precedence_prefers_a_page_of_the_time_over_a_later_retrospective():
    y = (dt.date(2015, 1, 1), dt.date(2015, 12, 31))
    rows = [("then", *y, "A", "total", 5_430_000_000), ("later", *y, "A", "total", 5_510_000_000)]
    sources = pl.DataFrame({"source_id": ["then", "later"], "kind": ["news", "official"], "published": ["2016-01-20", "2023-01-18"]})
    flagged = harmonize_trade.choose_preferred(_flows(rows), sources)
    assert flagged.filter(pl.col("preferred"))["source_id"].to_list() == ["then"]  # step 3 comes before official > news
    (rule,) = set(harmonize_trade.trade_conflicts(flagged, sources)["decided_by"].to_list())
    assert rule == "trade rule, step 3: a page published at the time about that period (by the end of the following year) before a later retrospective"
    # with both pages of the time, the official one wins at step 4
    sources = sources.with_columns(pl.Series("published", ["2016-01-20", "2016-02-01"]))
    flagged = harmonize_trade.choose_preferred(_flows(rows), sources)
    assert flagged.filter(pl.col("preferred"))["source_id"].to_list() == ["later"]
    assert set(harmonize_trade.trade_conflicts(flagged, sources)["decided_by"]) == {"trade rule, step 4: official > news > research > secondary"}


@pytest.mark.parametrize("column,old,new,rule", [
    ("flowCode", ",156,408,M,TOTAL,2537313613.0,", ",156,408,Q,TOTAL,2537313613.0,", "isin"),
    ("reporterCode", ",156,408,M,TOTAL,2537313613.0,", ",999,408,M,TOTAL,2537313613.0,", "isin"),
    ("primaryValue", ",156,408,M,TOTAL,2537313613.0,", ",156,408,M,TOTAL,inf,", "str_matches"),
    ("primaryValue", ",156,408,M,TOTAL,2537313613.0,", ",156,408,M,TOTAL,\"2,537,313,613\",", "str_matches"),
])
def test_bad_comtrade_rows_stop_the_build(column, old, new, rule, raw_copy, processed_copy, capsys):
    n = line_of(raw_copy, COMTRADE_VALUES, old)
    path = raw_copy / COMTRADE_VALUES
    rewrite(path, path.read_text(encoding="utf-8").replace(old, new, 1))
    before = snapshot(processed_copy)
    code, err = run_build(raw_copy, processed_copy, capsys)
    assert code == 1
    hit = [m for m in err.splitlines() if f"{COMTRADE_VALUES}, line {n}, column '{column}'" in m]
    assert hit and rule in hit[0], err
    assert snapshot(processed_copy) == before


def test_bulk_and_api_snapshots_in_the_comtrade_folder_are_built(raw_copy, tmp_path, capsys):
    """A saved bulk file (the real 34-column layout) and a saved API response, each with its sidecar, reach trade_flows."""
    import json
    import shutil

    from analysis import build as build_mod
    from analysis.provenance import sha256

    from .test_comtrade import API, BULK_GZ

    folder = raw_copy / "comtrade"
    for src, sid in ((BULK_GZ, "test-comtrade-bulk"), (API, "test-comtrade-api")):
        dst = folder / src.name
        shutil.copy(src, dst)
        meta = {"file": dst.name, "sha256": sha256(dst), "title": "t", "description": "synthetic test file",
                "origin": "tests/fixtures/comtrade", "collected": "2026-12-04", "source_id": sid}
        (folder / (dst.name + ".meta.json")).write_text(json.dumps(meta), encoding="utf-8")
    srcs = raw_copy / "trade" / "sources.csv"
    rewrite(srcs, srcs.read_bytes().decode("utf-8")
            + "test-comtrade-bulk,UN Comtrade,bulk test file,https://example.org/bulk,2020,2026-12-04,official,en\n"
            + "test-comtrade-api,UN Comtrade,api test file,https://example.org/api,2020,2026-12-04,official,en\n")
    flows = build_mod.assemble(raw_copy).tables["trade_flows"]
    bulk = flows.filter(pl.col("source_id") == "test-comtrade-bulk")
    assert bulk.height == 18 and set(bulk["agency"]) == {"COMTRADE"} and set(bulk["partner"]) == {"PRK"}  # 19 DPRK rows minus the re-export
    api = flows.filter(pl.col("source_id") == "test-comtrade-api")
    assert sorted(api["reporter"].to_list()) == ["CHN", "CHN", "CHN", "RUS"]
    # a snapshot whose sidecar names no source stops the build
    side = folder / (BULK_GZ.name + ".meta.json")
    meta = json.loads(side.read_text(encoding="utf-8"))
    del meta["source_id"]
    side.write_text(json.dumps(meta), encoding="utf-8")
    code, err = run_build(raw_copy, tmp_path / "out", capsys)
    assert code == 1 and f"comtrade/{BULK_GZ.name}" in err and "source_id" in err


def test_agency_labels_follow_who_compiled_the_figure(built):
    """harmonize_trade.AGENCY_RULE: the agency is whoever compiled the figure, as the row's note says."""
    f = built[0].tables["trade_flows"].filter(pl.col("note").is_not_null())
    kotra_analysis = f.filter(pl.col("note").str.contains("KOTRA Beijing (analysis|compilation)"))  # a figure KOTRA only quoted stays GACC
    assert kotra_analysis.height == 6 and set(kotra_analysis["agency"]) == {"KOTRA"}  # 2013-2014, once labelled GACC
    kita = f.filter(pl.col("note").str.contains(r"^KITA (report|compilation|trade statistics|analysis)"))
    assert kita.height > 10 and set(kita["agency"]) == {"KITA"}
    comtrade = f.filter(pl.col("note").str.contains("UN Comtrade"))
    assert set(comtrade["agency"]) == {"COMTRADE"}
    assert "KOTRA: a figure KOTRA compiled" in harmonize_trade.AGENCY_RULE


CHINA_OWN = ["GACC", "KITA", "COMTRADE", "MOFCOM", "KOTRA"]  # China's statistics, by whoever compiled them (reporter CHN)


def test_china_own_figures_cover_every_year_2000_2025(built):
    a = built[0].tables["trade_annual"].filter((pl.col("reporter") == "CHN") & (pl.col("partner") == "PRK") & pl.col("agency").is_in(CHINA_OWN))
    assert sorted(set(a["year"])) == list(range(2000, 2026))
    split = a.filter(pl.col("exports_usd").is_not_null() & pl.col("imports_usd").is_not_null())
    assert len(set(split["year"])) >= 22  # no source found yet for the split of 2001, 2005, 2009, 2024
    assert {2000, 2007, 2008, 2015, 2021} <= set(split["year"])  # splits printed by pages of the time, each with China as reporter
    r2004 = a.filter((pl.col("year") == 2004) & (pl.col("agency") == "GACC")).row(0, named=True)
    assert (r2004["exports_usd"], r2004["imports_usd"], r2004["total_usd"]) == (799_000_000, 585_700_000, 1_380_000_000)
    # the 2012 figure reported days after the year ended is provisional: the later release is chosen
    r2012 = a.filter((pl.col("year") == 2012) & (pl.col("agency") == "GACC")).row(0, named=True)
    assert r2012["total_usd"] == 5_932_000_000 and r2012["source_id"] == "dailynk-2013-01-nk-china-trade-2012"
