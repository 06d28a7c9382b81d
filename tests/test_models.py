"""Models against cases with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import defector_counts, interventions


def events_frame(**dates) -> pd.DataFrame:
    return pd.DataFrame({"event_id": list(dates), "date": pd.to_datetime(list(dates.values()))})


def test_step_takes_the_share_of_the_period_after_the_event():
    ev = events_frame(e="2011-12-17")
    X = interventions.design(ev, interventions.periods(2010, 2013, "Y"), [("step", "e"), ("pulse", "e"), ("ramp", "e")])
    share = 15 / 365  # 17-31 December
    np.testing.assert_allclose(X["step:e"], [0, share, 1, 1])
    np.testing.assert_allclose(X["pulse:e"], [0, 1, 0, 0])
    np.testing.assert_allclose(X["ramp:e"], [0, share, 1 + share, 2 + share])
    monthly = interventions.design(ev, interventions.periods("2011-11", "2012-01", "M"), [("step", "e")])
    np.testing.assert_allclose(monthly["step:e"], [0, 15 / 31, 1])


def test_unknown_event_is_a_clear_error():
    with pytest.raises(KeyError, match="not in the events table"):
        interventions.design(events_frame(e="2011-12-17"), interventions.periods(2010, 2012, "Y"), [("step", "nope")])


def test_negative_binomial_recovers_a_known_level_shift():
    rng = np.random.default_rng(20251127)
    years = np.arange(2002, 2026)
    ev = events_frame(shock="2012-01-01", closure="2020-01-01")
    X = defector_counts.design_matrix(years, ev, [("step", "shock"), ("step", "closure")])
    beta = np.array([np.log(1500), 0.02, np.log(0.5), np.log(0.1)])
    mu = np.exp(X.to_numpy() @ beta)
    alpha = 0.02
    y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    annual = pd.DataFrame({"year": years, "total": y})
    terms = defector_counts.fit_arrivals(annual, ev, [("step", "shock"), ("step", "closure")])["terms"].set_index("term")
    for term, true in (("step:shock", 0.5), ("step:closure", 0.1)):
        assert terms.loc[term, "ci_low"] < true < terms.loc[term, "ci_high"]
        assert abs(terms.loc[term, "rate_ratio"] - true) / true < 0.25
    assert terms.loc["alpha", "coef"] > 0
    assert terms["n"].iloc[0] == 24


def test_count_model_on_the_real_series(built):
    annual = built[0].tables["defector_arrivals_annual"].to_pandas()
    events = built[0].tables["events"].to_pandas()
    out = defector_counts.fit_arrivals(annual, events)
    t = out["terms"].set_index("term")
    assert t["n"].iloc[0] == 24 and t["first_year"].iloc[0] == 2002 and t["last_year"].iloc[0] == 2025
    assert t.loc["step:border-closure-2020", "ci_high"] < 0.25   # a collapse, not noise
    assert t.loc["step:kim-jong-il-death", "ci_high"] < 1
    assert t["poisson_pearson_dispersion"].iloc[0] > 10          # why NB, not Poisson
    fitted = out["fitted"]
    assert (fitted["without_border-closure-2020"] > fitted["fitted"]).loc[fitted["year"] >= 2020].all()


def test_gap_in_years_is_refused():
    annual = pd.DataFrame({"year": [2002, 2003, 2005], "total": [1, 2, 3]})
    with pytest.raises(ValueError, match="gaps"):
        defector_counts.fit_arrivals(annual, events_frame(**{"kim-jong-il-death": "2011-12-17", "border-closure-2020": "2020-01-22"}))


def test_female_share_trend_known_slope():
    rng = np.random.default_rng(7)
    years = np.arange(2002, 2026)
    total = np.full(years.size, 2000)
    p = 1 / (1 + np.exp(-(0.2 + 0.05 * (years - 2002))))
    female = rng.binomial(total, p)
    annual = pd.DataFrame({"year": years, "male": total - female, "female": female, "total": total})
    t = defector_counts.fit_female_share(annual)["terms"].iloc[0]
    assert t["ci_low"] < np.exp(0.05) < t["ci_high"]
    assert 0.5 < t["scale"] < 2.5  # binomial data: Pearson scale near 1


def test_arithmetic_mix_recovers_a_drop_in_a_year_split_between_regimes():
    """Counts whose split year is the share-weighted sum of the two regimes' counts: the arithmetic-mix step recovers
    the rate ratio; a fractional step on the log scale (a geometric mix) misreads the split year and misses it."""
    from dataclasses import replace

    from analysis.models import arrivals, spec

    years = pd.period_range("2002", "2025", freq="Y")
    ev = events_frame(drop="2019-07-02")  # half of 2019 after the event
    share = interventions.step(years, pd.Timestamp("2019-07-02"))
    true_ratio = 0.1
    mu = 2000 * np.exp(0.01 * (years.year - 2002)) * (1 - share + share * true_ratio)
    rng = np.random.default_rng(31)
    alpha = 0.002
    counts = pd.Series(rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu)).astype(float), index=years)
    base = replace(spec.ARRIVALS_HEADLINE, events=("drop",), name="toy")
    a = arrivals.fit(counts, ev, base)
    f = arrivals.fit(counts, ev, replace(base, steps="fractional"))
    arith = a["effects"].iloc[0]
    assert arith["ci_low"] < true_ratio < arith["ci_high"]
    assert arith["rate_ratio"] == pytest.approx(true_ratio, rel=0.1)
    split = list(years.year).index(2019)
    # the split year: the arithmetic mix expects its count; the geometric mix expects about 0.1^0.5 = 0.32 of the old level, not 0.55
    assert a["model"].mean(a["result"].params)[split] == pytest.approx(mu[split], rel=0.05)
    assert f["model"].mean(f["result"].params)[split] < 0.75 * mu[split]
    # a year wholly before or after: the three step forms agree on the design
    X, S = arrivals.design(years, ev, base)
    assert list(X.columns) == ["const", "trend"] and S.loc[years[0], "step:drop"] == 0 and S.loc[years[-1], "step:drop"] == 1
    assert S.loc[pd.Period("2019", "Y"), "step:drop"] == pytest.approx(183 / 365)


def test_quasi_poisson_scales_the_poisson_interval_by_the_pearson_dispersion():
    from dataclasses import replace

    from analysis.models import arrivals, spec

    years = pd.period_range("2002", "2025", freq="Y")
    ev = events_frame(drop="2014-01-01")
    rng = np.random.default_rng(5)
    mu = np.where(years.year < 2014, 1000.0, 400.0)
    counts = pd.Series(rng.negative_binomial(10, 10 / (10 + mu)).astype(float), index=years)
    qp = arrivals.fit(counts, ev, replace(spec.ARRIVALS_HEADLINE, events=("drop",), family="quasi_poisson", steps="whole_year", name="qp"))
    # a Poisson GLM with scale X2 is the same model
    import statsmodels.api as sm

    X = pd.concat([qp["X"]], axis=1)
    glm = sm.GLM(counts.to_numpy(), X, family=sm.families.Poisson()).fit(scale="X2")
    assert qp["effects"].iloc[0]["rate_ratio"] == pytest.approx(np.exp(glm.params["step:drop"]), rel=1e-4)
    assert qp["se"]["step:drop"] == pytest.approx(glm.bse["step:drop"], rel=0.02)


def test_sarimax_tries_the_next_optimiser_from_where_the_last_stopped(monkeypatch):
    """One L-BFGS step never converges; the fit must go on to the next optimiser, and name them all when none does."""
    from analysis.models import sarimax
    from analysis.models.nb2 import ModelError

    rng = np.random.default_rng(7)
    y = np.empty(60)
    y[0] = 0.0
    for t in range(1, 60):
        y[t] = 0.6 * y[t - 1] + rng.normal()
    X = np.column_stack([np.ones(60), (np.arange(60) >= 30).astype(float)])
    y = y + 2.0 - 1.0 * X[:, 1]
    monkeypatch.setattr(sarimax, "OPTIMIZERS", (("lbfgs", 1),))
    with pytest.raises(ModelError, match=r"did not converge \(tried lbfgs\)"):
        sarimax.fit(y, X, "test series")
    monkeypatch.setattr(sarimax, "OPTIMIZERS", (("lbfgs", 500),))
    best = sarimax.fit(y, X, "test series")
    monkeypatch.setattr(sarimax, "OPTIMIZERS", (("lbfgs", 1), ("nm", 5000)))
    res = sarimax.fit(y, X, "test series")  # reaches the same maximum by another route
    assert res.mle_retvals["converged"] and abs(res.llf - best.llf) < 1e-3
    assert np.allclose(res.params, best.params, atol=2e-3) and 0.3 < res.params[2] < 0.9


def test_a_forecast_needs_no_covariance_of_the_parameters():
    """Trade forecasts skip the parameters' covariance (the slow part of a fit): their interval must be the same."""
    from analysis.models import sarimax

    rng = np.random.default_rng(11)
    e = np.zeros(70)
    for t in range(1, 70):
        e[t] = 0.5 * e[t - 1] + rng.normal(scale=0.2)
    X = np.column_stack([np.ones(70), (np.arange(70) >= 40).astype(float)])
    y = 3.0 - 0.8 * X[:, 1] + e
    with_cov = sarimax.fit(y[:60], X[:60], "test series").get_forecast(10, exog=X[60:])
    without = sarimax.fit(y[:60], X[:60], "test series", cov_type="none").get_forecast(10, exog=X[60:])
    np.testing.assert_allclose(without.predicted_mean, with_cov.predicted_mean)
    np.testing.assert_allclose(without.var_pred_mean, with_cov.var_pred_mean)
    assert np.all(np.diff(without.var_pred_mean) > 0)  # the interval widens with the horizon


