"""The time-series suite against cases with known answers, and on the real tables."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.stattools import grangercausalitytests

from analysis.models import breaks, forecasts, interventions, its, nb2, relationships, trade_monthly


def events_frame(**dates) -> pd.DataFrame:
    return pd.DataFrame({"event_id": list(dates), "date": pd.to_datetime(list(dates.values())), "title": list(dates)})


# -- interrupted time series ------------------------------------------------------------------

def simulated_its(seed: int, level: float, slope: float, n_years: int = 30, alpha: float = 0.01):
    years = pd.period_range("1996", periods=n_years, freq="Y")
    ev = events_frame(shock="2010-01-01")
    X = its.design(years, ev, [("shock", "shock")], years[0])
    beta = np.array([np.log(800), 0.05, np.log(level), np.log(slope)])
    mu = np.exp(X.to_numpy() @ beta)
    rng = np.random.default_rng(seed)
    y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    return pd.Series(y.astype(float), index=years), ev, mu


def test_its_recovers_known_level_and_slope_changes():
    counts, ev, mu = simulated_its(11, level=0.4, slope=0.9)
    out = its.fit(counts, ev, [("shock", "shock")])
    t = out["terms"].set_index("term")
    for term, true in (("step:shock", 0.4), ("ramp:shock", 0.9), ("trend", np.exp(0.05))):
        assert t.loc[term, "ci_low"] < true < t.loc[term, "ci_high"], term
    assert abs(t.loc["step:shock", "rate_ratio"] - 0.4) < 0.08
    assert abs(t.loc["ramp:shock", "rate_ratio"] - 0.9) < 0.03
    # the counterfactual without the change is the pre-event trend carried on: 800 * e^(0.05 t)
    cf = out["paths"].loc[out["paths"]["scenario"] == "without shock"]
    truth = 800 * np.exp(0.05 * np.arange(len(counts)))
    np.testing.assert_allclose(cf["mean"].to_numpy(), truth, rtol=0.12)
    assert (cf["low"] < truth).mean() > 0.9 and (cf["high"] > truth).mean() > 0.9
    assert t["n"].iloc[0] == 30 and "N = 30" in t["caveat"].iloc[0]


def test_its_keeps_only_changes_with_enough_periods_on_each_side():
    idx = pd.period_range("2019Q1", "2025Q1", freq="Q")
    ev = events_frame(early="2011-12-17", closure="2020-01-22", late="2024-12-01")
    assert its.usable_changes(idx, ev, [("early", ""), ("closure", ""), ("late", "")]) == [("closure", "")]


def test_nb2_refuses_too_few_observations():
    X = pd.DataFrame({"const": 1.0, "a": [0.0, 1.0, 2.0]})
    with pytest.raises(nb2.ModelError, match="too few"):
        nb2.fit(np.array([1, 2, 3]), X, "toy")


# -- breaks -------------------------------------------------------------------------------------

def test_partition_matches_brute_force():
    rng = np.random.default_rng(3)
    y = rng.normal(size=14)
    for m in (1, 2):
        bounds, ssr = breaks.partition(y, m, 3)
        best = min((sum(((s - s.mean()) ** 2).sum() for s in np.split(y, list(c))), list(c))
                   for c in itertools.combinations(range(3, 12), m) if all(b - a >= 3 for a, b in zip((0,) + c, c + (14,))))
        assert bounds == best[1] and ssr == pytest.approx(best[0])


def test_break_search_finds_a_known_break_and_no_break_where_there_is_none():
    rng = np.random.default_rng(2026)
    y = np.concatenate([rng.normal(0, 0.25, 30), rng.normal(1.0, 0.25, 50)])
    out = breaks.search(y, 12, 4)
    assert out["chosen"]["m"] == 1
    t = out["chosen"]["bounds"][0]
    lo, hi = out["sets"][0]
    assert abs(t - 30) <= 1 and lo <= 30 <= hi and hi - lo <= 4
    flat = breaks.search(rng.normal(0, 0.25, 80), 12, 4)
    assert flat["chosen"]["m"] == 0


def test_break_search_on_gappy_months_dates_the_break_and_names_the_nearest_event():
    rng = np.random.default_rng(9)
    months = pd.period_range("2016-01", "2023-12", freq="M")
    keep = np.sort(rng.choice(len(months), 60, replace=False))
    idx = months[keep]
    level = np.where(idx < pd.Period("2020-02", "M"), np.log(2e8), np.log(2e7))
    s = pd.Series(np.exp(level + rng.normal(0, 0.2, len(idx))), index=idx)
    ev = events_frame(closure="2020-01-22", other="2017-08-05")
    out = breaks.run_series("toy", s, ev, "USD per month")
    b = out["breaks"].iloc[0]
    assert len(out["breaks"]) == 1
    assert pd.Period(b["band_low"]) <= pd.Period("2020-02") <= pd.Period(b["band_high"])
    assert b["nearest_event_id"] == "closure" and "closure" in b["events_in_band"]
    assert b["ratio_after_to_before"] == pytest.approx(0.1, rel=0.2)


# -- monthly trade model -------------------------------------------------------------------------

def test_trade_model_recovers_a_known_step_through_missing_months():
    rng = np.random.default_rng(5)
    idx = pd.period_range("2015-01", "2024-12", freq="M")
    ev = events_frame(sanction="2017-08-05", closure="2020-01-22")
    changes = [("sanction", "s"), ("closure", "c")]
    X = trade_monthly.exog(idx, ev, changes)
    beta = {"const": np.log(2e8), "sin1": 0.2, "cos1": -0.1, "sin2": 0.0, "cos2": 0.05, "step:sanction": -0.5, "step:closure": -2.0}
    mean = X[list(beta)].to_numpy() @ np.array(list(beta.values()))
    u = np.zeros(len(idx))
    e = rng.normal(0, 0.15, len(idx))
    for t in range(1, len(idx)):
        u[t] = 0.5 * u[t - 1] + e[t]
    y = pd.Series(np.exp(mean + u), index=idx)
    y[rng.random(len(idx)) < 0.4] = np.nan  # 40% of months unpublished
    fitted = trade_monthly.fit(y.dropna(), ev, changes)
    eff = trade_monthly.effects(fitted, "toy", changes).set_index("event_id")
    for event_id, true in (("sanction", -0.5), ("closure", -2.0)):
        pct = 100 * np.expm1(true)
        assert eff.loc[event_id, "ci_low_pct"] < pct < eff.loc[event_id, "ci_high_pct"], event_id
    assert eff.loc["closure", "pct_change"] == pytest.approx(100 * np.expm1(-2.0), abs=8)
    assert 0.2 < eff["ar1"].iloc[0] < 0.8


def test_stl_marks_every_interpolated_month():
    idx = pd.period_range("2016-01", "2021-12", freq="M")
    s = pd.Series(np.exp(10 + 0.3 * np.sin(2 * np.pi * idx.month / 12)), index=idx)
    gappy = s.drop(s.index[[5, 6, 20, 40]])
    out = trade_monthly.stl(gappy, "toy")
    assert out["interpolated"].sum() == 4 and len(out) == 72
    # a pure seasonal series: STL's seasonal component carries it
    assert np.corrcoef(out["seasonal"], 0.3 * np.sin(2 * np.pi * idx.month / 12))[0, 1] > 0.95


# -- forecasts -----------------------------------------------------------------------------------

def test_mase_of_the_naive_forecast_on_a_straight_line_equals_the_horizon():
    s = pd.Series(np.arange(1.0, 21.0), index=pd.period_range("2000", periods=20, freq="Y"))
    perfect = lambda train: np.array([train.iloc[-1] + h for h in (1, 2, 3)])  # noqa: E731
    bt = forecasts.backtest(s, perfect)
    acc = forecasts.mase(bt, "line").set_index("horizon")
    np.testing.assert_allclose(acc["mase_naive"], [1, 2, 3])
    np.testing.assert_allclose(acc["mase_model"], [0, 0, 0])
    assert acc["model_beats_naive"].all()
    assert acc.loc[1, "origins"] == 20 - forecasts.MIN_TRAIN


def test_arrivals_forecast_covers_the_truth_and_carries_interventions_forward():
    counts, ev, mu = simulated_its(21, level=0.5, slope=1.0, n_years=33)
    train = counts.iloc[:30]
    fc = forecasts.arrivals_forecast(train, ev, [("shock", "shock")], draws=4000, seed=1)
    truth = mu[30:33]
    assert (fc["low95"].to_numpy() < truth).all() and (truth < fc["high95"].to_numpy()).all()
    assert (fc["low95"] <= fc["low80"]).all() and (fc["low80"] <= fc["median"]).all() and (fc["median"] <= fc["high80"]).all()
    np.testing.assert_allclose(fc["median"], truth, rtol=0.15)
    assert fc["changes_used"].iloc[0] == "shock"


def test_a_forecaster_cannot_use_events_after_its_origin():
    idx = pd.period_range("2002", "2019", freq="Y")
    ev = events_frame(a="2011-12-17", b="2020-01-22")
    assert forecasts.known_changes(idx, ev, [("a", ""), ("b", "")]) == [("a", "")]


# -- relationships -------------------------------------------------------------------------------

def lead_lag_pair(seed: int, n: int = 40):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = np.empty(n)
    y[0] = rng.normal()
    y[1:] = 0.8 * x[:-1] + 0.4 * rng.normal(size=n - 1)
    years = np.arange(1980, 1980 + n)
    return pd.Series(x, index=years), pd.Series(y, index=years)


def test_cross_correlation_peaks_at_the_known_lag():
    x, y = lead_lag_pair(1)
    c = relationships.cross_correlations(x, y).set_index("lag")
    assert c["correlation"].abs().idxmax() == 1
    assert c.loc[1, "outside_band"] and not c.loc[-1, "outside_band"]
    assert c.loc[1, "n"] == 39 and c.loc[1, "band"] == pytest.approx(1.959964 / np.sqrt(39))


def test_granger_finds_the_known_direction_and_matches_statsmodels():
    x, y = lead_lag_pair(2)
    forward = relationships.granger(x, y, 1)
    backward = relationships.granger(y, x, 1)
    assert forward["p_value"] < 0.001 and backward["p_value"] > 0.05
    sm_res = grangercausalitytests(np.column_stack([y, x]), [2])
    f, p = sm_res[2][0]["ssr_ftest"][:2]
    mine = relationships.granger(x, y, 2)
    assert mine["f_stat"] == pytest.approx(f) and mine["p_value"] == pytest.approx(p)
    gappy = relationships.granger(x.drop([1990, 2000]), y.drop([1990, 2000]), 1)
    assert gappy["n"] == 39 - 4  # each missing year removes itself and the next year's lag


def test_growth_is_missing_across_a_gap():
    g = relationships.growth(pd.Series([100.0, 110.0, 121.0], index=[2001, 2002, 2004]))
    assert g.loc[2002] == pytest.approx(np.log(1.1)) and np.isnan(g.loc[2003]) and np.isnan(g.loc[2004])


# -- the real tables -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real(built):
    tables = {name: t.to_pandas() for name, t in built[0].tables.items()}
    out = {}
    for module in (its, breaks, trade_monthly, forecasts, relationships):
        out.update(module.run(tables))
    return tables, out


def test_real_interrupted_time_series(real):
    _, out = real
    t = out["its_terms"].set_index(["model", "term"])
    assert t.loc[("its_annual", "step:border-closure-2020"), "ci_high"] < 0.3
    assert t.loc[("its_annual", "step:kim-jong-il-death"), "ci_high"] < 1
    assert t.loc[("its_annual", "const"), "n"] == 24 and t.loc[("its_quarterly", "const"), "n"] == 25
    assert t.loc[("its_quarterly", "step:border-closure-2020"), "ci_high"] < 0.5
    assert set(out["its_terms"].loc[out["its_terms"]["model"] == "its_quarterly", "event_id"].dropna()) == {"border-closure-2020"}


def test_real_breaks_line_up_with_the_succession_and_the_closure(real):
    _, out = real
    b = out["breaks_breaks"]
    annual = b.loc[b["series"] == "defector_arrivals_annual"]
    assert {"2012", "2020"} <= set(annual["break_period"])
    trade = b.loc[b["series"] == "china_prk_trade_monthly_total"]
    closure = trade.loc[trade["ratio_after_to_before"] < 0.2].iloc[0]
    assert pd.Period(closure["band_low"]) <= pd.Period("2020-02") <= pd.Period(closure["band_high"])
    assert "border-closure-2020" in closure["events_in_band"]


def test_real_trade_model_and_forecasts(real):
    _, out = real
    e = out["trade_monthly_effects"].set_index(["series", "event_id"])
    for series in ("exports_usd", "imports_usd"):
        assert e.loc[(series, "border-closure-2020"), "ci_high_pct"] < 0
        assert e.loc[(series, "freight-train-resumption-2022-09"), "ci_low_pct"] > 0
    f = out["forecasts"]
    assert sorted(f["series"].unique()) == ["china_prk_trade_total", "defector_arrivals"]
    assert (f.groupby("series")["horizon"].apply(list) == pd.Series({"china_prk_trade_total": [1, 2, 3], "defector_arrivals": [1, 2, 3]})).all()
    assert ((f["low95"] <= f["low80"]) & (f["low80"] <= f["median"]) & (f["median"] <= f["high80"]) & (f["high80"] <= f["high95"])).all()
    assert f.loc[f["series"] == "defector_arrivals", "period"].tolist() == ["2026", "2027", "2028"]
    acc = out["forecast_accuracy"]
    assert len(acc) == 6 and (acc["origins"] >= 10).all()


def test_real_relationships(real):
    _, out = real
    c = out["relationships_ccf"].set_index(["x", "y", "lag"])
    lag0 = c.loc[("china_prk_trade_total", "defector_arrivals", 0)]
    # 18 pairs: the 2013 and 2014 China-DPRK figures are KOTRA's compilations, not in the GACC series
    assert lag0["n"] == 18 and lag0["correlation"] == pytest.approx(0.703, abs=0.001)
    g = out["relationships_granger"]
    assert (g.loc[g["n"] > 0, "n"] < relationships.SMALL_N).all()
    assert g["caveat"].str.contains("small sample").all()


def test_no_model_types_a_date():
    """Intervention dates come from the events table: no ISO date literal in model code."""
    import inspect
    import re

    for module in (its, breaks, trade_monthly, forecasts, relationships, interventions):
        assert not re.search(r"['\"](19|20)\d\d-\d\d-\d\d['\"]", inspect.getsource(module)), module.__name__
