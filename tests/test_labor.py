"""Workers abroad: known figures, measures kept apart, bad input."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

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
]


@pytest.mark.parametrize("file,needle,old,new,column,rule", CASES, ids=["unknown measure", "host not ISO3", "unknown host code", "low above high", "percent over 100"])
def test_bad_labor_rows(file, needle, old, new, column, rule, raw_copy, processed_copy, capsys):
    rel = f"labor/{file}"
    path = raw_copy / rel
    lines = path.read_text(encoding="utf-8").split("\n")
    if old is None:  # turn a wage row into a 150% share
        n = line_of(raw_copy, rel, "state_share_pct,RUS")
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
