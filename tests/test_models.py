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
