"""China's monthly trade with the DPRK on the log scale: seasonality, interventions, STL.

For each direction (China's exports to and imports from the DPRK, GACC figures):

    log y_t = b0 + sum_k (a_k sin(2 pi k m_t / 12) + c_k cos(2 pi k m_t / 12)) + sum_j g_j step_j(t) + u_t,
    u_t = phi u_{t-1} + e_t

a regression with AR(1) errors estimated by statsmodels' ``SARIMAX`` (exact likelihood
by the Kalman filter, which skips the months no source reports, so the gaps need no
filling). Seasonality is two Fourier pairs (four coefficients instead of eleven month
dummies, because about half of the months are missing). The steps are built from the
events table by event id (:data:`INTERVENTIONS`). An effect exp(g_j) - 1 is the %
change in the monthly level after the event, other things equal, with a 95% interval from
the observed information (:mod:`.sarimax`). :func:`curve` refits each direction under every
specification in :mod:`.spec` (with and without the reopening step, near-zero months dropped
or floored, robust and outer-product covariance) and adds the joint Wald test of the two 2017
resolutions, whose combined change (the sum of their steps) is the headline.

The STL decomposition (``statsmodels.tsa.seasonal.STL``, robust) needs an unbroken
series, so months without a figure are filled by linear interpolation on the log scale
first; this is a labelled model step: the result table marks every filled month and
the figure draws them hollow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.seasonal import STL

from .. import selectors
from . import interventions, sarimax, spec
from .nb2 import Z95, ModelError

INTERVENTIONS = spec.TRADE_INTERVENTIONS
HARMONICS = 2
DIRECTIONS = {"exports_usd": "China's exports to the DPRK", "imports_usd": "China's imports from the DPRK"}


def fourier(index: pd.PeriodIndex, harmonics: int = HARMONICS) -> pd.DataFrame:
    month = index.month.to_numpy()
    cols = {}
    for k in range(1, harmonics + 1):
        cols[f"sin{k}"] = np.sin(2 * np.pi * k * month / 12)
        cols[f"cos{k}"] = np.cos(2 * np.pi * k * month / 12)
    return pd.DataFrame(cols, index=index)


def exog(index: pd.PeriodIndex, events: pd.DataFrame, changes=INTERVENTIONS) -> pd.DataFrame:
    X = pd.concat([fourier(index), interventions.design(events, index, [("step", e) for e, _ in changes])], axis=1)
    X.insert(0, "const", 1.0)
    return X


def regular(series: pd.Series, start: pd.Period | None = None, end: pd.Period | None = None) -> pd.Series:
    """The series on an unbroken monthly index (missing months NaN)."""
    idx = pd.period_range(start or series.index.min(), end or series.index.max(), freq="M")
    return series.reindex(idx)


def treat_near_zero(values: pd.Series, how: str, threshold: float = spec.NEAR_ZERO_USD) -> pd.Series:
    """Months under ``threshold``: ``keep`` as published, ``drop`` (treated as unpublished) or ``floor`` at the threshold."""
    if how == "keep":
        return values
    if how == "drop":
        return values.loc[values >= threshold]
    if how == "floor":
        return values.clip(lower=threshold)
    raise ModelError(f"near-zero months: unknown treatment {how!r}")


def fit(values: pd.Series, events: pd.DataFrame, changes=INTERVENTIONS, what: str = "trade", cov_type: str = "oim") -> dict:
    """Fit one direction; return the statsmodels result, the exog and tidy tables."""
    y = np.log(regular(values))
    n_obs = int(y.notna().sum())
    X = exog(y.index, events, changes)
    if n_obs <= X.shape[1] + 3:
        raise ModelError(f"{what}: {n_obs} observed months for {X.shape[1]} coefficients; too few")
    for col in X.columns:
        if col.startswith("step:"):
            after = y.notna() & (X[col] > 0.5)
            before = y.notna() & (X[col] < 0.5)
            if after.sum() == 0 or before.sum() == 0:
                raise ModelError(f"{what}: no observed month on one side of {col}; drop it or add data")
    res = sarimax.fit(y.to_numpy(), X.to_numpy(), what, cov_type)
    names = list(X.columns) + ["ar.L1", "sigma2"]
    params = pd.Series(res.params, index=names)
    bse = pd.Series(res.bse, index=names)
    cov = pd.DataFrame(res.cov_params(), index=names, columns=names)
    return {"result": res, "exog": X, "y": y, "params": params, "bse": bse, "cov": cov, "n_obs": n_obs}


def combined(fitted: dict, event_ids) -> dict:
    """The summed level change of several steps (log scale) with its standard error, and the joint Wald test that all are zero."""
    terms = [f"step:{e}" for e in event_ids]
    b = fitted["params"][terms].to_numpy()
    V = fitted["cov"].loc[terms, terms].to_numpy()
    total, se = float(b.sum()), float(np.sqrt(V.sum()))
    wald = float(b @ np.linalg.solve(V, b))
    return {"coef": total, "se": se, "wald": wald, "df": len(terms), "p_value": float(stats.chi2.sf(wald, len(terms)))}


def effects(fitted: dict, direction: str, changes=INTERVENTIONS) -> pd.DataFrame:
    p, se, y = fitted["params"], fitted["bse"], fitted["y"]
    rows = []
    for event_id, label in changes:
        term = f"step:{event_id}"
        b, s = float(p[term]), float(se[term])
        rows.append({"series": direction, "term": term, "event_id": event_id, "label": label, "coef": b,
                     "pct_change": 100 * np.expm1(b), "ci_low_pct": 100 * np.expm1(b - Z95 * s),
                     "ci_high_pct": 100 * np.expm1(b + Z95 * s), "p_value": float(fitted["result"].pvalues[list(p.index).index(term)])})
    out = pd.DataFrame(rows)
    out["ar1"] = float(p["ar.L1"])
    out["sigma"] = float(np.sqrt(p["sigma2"]))
    out["n_months_observed"] = fitted["n_obs"]
    out["n_months_span"] = len(y)
    out["first_month"] = str(y.index[0])
    out["last_month"] = str(y.index[-1])
    out["caveat"] = (f"{fitted['n_obs']} of {len(y)} months have a published figure; the steps share the few months around "
                     "late 2017 and 2020-2022, so each effect is conditional on the others and on a two-harmonic seasonal pattern; "
                     "an association in time, not an identified causal effect.")
    return out


def fitted_path(fitted: dict, direction: str) -> pd.DataFrame:
    res, y = fitted["result"], fitted["y"]
    pred = res.get_prediction()
    ci = pred.conf_int(alpha=0.05)
    return pd.DataFrame({"series": direction, "month": y.index.astype(str), "observed": np.exp(y.to_numpy()),
                         "fitted": np.exp(pred.predicted_mean), "low": np.exp(ci[:, 0]), "high": np.exp(ci[:, 1])})


def stl(series: pd.Series, name: str) -> pd.DataFrame:
    """STL on the log scale after labelled linear interpolation of missing months."""
    y = np.log(regular(series))
    if y.notna().sum() < 24:
        raise ModelError(f"STL of {name}: fewer than 24 observed months")
    filled = y.interpolate(method="linear", limit_area="inside")
    res = STL(filled.to_numpy(), period=12, robust=True).fit()
    return pd.DataFrame({"series": name, "month": y.index.astype(str), "observed": np.exp(y.to_numpy()),
                         "interpolated": y.isna().to_numpy(), "log_value": filled.to_numpy(), "trend": res.trend,
                         "seasonal": res.seasonal, "remainder": res.resid})


FLOWS = {"exports_usd": spec.EXPORTS, "imports_usd": spec.IMPORTS}


def curve(values: pd.Series, events: pd.DataFrame, column: str, specs: list[spec.TradeSpec] | None = None) -> tuple[pd.DataFrame, dict]:
    """Rows of ``specification_curve`` for one direction: each effect in :data:`spec.EFFECTS` of this flow under each specification,
    plus the joint Wald test of the two 2017 resolutions; and the headline fit."""
    specs = spec.trade_curve() if specs is None else specs
    flow = FLOWS[column]
    rows, headline = [], None
    fits: dict[tuple, dict] = {}  # one likelihood fit per (data, events); the covariance variants reuse it
    for s in specs:
        data = treat_near_zero(values, s.near_zero)
        changes = [(e, label) for e, label in INTERVENTIONS if e in s.events]
        key = (tuple(data.index.astype(str)), tuple(data.to_numpy()), s.events)
        if key not in fits:
            fits[key] = fit(data, events, changes, what=f"trade specification {s.name} ({DIRECTIONS[column]})")
        f = dict(fits[key])
        names = list(f["cov"].index)
        f["cov"] = pd.DataFrame(getattr(f["result"], f"cov_params_{s.cov}"), index=names, columns=names)
        if not np.all(np.isfinite(f["cov"].to_numpy())):
            raise ModelError(f"trade specification {s.name} ({DIRECTIONS[column]}): no finite {s.cov} covariance")
        if s.name == spec.TRADE_HEADLINE.name:
            headline = f
        base = {"flow": flow, "specification": s.name, "description": s.description, "headline": s.name == spec.TRADE_HEADLINE.name,
                "scale": "ratio", "n": f["n_obs"], "aic": float(f["result"].aic)}
        for effect in spec.EFFECTS:
            if effect.flow != flow or not set(effect.event_ids) <= set(s.events):
                continue
            c = combined(f, effect.event_ids)
            rows.append({**base, "event_ids": ";".join(effect.event_ids), "estimate": float(np.exp(c["coef"])),
                         "ci_low": float(np.exp(c["coef"] - Z95 * c["se"])), "ci_high": float(np.exp(c["coef"] + Z95 * c["se"])),
                         "test": "", "statistic": np.nan, "p_value": np.nan})
            if len(effect.event_ids) > 1:
                rows.append({**base, "event_ids": ";".join(effect.event_ids), "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                             "scale": "test", "test": f"joint Wald chi2({c['df']}): both steps zero", "statistic": c["wald"],
                             "p_value": c["p_value"]})
    return pd.DataFrame(rows), headline


def run(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    events, monthly = tables["events"], tables["trade_monthly"]
    eff, paths, curves = [], [], []
    for column, label in DIRECTIONS.items():
        values = selectors.china_customs(monthly, column, "M")
        rows, f = curve(values, events, column)
        curves.append(rows)
        eff.append(effects(f, column))
        paths.append(fitted_path(f, column))
    total = selectors.china_customs(monthly, "total_usd", "M")
    return {"trade_monthly_effects": pd.concat(eff, ignore_index=True).round(6),
            "trade_monthly_fitted": pd.concat(paths, ignore_index=True).round(6),
            "trade_monthly_stl": stl(total, "total_usd").round(6),
            "trade_curve": pd.concat(curves, ignore_index=True)}
