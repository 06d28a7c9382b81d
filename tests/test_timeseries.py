"""The time-series suite against cases with known answers, and on the real tables."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.stattools import grangercausalitytests

from analysis.models import breaks, forecasts, interventions, its, nb2, relationships, spec, trade_monthly


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
    # drawn from the event's year for the stated horizon, no further
    assert cf["period"].tolist() == [str(y) for y in range(2010, 2010 + spec.COUNTERFACTUAL_HORIZON["Y"] + 1)]
    truth = 800 * np.exp(0.05 * (cf["period"].astype(int).to_numpy() - 1996))
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
def real(fitted):
    """The tables of five model families on the published tables, from the session's fit of every model (conftest),
    which ran each family's ``run`` exactly as ``nkflows fit`` does."""
    from analysis.models.run import FAMILIES

    out = {}
    for module in (its, breaks, trade_monthly, forecasts, relationships):
        (name,) = [name for name, family in FAMILIES if family is module.run]
        out.update(fitted["outputs"][name])
    return fitted["tables"], out


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
    # the 2020 break's band holds the closure (its nearest event is the repatriation deadline a month earlier)
    y2020 = annual.loc[annual["break_period"] == "2020"].iloc[0]
    assert spec.CLOSURE in y2020["events_in_band"].split(";")
    assert y2020["chance_random_band_has_event"] > 0.9  # with this many dated events, a band that wide nearly always holds one
    # the selection criteria disagree on annual arrivals, and the table says so
    assert (y2020["breaks_selected"], y2020["breaks_lwz"], y2020["breaks_sequential"]) == (3, 1, 1)
    bic = out["breaks_bic"].set_index(["series", "breaks"]).loc["defector_arrivals_annual"]
    assert bic.loc[1, "sup_f_next"] == pytest.approx(5.07, abs=0.01) and bic.loc[2, "sup_f_next"] == pytest.approx(6.14, abs=0.01)
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
    # trade at three years: MASE 5.09 against naive's 5.07 (Diebold-Mariano p = 0.98) is a tie
    t3 = acc.set_index(["series", "horizon"]).loc[("china_prk_trade_total", 3)]
    assert t3["mase_model"] == pytest.approx(5.09, abs=0.01) and t3["mase_naive"] == pytest.approx(5.07, abs=0.01) and t3["verdict"] == "tie"
    assert acc["coverage95"].between(0, 1).all() and acc["coverage80"].le(acc["coverage95"] + 1e-9).all()


def test_real_relationships(real):
    _, out = real
    c = out["relationships_ccf"].set_index(["x", "y", "lag"])
    lag0 = c.loc[("china_prk_trade_total", "defector_arrivals", 0)]
    # 25 year pairs: China's own figures cover 2000-2025 once KITA's and KOTRA's compilations fill GACC's gaps
    assert lag0["n"] == 25 and lag0["correlation"] == pytest.approx(0.687, abs=0.001)
    assert lag0["correlation_without_shock"] == pytest.approx(0.344, abs=0.01) and lag0["permutation_p"] < 0.01
    assert (out["relationships_ccf"]["q_value"] >= out["relationships_ccf"]["permutation_p"]).all()
    g = out["relationships_granger"]
    small = (g["n"] > 0) & (g["n"] < relationships.SMALL_N)
    assert small.any() and (~small).any()
    assert g.loc[small, "caveat"].str.contains("small sample").all()


def test_no_model_types_a_date():
    """Intervention dates come from the events table: no ISO date literal in model code."""
    import inspect
    import re

    for module in (its, breaks, trade_monthly, forecasts, relationships, interventions):
        assert not re.search(r"['\"](19|20)\d\d-\d\d-\d\d['\"]", inspect.getsource(module)), module.__name__


# -- tests with power: each would fail if a plausible mistake came back ------------------------------

def test_lr_band_covers_a_moderate_break_at_its_nominal_rate():
    """A break of 1.5 noise SDs at a known date: the 95% band covers it about 95% of the time and stays narrow.
    Catches a wrong critical value (3.84 covers ~87%; 25 widens the band threefold) and a variance taken
    from the no-break model (which inflates sigma^2 and widens the band by half)."""
    rng = np.random.default_rng(20261204)
    n, t0, h = 60, 30, 9
    hits, widths = 0, []
    for _ in range(300):
        y = np.r_[rng.normal(0, 1, t0), rng.normal(1.5, 1, n - t0)]
        cost = breaks._cost_matrix(y, h)
        bounds, _ = breaks.partition(y, 1, h, cost)
        lo, hi = breaks.confidence_set(y, bounds, 0, h, cost)
        hits += lo <= t0 <= hi
        widths.append(hi - lo)
    assert 0.92 <= hits / 300 <= 0.995
    assert np.mean(widths) < 11


