"""Annual defector arrivals as counts: negative binomial regression with level shifts.

log E[arrivals_t] = b0 + b1 * (t - t0) + sum_k g_k * step_k(t)

where each ``step_k`` is built from the events table (:mod:`.interventions`), by event
id. The dispersion parameter alpha is estimated (NB2, :mod:`.nb2`), and a Poisson fit of
the same design reports the Pearson dispersion that justifies it. Effects are rate ratios exp(g_k) with 95% Wald intervals.

The female share of arrivals gets a binomial GLM on the year (a logistic trend), with
the scale estimated from Pearson's chi-square (quasi-binomial), since yearly counts
are far more variable than a binomial allows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.tools import add_constant
from statsmodels.genmod import families

from . import interventions, nb2, spec

#: Level shifts of the log-linear count model, by event id (from the specification file; dates from the events table).
#: The report's headline count model is :mod:`.arrivals` (arithmetic-mix steps); this one is its fractional-step alternative.
LEVEL_SHIFTS: list[tuple[str, str]] = [("step", spec.SUCCESSION), ("step", spec.CLOSURE)]
LABELS = {
    **{f"step:{e}": f"{spec.EVENT_NAMES[e]} (level change)" for _, e in LEVEL_SHIFTS},
    "trend": "linear trend (per year)",
    "const": "intercept (arrivals in the first year)",
}
FIRST_YEAR = spec.FIRST_YEAR


def _annual_frame(annual: pd.DataFrame, first_year: int) -> pd.DataFrame:
    data = annual.loc[annual["year"] >= first_year].sort_values("year")
    if data.empty:
        raise ValueError(f"no annual arrivals from {first_year} on in defector_arrivals_annual")
    years = data["year"].astype(int).to_numpy()
    if not np.array_equal(years, np.arange(years[0], years[-1] + 1)):
        raise ValueError(f"annual arrivals have gaps between {years[0]} and {years[-1]}; the count model needs every year")
    return data


def design_matrix(years: np.ndarray, events: pd.DataFrame, shifts=LEVEL_SHIFTS, first_year: int = FIRST_YEAR) -> pd.DataFrame:
    index = interventions.periods(int(years[0]), int(years[-1]), "Y")
    X = interventions.design(events, index, shifts)
    X.insert(0, "trend", (index.year - first_year).astype(float))
    X = add_constant(X, has_constant="add")
    X.index = index.year
    return X


def fit_arrivals(annual: pd.DataFrame, events: pd.DataFrame, shifts=LEVEL_SHIFTS, first_year: int = FIRST_YEAR) -> dict[str, pd.DataFrame]:
    """Fit the NB2 model; return tidy tables ``terms`` and ``fitted``."""
    data = _annual_frame(annual, first_year)
    y = data["total"].to_numpy(dtype=float)
    X = design_matrix(data["year"].to_numpy(), events, shifts, first_year)
    fitted_nb = nb2.fit(y, X, "count model of annual arrivals")
    nb, pearson = fitted_nb.result, fitted_nb.poisson_dispersion
    ci = nb.conf_int(alpha=0.05)
    n = len(y)
    caveat = (
        f"N = {n} annual observations ({int(data['year'].min())}-{int(data['year'].max())}); with so few points the "
        "intervals are wide and the shifts are confounded with the trend and with any change at nearby dates; "
        "an association in time, not an identified causal effect."
    )
    rows = []
    for term in X.columns:
        est = float(nb.params[term])
        rows.append({
            "model": "nb2_level_shifts", "term": term, "label": LABELS.get(term, term),
            "coef": est, "rate_ratio": float(np.exp(est)),
            "ci_low": float(np.exp(ci.loc[term, 0])), "ci_high": float(np.exp(ci.loc[term, 1])),
            "p_value": float(nb.pvalues[term]),
        })
    alpha = float(nb.params["alpha"])
    alpha_ci = ci.loc["alpha"]
    rows.append({
        "model": "nb2_level_shifts", "term": "alpha", "label": "NB2 dispersion alpha (variance = mu + alpha mu^2)",
        "coef": alpha, "rate_ratio": np.nan, "ci_low": float(alpha_ci[0]), "ci_high": float(alpha_ci[1]),
        "p_value": float(nb.pvalues["alpha"]),
    })
    terms = pd.DataFrame(rows)
    terms["n"] = n
    terms["first_year"] = int(data["year"].min())
    terms["last_year"] = int(data["year"].max())
    terms["aic"] = float(nb.aic)
    terms["poisson_pearson_dispersion"] = pearson
    terms["caveat"] = caveat

    fitted = pd.DataFrame({"year": data["year"].astype(int).to_numpy(), "observed": y.astype(int), "fitted": nb.predict(X)})
    for shift in [f"{k}:{e}" for k, e in shifts]:
        X0 = X.copy()
        X0[shift] = 0.0
        fitted[f"without_{shift.split(':', 1)[1]}"] = nb.predict(X0)
    return {"terms": terms.round(6), "fitted": fitted.round(3)}


def fit_female_share(annual: pd.DataFrame, first_year: int = FIRST_YEAR) -> dict[str, pd.DataFrame]:
    """Quasi-binomial logistic trend of the female share; odds ratio per year with 95% CI."""
    data = annual.loc[(annual["year"] >= first_year) & annual["female"].notna() & annual["male"].notna()].sort_values("year")
    if len(data) < 5:
        raise ValueError("fewer than 5 years with a sex split; cannot fit the female-share trend")
    years = data["year"].astype(int).to_numpy()
    X = add_constant(pd.DataFrame({"trend": (years - first_year).astype(float)}, index=years))
    # Proportions weighted by the number of arrivals. (With the two-column successes/failures
    # form, statsmodels 0.15 computes the Pearson scale on unweighted proportions, which
    # understates it about a hundredfold here; the weighted form gives the textbook X2/df.)
    share = (data["female"] / data["total"]).to_numpy(float)
    res = GLM(share, X, family=families.Binomial(), var_weights=data["total"].to_numpy(float)).fit(scale="X2")
    ci = res.conf_int(alpha=0.05)
    n = len(data)
    terms = pd.DataFrame([{
        "model": "quasi_binomial_trend", "term": "trend", "label": "change in the odds that an arrival is female, per year",
        "odds_ratio": float(np.exp(res.params["trend"])), "ci_low": float(np.exp(ci.loc["trend", 0])),
        "ci_high": float(np.exp(ci.loc["trend", 1])), "p_value": float(res.pvalues["trend"]),
        "scale": float(res.scale), "n": n, "first_year": int(years.min()), "last_year": int(years.max()),
        "caveat": f"N = {n} years; the scale (Pearson chi2/df = {res.scale:.1f}) shows the share varies far more than a binomial allows, so intervals use it.",
    }])
    fitted = pd.DataFrame({
        "year": years, "female_share": (data["female"] / data["total"]).to_numpy(),
        "fitted_share": res.predict(X),
    })
    return {"terms": terms.round(6), "fitted": fitted.round(6)}
