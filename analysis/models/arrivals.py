"""Annual defector arrivals: event effects under every specification in :mod:`.spec`.

One likelihood covers the whole specification curve:

    E[y_t] = exp(x_t' b) * prod_k m_k(t)

with ``x_t`` the constant, the trend (none, linear, or linear plus a slope change at each
event) and, for step forms that are linear on the log scale, the steps themselves. The
event multiplier ``m_k`` is

- ``fractional``: exp(g_k s_k(t)), s_k the share of year t on or after event k (a geometric mix);
- ``whole_year``: exp(g_k [s_k(t) >= 1/2]) (the year counts as "after" if most of it is);
- ``arithmetic``: 1 - s_k(t) + s_k(t) exp(g_k): the year's expected count is the share-weighted
  sum of the two regimes' counts (the mix a year of two regimes actually has).

exp(g_k) is the rate ratio of event k. Counts are NB2 (variance mu + alpha mu^2, alpha
estimated) or quasi-Poisson (Poisson likelihood, variance scaled by Pearson chi2 / df);
covariance from the observed information or HAC (Newey-West, 1 lag). Fitted by
statsmodels' ``GenericLikelihoodModel`` (BFGS, then Newton); a fit that does not converge
stops with the specification's name.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.genmod import families
from scipy.special import gammaln
from scipy.stats import norm
from statsmodels.base.model import GenericLikelihoodModel

from . import interventions, series, spec
from .nb2 import Z95, ModelError


def shares(index: pd.PeriodIndex, events: pd.DataFrame, s: spec.ArrivalsSpec) -> pd.DataFrame:
    """Share of each year on or after each event (dated ``lag_days`` later for the transit-lag alternative)."""
    out = {}
    for eid in s.events:
        date = interventions.event_date(events, eid) + pd.Timedelta(days=s.lag_days)
        out[eid] = interventions.step(index, date)
    return pd.DataFrame(out, index=index)


def design(index: pd.PeriodIndex, events: pd.DataFrame, s: spec.ArrivalsSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The log-linear design X and the share matrix S of the events mixed arithmetically (empty otherwise)."""
    sh = shares(index, events, s)
    X = pd.DataFrame({"const": 1.0}, index=index)
    if s.trend in ("linear", "segments"):
        X["trend"] = (index.year - spec.FIRST_YEAR).astype(float)
    if s.trend == "segments":
        for eid in s.events:
            X[f"ramp:{eid}"] = np.cumsum(sh[eid].to_numpy())
    elif s.trend not in ("linear", "none"):
        raise ModelError(f"arrivals specification {s.name}: unknown trend {s.trend!r}")
    mixed = pd.DataFrame(index=index)
    for eid in s.events:
        if s.steps == "fractional":
            X[f"step:{eid}"] = sh[eid]
        elif s.steps == "whole_year":
            X[f"step:{eid}"] = (sh[eid] >= 0.5).astype(float)
        elif s.steps == "arithmetic":
            mixed[f"step:{eid}"] = sh[eid]
        else:
            raise ModelError(f"arrivals specification {s.name}: unknown step form {s.steps!r}")
    return X, mixed


class MixedCounts(GenericLikelihoodModel):
    """NB2 or Poisson counts whose mean is exp(X b) times arithmetic regime mixes (see the module text)."""

    def __init__(self, endog, X: pd.DataFrame, S: pd.DataFrame, family: str, **kwds):
        self.X, self.S, self.family = X.to_numpy(float), S.to_numpy(float), family
        super().__init__(endog, pd.concat([X, S], axis=1), extra_params_names=["log_alpha"] if family == "nb2" else None, **kwds)

    def mean(self, params: np.ndarray) -> np.ndarray:
        kx, ks = self.X.shape[1], self.S.shape[1]
        eta = self.X @ params[:kx]
        mix = np.ones(len(eta))
        for j in range(ks):
            mix = mix * (1.0 - self.S[:, j] + self.S[:, j] * np.exp(params[kx + j]))
        return np.exp(np.clip(eta, -30, 30)) * np.maximum(mix, 1e-300)

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        y, mu = self.endog, self.mean(params)
        if self.family == "nb2":
            a = np.exp(params[-1])
            return gammaln(y + 1 / a) - gammaln(1 / a) - gammaln(y + 1) + y * np.log(a * mu / (1 + a * mu)) - np.log1p(a * mu) / a
        return y * np.log(mu) - mu - gammaln(y + 1)


