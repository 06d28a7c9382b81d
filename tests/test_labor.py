"""Workers abroad: known figures, measures kept apart, bad input."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analysis.errors import IssueLog
from analysis.harmonize import labor as panel_rule

from .conftest import rewrite, snapshot
from .test_bad_input import line_of, run_build


def test_known_figures_and_measures(built):
    w = built[0].tables["labor_workers"]
    fsb_2024 = w.filter((pl.col("host") == "RUS") & (pl.col("period_start") == dt.date(2024, 1, 1)) & (pl.col("period_end") == dt.date(2024, 12, 31)))
    assert 13221 in set(fsb_2024.filter(pl.col("measure") == "entries_total")["value"])
    assert 7887 in set(fsb_2024.filter(pl.col("measure") == "entries_for_study")["value"])
    assert set(built[0].tables["labor_measures"]["measure"]) >= {"stock_official", "stock_estimate", "entries_for_work", "repatriated_2397"}
    rev = built[0].tables["labor_revenue_estimates"]
    assert (rev["currency"] == "USD").sum() >= 30 and rev.height >= 35
    assert set(w["scope"]) <= {"national", "regional", "firm", "world", "multi_country"} and (w["scope"] == "national").sum() > 400


def _workers(rows):
    """Rows of (host, measure, date, value, low, high, scope, source) as a labor_workers frame."""
    return pl.DataFrame(
        [{"source_id": s, "period_start": dt.date.fromisoformat(d), "period_end": dt.date.fromisoformat(d), "host": h, "measure": m,
          "value": v, "value_low": lo, "value_high": hi, "scope": sc, "_file": "data/raw/labor/workers.csv", "_line": i + 2}
         for i, (h, m, d, v, lo, hi, sc, s) in enumerate(rows)],
        schema_overrides={"value": pl.Float64, "value_low": pl.Float64, "value_high": pl.Float64})


def test_panel_rule_official_first_no_entries_no_regional():
    w = _workers([
        ("RUS", "stock_official", "2017-12-31", 30023, None, None, "national", "mvd"),
        ("RUS", "stock_estimate", "2017-06-30", 50000, None, None, "national", "nis"),
        ("RUS", "stock_estimate", "2017-06-30", 3500, None, None, "regional", "petition"),
        ("RUS", "entries_for_work", "2017-12-31", 40000, None, None, "national", "fsb"),
        ("RUS", "stock_estimate", "2018-06-30", None, 20000, 40000, "national", "nis"),
        ("RUS", "stock_estimate", "2018-06-30", 10000, None, None, "national", "media"),
        ("RUS", "entries_for_work", "2019-12-31", 9000, None, None, "national", "fsb"),
        ("CHN", "stock_official", "2018-12-31", 700, None, None, "regional", "dandong"),
        ("WLD", "stock_estimate", "2018-12-31", 100000, None, None, "world", "un"),
    ])
    p = {(r["host"], r["year"]): r for r in panel_rule.build_panel(w).iter_rows(named=True)}
    # official stock wins over estimates in 2017; the estimate and the regional petition never enter
    assert (p["RUS", 2017]["low"], p["RUS", 2017]["central"], p["RUS", 2017]["high"]) == (30023, 30023, 30023)
    assert p["RUS", 2017]["basis"] == "stock_official" and p["RUS", 2017]["source_ids"] == "mvd"
    # estimates in 2018: a range counts by its midpoint for the centre, by its ends for the bounds
    assert (p["RUS", 2018]["low"], p["RUS", 2018]["central"], p["RUS", 2018]["high"]) == (10000, 20000, 40000)
    assert p["RUS", 2018]["n_sources"] == 2
    # entries alone never make a head count; a regional or world figure never stands for a host
    assert ("RUS", 2019) not in p and ("CHN", 2018) not in p and ("WLD", 2018) not in p


def test_panel_row_mixing_measures_is_reported_at_its_raw_rows():
    w = _workers([("RUS", "stock_official", "2017-12-31", 30023, None, None, "national", "mvd"),
                  ("RUS", "entries_for_work", "2017-12-31", 40000, None, None, "national", "mvd")])
    panel = panel_rule.build_panel(w).with_columns(pl.lit("stock_official;entries_for_work").alias("basis"))
    log = IssueLog()
    panel_rule.check_panel(panel, w, log)
    text = [str(i) for i in log.issues]
    assert len(text) == 2 and all("data/raw/labor/workers.csv" in t and "column 'measure'" in t and "never a mix" in t for t in text)
    assert {i.line for i in log.issues} == {2, 3}
    log = IssueLog()
    panel_rule.check_panel(panel_rule.build_panel(w), w, log)
    assert not log


def test_mixed_panel_basis_stops_the_build(raw_copy, processed_copy, capsys, monkeypatch):
    from analysis import build as build_module
    real = panel_rule.build_panel
    monkeypatch.setattr(build_module.labor_panel, "build_panel",
                        lambda w: real(w).with_columns(pl.when(pl.col("host") == "RUS").then(pl.lit("stock_official;entries_total")).otherwise(pl.col("basis")).alias("basis")))
    before = snapshot(processed_copy)
    code, err = run_build(raw_copy, processed_copy, capsys)
    assert code == 1 and "labor/workers.csv, line" in err and "column 'measure'" in err and "never a mix" in err, err
    assert snapshot(processed_copy) == before


def test_real_panel(built):
    p = built[0].tables["labor_panel"]
    assert p.filter(pl.col("host") == "RUS").height >= 5
    rus17 = p.filter((pl.col("host") == "RUS") & (pl.col("year") == 2017)).row(0, named=True)
    assert rus17["basis"] == "stock_official" and rus17["low"] >= 30000  # no regional petition sets the bound
    assert set(p["basis"]) <= {"stock_official", "remaining_2397", "stock_estimate"}


CASES = [
    ("workers.csv", "joongang-2025-02-09-nis-workers-russia,2024-01-01,2024-12-31,RUS,entries_total,13221",
     ",entries_total,", ",entries_guessed,", "measure", "isin"),
    ("workers.csv", "joongang-2025-02-09-nis-workers-russia,2024-01-01,2024-12-31,RUS,entries_total,13221",
     ",RUS,", ",RUSSIA,", "host", "isin"),
    ("workers.csv", "joongang-2025-02-09-nis-workers-russia,2024-01-01,2024-12-31,RUS,entries_total,13221",
     ",RUS,", ",XYZ,", "host", "isin"),
    ("revenue_estimates.csv", "japantimes-2018-08-03-russia-allowing-workers,2018-01-01,2018-12-31,RUS",
     ",150000000,300000000,", ",300000000,150000000,", "value_low", "must not exceed value_high"),
    ("model_inputs.csv", "thestar-2025-02-10-nis-workers-russia,monthly_wage_per_worker,RUS",
     None, None, "value", "at most 100"),
    ("workers.csv", "joongang-2025-02-09-nis-workers-russia,2024-01-01,2024-12-31,RUS,entries_total,13221",
     ",national", ",countrywide", "scope", "isin"),
    ("model_inputs.csv", "thestar-2025-02-10-nis-workers-russia,monthly_wage_per_worker,RUS",
     ",national", ",somewhere", "scope", "isin"),
    ("revenue_assumptions.csv", "RUS,monthly_wage_usd,pert,", ",pert,", ",triangular,", "distribution", "isin"),
    ("revenue_assumptions.csv", "CHN,entries,", "CHN,entries,", "CHN,entries_guessed,", "input", "isin"),
    ("revenue_assumptions.csv", "CHN,people_per_entry,", "CHN,people_per_entry,", "KWT,people_per_entry,", "input", "needs a 'entries' row"),
    ("revenue_assumptions.csv", "RUS,state_share,pert,most_cited,RUS,3,1,", ",3,1,", ",3,2,", "widen", "only people_per_entry is widened"),
]


@pytest.mark.parametrize("file,needle,old,new,column,rule", CASES, ids=["unknown measure", "host not ISO3", "unknown host code", "low above high", "percent over 100", "unknown scope", "unknown input scope", "distribution outside its list",
                                                                "unknown model input", "entries conversion without entries", "widened wage share"])
def test_bad_labor_rows(file, needle, old, new, column, rule, raw_copy, processed_copy, capsys):
    rel = f"labor/{file}"
    path = raw_copy / rel
    lines = path.read_text(encoding="utf-8").split("\n")
    if old is None:  # turn a wage row into a 150% share
        n = line_of(raw_copy, rel, "state_share_pct,WLD")
        cells = lines[n - 1].split(",")
        cells[5] = "150"
        lines[n - 1] = ",".join(cells)
    else:
        n = line_of(raw_copy, rel, needle)
        lines[n - 1] = lines[n - 1].replace(old, new, 1)
    rewrite(path, "\n".join(lines))
    before = snapshot(processed_copy)
    code, err = run_build(raw_copy, processed_copy, capsys)
    assert code == 1
    hit = [m for m in err.splitlines() if f"{rel}, line {n}, column '{column}'" in m]
    assert hit and rule in hit[0], err
    assert snapshot(processed_copy) == before


def test_panel_gaps_say_why():
    w = _workers([("RUS", "entries_for_work", "2012-12-31", 9000, None, None, "national", "fsb"),
                  ("RUS", "stock_estimate", "2013-06-30", 3500, None, None, "regional", "petition"),
                  ("RUS", "stock_official", "2014-12-31", 30000, None, None, "national", "mvd")])
    gaps = {r["year"]: r["reason"] for r in panel_rule.panel_gaps(w, panel_rule.build_panel(w), ("RUS",), range(2011, 2015)).iter_rows(named=True)}
    assert set(gaps) == {2011, 2012, 2013}
    assert gaps[2011] == "no published figure of any measure found"
    assert gaps[2012].startswith("only entries_for_work") and "regional scope" in gaps[2013]


def test_real_panel_gaps(built):
    gaps = built[0].tables["labor_panel_gaps"]
    panel = built[0].tables["labor_panel"]
    for host in ("RUS", "CHN"):  # every year 2010-2025: a panel row or a stated reason, never both
        have = set(panel.filter(pl.col("host") == host)["year"]) & set(range(2010, 2026))
        missing = set(gaps.filter(pl.col("host") == host)["year"])
        assert have | missing == set(range(2010, 2026)) and not have & missing