def test_band_is_wider_on_the_side_with_more_variance():
    """After the break the noise triples: the band must reach further into the noisy regime than into the quiet one."""
    rng = np.random.default_rng(4)
    right, left = 0, 0
    for _ in range(100):
        y = np.r_[rng.normal(0, 0.3, 40), rng.normal(2.0, 1.2, 40)]
        cost = breaks._cost_matrix(y, 10)
        bounds, _ = breaks.partition(y, 1, 10, cost)
        lo, hi = breaks.confidence_set(y, bounds, 0, 10, cost)
        right += hi - bounds[0]
        left += bounds[0] - lo
    assert right > 2 * left


def test_autocorrelated_errors_widen_the_band():
    e = np.zeros(80)
    rng = np.random.default_rng(8)
    for t in range(1, 80):
        e[t] = 0.7 * e[t - 1] + rng.normal(0, 0.5)
    assert breaks.long_run_ratio(e) > 2
    assert breaks.long_run_ratio(rng.normal(size=400)) == pytest.approx(1.0, abs=0.2)


def test_annual_band_runs_to_the_end_of_its_last_year():
    """An annual break dated 2020 with a one-year band: an event on 22 January 2020 is inside the band.
    (Ending the window at the start of the band's last year left it empty.)"""
    years = pd.period_range("2002", "2025", freq="Y")
    level = np.where(years.year < 2020, np.log(2000), np.log(150))
    s = pd.Series(np.exp(level + np.random.default_rng(1).normal(0, 0.05, len(years))), index=years)
    ev = events_frame(closure="2020-01-22", deadline="2019-12-22", later="2021-03-01")
    b = breaks.run_series("toy", s, ev, "persons")["breaks"].iloc[0]
    assert (b["band_low"], b["band_high"]) == ("2020", "2020")
    assert b["events_in_band"] == "closure" and b["n_events_in_band"] == 1
    assert b["nearest_event_id"] == "deadline"  # nearest is not the same as inside the band


def test_chance_that_a_random_band_holds_an_event():
    ev = pd.Series(pd.date_range("2000-01-01", periods=37, freq="10D"))
    span = (pd.Timestamp("2000-01-01"), pd.Timestamp("2000-12-31"))
    assert breaks.chance_of_event(ev, 10, *span) == pytest.approx(1.0)
    assert breaks.chance_of_event(ev, 0, *span) == pytest.approx(37 / 366, abs=0.005)
    assert breaks.chance_of_event(ev, 4, *span) == pytest.approx(0.5, abs=0.02)


def test_sequential_sup_f_critical_value_matches_the_published_one():
    """With no break, 200 observations and 15% trimming, the simulated 5% critical value of supF(1|0) is close to the
    asymptotic 8.58 of Bai and Perron (2003, Table I, q = 1, epsilon = 0.15)."""
    crit = breaks.sup_f_critical(200, [], 30, draws=2000)
    assert 7.8 < crit < 9.4
    # one more break is harder to find by chance in more segments: the critical value grows with l
    assert breaks.sup_f_critical(200, [100], 30) > crit


def test_sequential_test_and_lwz_find_a_moderate_break_and_no_break_in_noise():
    rng = np.random.default_rng(77)
    y = np.r_[rng.normal(0, 1, 40), rng.normal(1.2, 1, 40)]
    out = breaks.search(y, 12, 3)
    assert out["sequential_m"] == 1 and out["lwz_m"] == 1
    assert out["fits"][0]["sup_f_next"] > out["fits"][0]["sup_f_critical"]
    flat = breaks.search(rng.normal(0, 1, 80), 12, 3)
    assert flat["sequential_m"] == 0 and flat["lwz_m"] == 0


def test_mase_is_scaled_by_the_training_data_only():
    """Steps of 1 until 2011, then of 5: an origin in 2010 is scaled by the mean step of its own past (1),
    not by that of the whole series (which would look ahead)."""
    steps = np.r_[np.ones(10), np.full(10, 5.0)]
    s = pd.Series(np.cumsum(steps), index=pd.period_range("2001", periods=20, freq="Y"))
    bt = forecasts.backtest(s, lambda train: np.full(3, train.iloc[-1]))
    first = bt.loc[bt["origin"] == "2008"]
    assert (first["scale"] == 1.0).all()
    assert first.set_index("horizon").loc[1, "naive_scaled_error"] == pytest.approx(1.0)
    assert first.set_index("horizon").loc[3, "naive_scaled_error"] == pytest.approx(1 + 1 + 5)