def test_model_families_in_two_processes(monkeypatch):
    """Two processes give the same tables, in the same order, as one; a family's error reaches the caller whole."""
    from analysis.errors import DataError, Issue
    from analysis.models import run

    families = [(f"family {k}", lambda t, k=k: {f"table_{k}": pd.DataFrame({"k": [k], "rows": [len(t["x"])]})}) for k in range(5)]
    monkeypatch.setattr(run, "FAMILIES", families)
    tables = {"x": pd.DataFrame({"a": [1, 2, 3]})}
    said: list[str] = []
    one, two = run._families(tables, 1, lambda _: None)[0], run._families(tables, 2, said.append)[0]
    assert list(one) == list(two) == [f"table_{k}" for k in range(5)]
    for name in one:
        pd.testing.assert_frame_equal(one[name], two[name])
    assert two["table_3"].iloc[0].tolist() == [3, 3]
    assert len(said) == 5 and said[-1].startswith("  [5/5] family ")

    def broken(_tables):
        raise DataError([Issue("data/processed/labor_panel.csv", 4, "central", "must be at least 0", "-1")])

    monkeypatch.setattr(run, "FAMILIES", [*families[:3], ("broken", broken)])
    with pytest.raises(DataError) as caught:
        run._families(tables, 2, lambda _: None)
    assert caught.value.issues == [Issue("data/processed/labor_panel.csv", 4, "central", "must be at least 0", "-1")]
