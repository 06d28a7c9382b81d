"""The labour revenue model on inputs with known answers, and on the real tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import cli
from analysis.models import labor_revenue


def _tables(workers_range, wage_range, share_range):
    workers = pd.DataFrame({
        "source_id": ["w1", "w2"], "host": ["RUS", "RUS"], "measure": ["stock_official", "stock_estimate"],
        "period_start": ["2017-12-31"] * 2, "period_end": ["2017-12-31"] * 2,
        "value": [workers_range[0], workers_range[1]], "value_low": [np.nan] * 2, "value_high": [np.nan] * 2})
    inputs = pd.DataFrame({
        "source_id": ["a", "b", "c", "d", "it"], "host": ["RUS", "RUS", "RUS", "WLD", "WLD"],
        "parameter": ["monthly_wage_per_worker", "monthly_wage_per_worker", "state_share_pct", "state_share_pct", "monthly_wage_per_worker"],
        "value": [wage_range[0], wage_range[1], share_range[0], share_range[1], 5000.0],
        "value_low": [np.nan] * 5, "value_high": [np.nan] * 5, "currency": ["USD", "USD", None, None, "USD"]})
    assumptions = pd.DataFrame({"host": ["RUS"], "workers_from": ["RUS"], "inputs_from": ["RUS"],
                                "exclude_source_ids": ["it"], "distribution": ["uniform"], "rationale": ["test"]})
    return workers, inputs, assumptions


def test_point_inputs_give_the_product():
    ranges = labor_revenue.input_ranges(*_tables((10_000, 10_000), (500, 500), (50, 50)))
    out = labor_revenue.simulate(ranges)["host_year"].iloc[0]
    assert out["median_usd"] == out["p05_usd"] == out["p95_usd"] == 10_000 * 500 * 12 * 0.5


def test_uniform_ranges_give_the_known_median_and_excluded_sources_stay_out():
    ranges = labor_revenue.input_ranges(*_tables((10_000, 30_000), (400, 600), (50, 50)))
    wage = ranges.loc[ranges["input"] == "monthly_wage_usd"].iloc[0]
    assert (wage["low"], wage["high"]) == (400, 600)  # the excluded 5,000 IT wage is not pooled
    sim = labor_revenue.simulate(ranges)
    med = sim["host_year"]["median_usd"].iloc[0]
    # product of two independent uniforms U(1e4,3e4) x U(400,600) x 12 x 0.5: median close to the product of the means
    assert abs(med - 20_000 * 500 * 6) / (20_000 * 500 * 6) < 0.03
    sens = sim["sensitivity"].set_index("input")["share_of_width_from_input"]
    assert sens["workers"] > sens["monthly_wage_usd"] > sens["state_share"] == 0  # the widest relative range drives the width


def test_seeded_and_deterministic():
    ranges = labor_revenue.input_ranges(*_tables((10_000, 30_000), (400, 600), (40, 90)))
    a = labor_revenue.simulate(ranges)["host_year"]
    b = labor_revenue.simulate(ranges)["host_year"]
    pd.testing.assert_frame_equal(a, b)


def test_real_tables(built):
    tables = {k: v.to_pandas() for k, v in built[0].tables.items()}
    out = labor_revenue.run(tables)
    world = out["labor_revenue_world"].set_index("year")
    assert world.loc[2017, "n_hosts"] >= 5
    assert world.loc[2017, "p05_usd"] < world.loc[2017, "median_usd"] < world.loc[2017, "p95_usd"]
    comp = out["labor_revenue_comparison"]
    assert len(comp) == (tables["labor_revenue_estimates"]["host"] == "WLD").sum()
    assert comp["reasons_they_differ"].str.len().gt(0).all()


def test_fetch_without_key_exits_non_zero(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    code = cli.main(["fetch", "comtrade", "--reporter", "CHN", "--years", "2019", "--out", str(tmp_path)])
    assert code != 0
    assert "COMTRADE_API_KEY" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_entries_converted_with_the_hosts_own_ratio():
    workers, inputs, assumptions = _tables((1_000, 1_000), (500, 500), (50, 50))
    entries = pd.DataFrame({
        "source_id": ["e1", "e2"], "host": ["RUS", "RUS"], "measure": ["entries_total", "entries_total"],
        "period_start": ["2017-01-01", "2019-01-01"], "period_end": ["2017-12-31", "2019-12-31"],
        "value": [2_000.0, 4_000.0], "value_low": [np.nan] * 2, "value_high": [np.nan] * 2})
    ranges = labor_revenue.input_ranges(pd.concat([workers, entries]), inputs, assumptions)
    ratio = ranges.loc[(ranges["year"] == 2019) & (ranges["input"] == "people_per_entry")].iloc[0]
    assert (ratio["low"], ratio["high"]) == (0.5, 0.5)  # 1,000 people / 2,000 entries in 2017
    out = labor_revenue.simulate(ranges)["host_year"].set_index("year")
    assert out.loc[2019, "median_usd"] == 4_000 * 0.5 * 500 * 12 * 0.5
