"""The labour revenue model on inputs with known answers, and on the real tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

from analysis.harmonize import labor as panel_rule
from analysis.models import labor_revenue as lr

NAN = np.nan


def _assume(host, inp, dist="pert", centre="most_cited", window=3, widen=1.0, frm=None, exclude=None):
    return {"host": host, "input": inp, "distribution": dist, "centre": centre, "inputs_from": frm or host,
            "year_window": window, "widen": widen, "exclude_source_ids": exclude, "reason": "test assumption"}


def _workers(rows):
    """(host, measure, start, end, value, low, high, scope, source) -> labor_workers (pandas)."""
    return pd.DataFrame([{"host": h, "measure": m, "period_start": pd.Timestamp(s), "period_end": pd.Timestamp(e), "value": v,
                          "value_low": lo, "value_high": hi, "scope": sc, "source_id": src}
                         for h, m, s, e, v, lo, hi, sc, src in rows])


def _inputs(rows):
    """(host, parameter, start, end, value, low, high, scope, source[, currency]) -> labor_model_inputs."""
    out = []
    for r in rows:
        h, p, s, e, v, lo, hi, sc, src = r[:9]
        out.append({"host": h, "parameter": p, "period_start": pd.Timestamp(s) if s else pd.NaT, "period_end": pd.Timestamp(e) if e else pd.NaT,
                    "value": v, "value_low": lo, "value_high": hi, "scope": sc, "source_id": src,
                    "unit": "percent" if p == "state_share_pct" else "per_month", "currency": None if p == "state_share_pct" else (r[9] if len(r) > 9 else "USD")})
    return pd.DataFrame(out)


def _panel(workers: pd.DataFrame) -> pd.DataFrame:
    return panel_rule.build_panel(pl.from_pandas(workers)).to_pandas()


def _tables(workers, inputs, assumptions):
    return {"labor_workers": workers, "labor_panel": _panel(workers), "labor_model_inputs": inputs,
            "labor_revenue_assumptions": pd.DataFrame(assumptions), "labor_revenue_estimates": pd.DataFrame()}


def _simple(hosts=("RUS", "CHN"), wage=(300, 650, 1000), share=(30, 80, 90)):
    w = _workers([(h, "stock_official", "2017-12-31", "2017-12-31", 10_000.0, NAN, NAN, "national", f"{h}-stock") for h in hosts])
    i = _inputs([("WLD", "monthly_wage_per_worker", "2017-01-01", "2017-12-31", v, NAN, NAN, "world", f"wage{k}") for k, v in enumerate(wage)]
                + [("WLD", "state_share_pct", "2017-01-01", "2017-12-31", v, NAN, NAN, "world", f"share{k}") for k, v in enumerate(share)])
    a = [_assume(h, x) for h in hosts for x in ("workers", "monthly_wage_usd", "state_share")]
    return _tables(w, i, a)


def test_point_inputs_give_the_product():
    t = _simple(hosts=("RUS",), wage=(500,), share=(50,))
    ranges = lr.input_table(t)
    out = lr.simulate(ranges, 0.0)[0].iloc[0]
    assert out["median_usd"] == out["p05_usd"] == out["p95_usd"] == pytest.approx(10_000 * 500 * 12 * 0.5)
    assert out["per_worker_median_usd"] == pytest.approx(500 * 12 * 0.5)


def test_correlation_one_puts_every_host_at_the_same_quantile():
    ranges = lr.input_table(_simple())
    rus = lr.draw_inputs(ranges, "RUS", 2017, 1.0)
    chn = lr.draw_inputs(ranges, "CHN", 2017, 1.0)
    for name in ("monthly_wage_usd", "state_share"):
        assert stats.spearmanr(rus[name], chn[name])[0] == pytest.approx(1.0)
        np.testing.assert_allclose(rus[name], chn[name])  # same distribution, same quantile: same draws
    ind_r, ind_c = lr.draw_inputs(ranges, "RUS", 2017, 0.0), lr.draw_inputs(ranges, "CHN", 2017, 0.0)
    assert abs(stats.spearmanr(ind_r["monthly_wage_usd"], ind_c["monthly_wage_usd"])[0]) < 0.05
    # a common shock widens the world total: the 90% interval with rho = 1 is wider than with rho = 0
    w0 = lr.simulate(ranges, 0.0)[1].iloc[0]
    w1 = lr.simulate(ranges, 1.0)[1].iloc[0]
    assert (w1["p95_usd"] - w1["p05_usd"]) > 1.2 * (w0["p95_usd"] - w0["p05_usd"])


def test_inputs_are_not_one_shared_uniform():
    w = _workers([("RUS", "stock_estimate", "2017-12-31", "2017-12-31", 30_000.0, 20_000.0, 50_000.0, "national", "est")])
    t = _simple(hosts=("RUS",))
    t["labor_workers"], t["labor_panel"] = w, _panel(w)
    d = lr.draw_inputs(lr.input_table(t), "RUS", 2017, 1.0)
    for a, b in (("workers", "monthly_wage_usd"), ("workers", "state_share"), ("monthly_wage_usd", "state_share")):
        assert abs(stats.spearmanr(d[a], d[b])[0]) < 0.05, (a, b)


def test_regional_figures_never_set_a_national_bound():
    w = _workers([("RUS", "stock_official", "2017-12-31", "2017-12-31", 30_023.0, NAN, NAN, "national", "mvd"),
                  ("RUS", "stock_estimate", "2017-06-30", "2017-06-30", 37_000.0, NAN, NAN, "national", "nis"),
                  ("RUS", "stock_estimate", "2017-03-01", "2017-03-01", 3_500.0, NAN, NAN, "regional", "petition"),
                  ("RUS", "stock_estimate", "2017-03-01", "2017-03-01", 50_000.0, NAN, NAN, "firm", "one-site")])
    i = _inputs([("RUS", "monthly_wage_per_worker", "2017-01-01", "2017-12-31", 600.0, NAN, NAN, "national", "w1"),
                 ("RUS", "monthly_wage_per_worker", "2017-01-01", "2017-12-31", 5000.0, NAN, NAN, "regional", "w-region"),
                 ("RUS", "monthly_wage_per_worker", "2017-01-01", "2017-12-31", 50.0, NAN, NAN, "firm", "w-firm"),
                 ("RUS", "state_share_pct", "2017-01-01", "2017-12-31", 80.0, NAN, NAN, "national", "s1")])
    t = _tables(w, i, [_assume("RUS", x) for x in ("workers", "monthly_wage_usd", "state_share")])
    r = lr.input_table(t).set_index("input")
    assert (r.loc["workers", "low"], r.loc["workers", "high"]) == (30_023, 30_023)  # official first; no petition, no firm
    assert (r.loc["monthly_wage_usd", "low"], r.loc["monthly_wage_usd", "high"]) == (600, 600)
    assert "w-region" not in r.loc["monthly_wage_usd", "source_ids"]
    # the model of earlier releases did take them: kept as a sensitivity row, its bounds show the difference
    legacy = lr.legacy_inputs(t).set_index("input")
    assert legacy.loc["workers", "low"] == 3_500 and legacy.loc["monthly_wage_usd", "high"] == 5000


def test_people_per_entry_bounds_are_the_calibrated_ratios_widened():
    w = _workers([("CHN", "stock_estimate", "2014-12-31", "2014-12-31", 10_000.0, NAN, NAN, "national", "s14"),
                  ("CHN", "entries_for_work", "2014-01-01", "2014-12-31", 20_000.0, NAN, NAN, "national", "e14"),
                  ("CHN", "stock_estimate", "2015-12-31", "2015-12-31", 30_000.0, NAN, NAN, "national", "s15"),
                  ("CHN", "entries_for_work", "2015-01-01", "2015-12-31", 15_000.0, NAN, NAN, "national", "e15"),
                  ("CHN", "entries_for_work", "2016-01-01", "2016-12-31", 40_000.0, NAN, NAN, "national", "e16"),
                  ("CHN", "entries_for_work", "2016-01-01", "2016-06-30", 99_000.0, NAN, NAN, "national", "half-year"),
                  ("CHN", "entries_for_work", "2016-01-01", "2016-12-31", 77_000.0, NAN, NAN, "regional", "one-province")])
    i = _inputs([("CHN", "monthly_wage_per_worker", "2010-01-01", "2020-12-31", 300.0, NAN, NAN, "national", "w"),
                 ("CHN", "state_share_pct", "2010-01-01", "2020-12-31", 70.0, NAN, NAN, "national", "s")])
    a = [_assume("CHN", x) for x in ("workers", "monthly_wage_usd", "state_share")]
    a += [_assume("CHN", "entries", centre="median", window=0), _assume("CHN", "people_per_entry", dist="uniform", centre="median", widen=2.0)]
    r = lr.input_table(_tables(w, i, a))
    y16 = r.loc[r["year"] == 2016].set_index("input")
    assert set(y16.index) == {"entries", "people_per_entry", "monthly_wage_usd", "state_share"}
    assert (y16.loc["entries", "low"], y16.loc["entries", "high"]) == (40_000, 40_000)  # whole-year, national only
    # ratios 10,000/20,000 = 0.5 and 30,000/15,000 = 2.0; halved and doubled
    assert y16.loc["people_per_entry", "low"] == pytest.approx(0.25) and y16.loc["people_per_entry", "high"] == pytest.approx(4.0)
    assert y16.loc["people_per_entry", "centre"] == pytest.approx(1.25) and y16.loc["people_per_entry", "year_rule"] == "calibrated_on_2_years"
    d = lr.draw_inputs(r, "CHN", 2016, 0.0)
    assert d["people_per_entry"].min() >= 0.25 and d["people_per_entry"].max() <= 4.0 and d["people_per_entry"].max() > 3.9
    # years with a head count use it, never the conversion
    assert set(r.loc[r["year"] == 2014, "input"]) == {"workers", "monthly_wage_usd", "state_share"}


def test_year_rule_covers_then_nearest_then_undated():
    f = _inputs([("WLD", "state_share_pct", "2012-01-01", "2012-12-31", 50.0, NAN, NAN, "world", "y2012"),
                 ("WLD", "state_share_pct", "2015-01-01", "2015-12-31", 60.0, NAN, NAN, "world", "y2015"),
                 ("WLD", "state_share_pct", "2020-01-01", "2021-12-31", 70.0, NAN, NAN, "world", "y2020-21"),
                 ("WLD", "state_share_pct", None, None, 90.0, NAN, NAN, "world", "undated")])
    assert lr.match_year(f, 2021, 3)[0]["source_id"].tolist() == ["y2020-21"]
    m, rule = lr.match_year(f, 2014, 3)
    assert m["source_id"].tolist() == ["y2015"] and rule == "nearest_dated_1y"
    m, rule = lr.match_year(f, 2013, 3)  # 2012 and 2015 are 1 and 2 years away: the nearest wins alone
    assert m["source_id"].tolist() == ["y2012"]
    m, rule = lr.match_year(f, 2000, 3)
    assert m["source_id"].tolist() == ["undated"] and rule == "undated"


def test_pert_puts_its_weight_on_the_most_cited_figure():
    t = _simple(hosts=("RUS",), wage=(300, 800, 800, 800, 1000), share=(50,))
    r = lr.input_table(t).set_index("input")
    assert (r.loc["monthly_wage_usd", "low"], r.loc["monthly_wage_usd", "centre"], r.loc["monthly_wage_usd", "high"]) == (300, 800, 1000)
    wage = lr.draw_inputs(lr.input_table(t), "RUS", 2017, 0.0)["monthly_wage_usd"]
    # PERT(300, 800, 1000): mean (300 + 4 x 800 + 1000) / 6
    assert wage.mean() == pytest.approx((300 + 4 * 800 + 1000) / 6, rel=0.01)
    u = lr.quantile("uniform", 300, 800, 1000, np.array([0.5]))
    assert u[0] == pytest.approx(650)  # a flat draw ignores the centre: the difference the weighting makes
    ln = lr.quantile("lognormal", 400, 800, 1000, np.array([0.5, 0.05]))
    assert ln[0] == pytest.approx(800) and ln[1] == pytest.approx(400)  # the farther extreme sits at the 5th percentile


def test_seeded_and_deterministic():
    ranges = lr.input_table(_simple())
    a, b = lr.simulate(ranges, 1.0)[0], lr.simulate(ranges, 1.0)[0]
    pd.testing.assert_frame_equal(a, b)


def test_real_tables(built):
    tables = {k: v.to_pandas() for k, v in built[0].tables.items()}
    out = lr.run(tables)
    world = out["labor_revenue_world"]
    assert set(world["variant"]) == {"weighted_rho0", "weighted_rho1", "uniform_pooled"}
    w17 = world.loc[world["year"] == 2017].set_index("variant")
    assert w17.loc["weighted_rho0", "n_hosts"] >= 5
    assert w17.loc["weighted_rho0", "p05_usd"] < w17.loc["weighted_rho0", "median_usd"] < w17.loc["weighted_rho0", "p95_usd"]
    assert (w17.loc["weighted_rho1", "p95_usd"] - w17.loc["weighted_rho1", "p05_usd"]) > (w17.loc["weighted_rho0", "p95_usd"] - w17.loc["weighted_rho0", "p05_usd"])
    inputs = out["labor_revenue_inputs"]
    assert set(inputs.loc[inputs["variant"] == "weighted", "distribution"]) <= {"pert", "lognormal", "uniform"}
    comp = out["labor_revenue_comparison"]
    assert len(comp) == len(tables["labor_revenue_estimates"])
    assert comp["reasons_they_differ"].str.len().gt(0).all()


def test_shared_draws_are_each_host_years_own_draws():
    """The revenue model, its sensitivity and the trade-off share one set of draws: a wrong key or order would pair a
    host-year with another's draws."""
    ranges = lr.input_table(_simple())
    shared = lr.draws_by_host_year(ranges, 0.0)
    assert list(shared) == sorted({(str(h), int(y)) for h, y in zip(ranges["host"], ranges["year"])})
    for (host, year), d in shared.items():
        own = lr.draw_inputs(ranges, host, year, 0.0)
        assert d.keys() == own.keys()
        for name in own:
            np.testing.assert_array_equal(d[name], own[name])
    pd.testing.assert_frame_equal(lr.simulate(ranges, 0.0, draws=shared)[0], lr.simulate(ranges, 0.0)[0])


def test_pert_shape_is_computed_once_and_cannot_be_changed():
    first = lr._beta_quantiles(2.0, 3.0)
    assert lr._beta_quantiles(2.0, 3.0) is first
    np.testing.assert_allclose(first[[0, 4096, 8192]], [0.0, stats.beta.ppf(0.5, 2.0, 3.0), 1.0])
    with pytest.raises(ValueError):
        first[1] = 0.5  # a caller that scaled it in place would change every later draw of that shape