class _FakeResult:
    """A fitted NB2 with stated parameters and covariance (to test the predictive draws alone)."""

    def __init__(self, const: float, alpha: float, var_const: float):
        self.params = pd.Series({"const": const, "alpha": alpha})
        self._cov = pd.DataFrame([[var_const, 0.0], [0.0, 1e-14]], index=self.params.index, columns=self.params.index)

    def cov_params(self):
        return self._cov


def test_nb2_draws_carry_negative_binomial_noise():
    """Known parameters, no parameter uncertainty: the draws' quantiles are the NB2 quantiles (mean 200, alpha 0.25)."""
    from scipy import stats as st

    mu, alpha = 200.0, 0.25
    fit = nb2.NB2Fit(_FakeResult(np.log(mu), alpha, 1e-14), ["const"], 1.0)
    draws = fit.simulate(pd.DataFrame({"const": [1.0]}), 20000, seed=3)[:, 0]
    size = 1 / alpha
    for q in (0.1, 0.5, 0.9):
        assert np.quantile(draws, q) == pytest.approx(st.nbinom.ppf(q, size, size / (size + mu)), rel=0.06)
    assert draws.std() == pytest.approx(np.sqrt(mu + alpha * mu ** 2), rel=0.05)


def test_nb2_draws_carry_parameter_uncertainty():
    """Tiny dispersion but an uncertain level (sd 0.5 on the log scale): the draws spread like the lognormal level."""
    mu = 500.0
    fit = nb2.NB2Fit(_FakeResult(np.log(mu), 1e-6, 0.25), ["const"], 1.0)
    draws = fit.simulate(pd.DataFrame({"const": [1.0]}), 20000, seed=4)[:, 0]
    assert np.quantile(np.log(draws + 0.5), 0.975) - np.log(mu) == pytest.approx(1.96 * 0.5, abs=0.08)
    assert np.quantile(draws, 0.9) / np.quantile(draws, 0.1) > 3  # Poisson noise alone gives about 1.12


def test_diebold_mariano_known_answer_and_ties():
    d_model = np.array([1.0, 2.0, 1.5, 0.5, 1.0, 2.5, 1.0, 0.5])
    d_naive = d_model + np.array([0.5, 0.4, 0.6, 0.5, 0.45, 0.55, 0.5, 0.5])
    stat, p = forecasts.diebold_mariano(d_model, d_naive, 1)
    d = d_model - d_naive
    n = len(d)
    expected = d.mean() / np.sqrt(((d - d.mean()) ** 2).mean() / n) * np.sqrt((n - 1) / n)
    assert stat == pytest.approx(expected) and p < 0.001
    assert forecasts.diebold_mariano(d_model, d_model, 2) == (0.0, 1.0)
    errors = pd.DataFrame({"origin": list("abcdefgh"), "horizon": 1, "model_scaled_error": d_model, "naive_scaled_error": d_model + [0.3, -0.4, 0.2, -0.1, 0.5, -0.6, 0.2, -0.05],
                           "actual": 10.0, "low80": [9, 9, 11, 9, 9, 9, 9, 11.0], "high80": 12.0, "low95": 5.0, "high95": 15.0})
    acc = forecasts.mase(errors, "toy").iloc[0]
    assert acc["mase_model"] < acc["mase_naive"]
    assert acc["verdict"] == "tie" and not acc["model_beats_naive"]  # a lower MASE by noise is a tie, not a win
    assert acc["coverage80"] == pytest.approx(6 / 8) and acc["coverage95"] == 1.0


def test_bh_q_values_match_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.001, 0.04, 0.03, 0.2, np.nan, 0.01, 0.5])
    q = relationships.bh_q_values(p)
    ok = ~np.isnan(p)
    np.testing.assert_allclose(q[ok], multipletests(p[ok], method="fdr_bh")[1])
    assert np.isnan(q[4])


def test_correlation_without_the_shock_and_permutation_p():
    """Two unrelated growth series that both collapse in 2020: the correlation is the shock, and goes without it."""
    rng = np.random.default_rng(12)
    years = np.arange(2001, 2026)
    x = pd.Series(rng.normal(0, 0.1, len(years)), index=years)
    y = pd.Series(rng.normal(0, 0.1, len(years)), index=years)
    x[2020], y[2020], x[2021], y[2021] = -1.5, -1.6, 0.9, 1.0
    c = relationships.cross_correlations(x, y).set_index("lag").loc[0]
    assert c["correlation"] > 0.9 and c["permutation_p"] < 0.01
    assert abs(c["correlation_without_shock"]) < 0.5 and c["n_without_shock"] == len(years) - 2