def fit(counts: pd.Series, events: pd.DataFrame, s: spec.ArrivalsSpec) -> dict:
    """Fit one specification; return the result, the design and each event's rate ratio with its 95% interval."""
    X, S = design(counts.index, events, s)
    y = counts.to_numpy(float)
    k = X.shape[1] + S.shape[1] + (1 if s.family == "nb2" else 0)
    if len(y) <= k:
        raise ModelError(f"arrivals specification {s.name}: {len(y)} years for {k} parameters; too few")
    # start values: a Poisson GLM with the mixed events as fractional steps
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = GLM(y, pd.concat([X, S], axis=1), family=families.Poisson()).fit().params.to_numpy()
        if s.family == "nb2":
            start = np.append(start, np.log(0.05))
        model = MixedCounts(y, X, S, s.family)
        kw = {"cov_type": "HAC", "cov_kwds": {"maxlags": 1}} if s.cov == "hac" else {}
        res = model.fit(start_params=start, method="bfgs", maxiter=5000, disp=0, **kw)
        if not res.mle_retvals.get("converged", False):
            res = model.fit(start_params=res.params, method="newton", maxiter=200, disp=0, **kw)
    if not res.mle_retvals.get("converged", False) or not np.all(np.isfinite(res.bse)):
        raise ModelError(f"arrivals specification {s.name}: the {s.family} fit did not converge")
    names = model.exog_names
    params = pd.Series(res.params, index=names)
    cov = pd.DataFrame(res.cov_params(), index=names, columns=names)
    mu = model.mean(res.params)
    pearson = float(np.sum((y - mu) ** 2 / mu) / (len(y) - k))
    if s.family == "quasi_poisson":
        cov = cov * pearson
    se = np.sqrt(np.diag(cov))
    se = pd.Series(se, index=names)
    rows = []
    for eid in s.events:
        term = f"step:{eid}"
        b, e = float(params[term]), float(se[term])
        if abs(b) > 20 or not np.isfinite(e) or e > 20:
            raise ModelError(f"arrivals specification {s.name}: the {s.family} fit did not converge "
                             f"(the level change at {eid} runs off to {'minus ' if b < 0 else ''}infinity)")
        rows.append({"event_id": eid, "rate_ratio": float(np.exp(b)), "ci_low": float(np.exp(b - Z95 * e)),
                     "ci_high": float(np.exp(b + Z95 * e)), "se_log": e})
    ll = float(res.llf)
    aic = float(2 * k - 2 * ll) if s.family == "nb2" else np.nan
    return {"result": res, "model": model, "params": params, "cov": cov, "se": se, "X": X, "S": S, "effects": pd.DataFrame(rows),
            "n": len(y), "aic": aic, "pearson": pearson, "counts": counts}


def curve(counts: pd.Series, events: pd.DataFrame, specs: list[spec.ArrivalsSpec] | None = None) -> tuple[pd.DataFrame, dict]:
    """Every specification's event effects (rows of ``specification_curve``) and the headline fit."""
    specs = spec.arrivals_curve() if specs is None else specs
    rows, headline = [], None
    for s in specs:
        f = fit(counts, events, s)
        if s.name == spec.ARRIVALS_HEADLINE.name:
            headline = f
        for _, r in f["effects"].iterrows():
            rows.append({"flow": spec.ARRIVALS, "event_ids": r["event_id"], "specification": s.name, "description": s.description,
                         "headline": s.name == spec.ARRIVALS_HEADLINE.name, "scale": "rate_ratio", "estimate": r["rate_ratio"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n": f["n"], "aic": f["aic"], "test": "", "statistic": np.nan,
                         "p_value": np.nan})
    return pd.DataFrame(rows), headline


def headline_tables(f: dict, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The headline fit as ``defector_count_model`` (terms) and ``defector_count_fitted`` (fitted and counterfactual paths)."""
    counts, params, se, model = f["counts"], f["params"], f["se"], f["model"]
    years = counts.index.year
    rows = []
    for term in params.index:
        if term == "log_alpha":
            continue
        b, e = float(params[term]), float(se[term])
        label = {"const": f"expected arrivals in {spec.FIRST_YEAR} (intercept)", "trend": "linear trend (rate ratio per year)"}.get(
            term, f"{spec.EVENT_NAMES.get(term.partition(':')[2], term)}: level change (arithmetic mix within its year)")
        rows.append({"model": spec.ARRIVALS_HEADLINE.name, "term": term, "label": label, "coef": b, "rate_ratio": float(np.exp(b)),
                     "ci_low": float(np.exp(b - Z95 * e)), "ci_high": float(np.exp(b + Z95 * e)),
                     "p_value": float(2 * norm.sf(abs(b / e)))})
    if "log_alpha" in params.index:
        la, e = float(params["log_alpha"]), float(se["log_alpha"])
        rows.append({"model": spec.ARRIVALS_HEADLINE.name, "term": "alpha", "label": "NB2 dispersion alpha (variance = mu + alpha mu^2)",
                     "coef": float(np.exp(la)), "rate_ratio": np.nan, "ci_low": float(np.exp(la - Z95 * e)),
                     "ci_high": float(np.exp(la + Z95 * e)), "p_value": np.nan})
    terms = pd.DataFrame(rows)
    poisson = GLM(counts.to_numpy(float), pd.concat([f["X"], f["S"]], axis=1), family=families.Poisson()).fit()
    terms["n"] = f["n"]
    terms["first_year"] = int(years.min())
    terms["last_year"] = int(years.max())
    terms["aic"] = f["aic"]
    terms["poisson_pearson_dispersion"] = float(poisson.pearson_chi2 / poisson.df_resid)
    terms["caveat"] = (f"N = {f['n']} annual observations ({int(years.min())}-{int(years.max())}); with so few points the intervals are wide "
                       "and the level changes are confounded with the trend and with any change at nearby dates; an association in time, "
                       "not an identified causal effect.")
    fitted = pd.DataFrame({"year": years.astype(int), "observed": counts.to_numpy().astype(int), "fitted": model.mean(f["result"].params)})
    horizon = spec.COUNTERFACTUAL_HORIZON["Y"]
    for eid in spec.ARRIVALS_HEADLINE.events:
        p = f["result"].params.copy()
        p[list(params.index).index(f"step:{eid}")] = 0.0
        without = model.mean(p)
        year = interventions.event_date(events, eid).year
        without[(years < year) | (years > year + horizon)] = np.nan
        fitted[f"without_{eid}"] = without
    return {"defector_count_model": terms.round(6), "defector_count_fitted": fitted.round(3)}


def run(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    events = tables["events"]
    counts = series.annual_arrivals(tables["defector_arrivals_annual"], spec.FIRST_YEAR)
    curve_rows, head = curve(counts, events)
    return {"arrivals_curve": curve_rows, **headline_tables(head, events)}
