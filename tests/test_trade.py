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
