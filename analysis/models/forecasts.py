"""Forecasts one to three years ahead, and a rolling-origin backtest against naive.

- **Arrivals**: the annual interrupted-time-series model (:mod:`.its`, NB2), with the
  step and ramp regressors carried into the future by :mod:`.interventions`; the
  prediction interval comes from seeded predictive draws (parameter uncertainty from
  the estimated covariance plus negative binomial noise).
- **Trade**: China's annual customs total with the DPRK, on the log scale, as a
  regression on intervention steps with AR(1) errors (``SARIMAX``; missing years are
  skipped by the Kalman filter); the interval is the model's Gaussian interval on the
  log scale, back-transformed (a median forecast).

**Backtest.** For each origin year T (from the first year with :data:`MIN_TRAIN`
observations to the last year but one) the model is refitted on data up to T, using
only the events dated on or before T that have at least :data:`MIN_AFTER` observations
after them and :data:`MIN_BEFORE` before (a forecaster at T cannot know later events),
and forecasts T+1..T+3. The naive forecast is the last observed value. MASE divides
each absolute error by the mean absolute one-step naive error within that origin's
training data (Hyndman and Koehler 2006), never by data after the origin. Whether the
model beats naive is a Diebold-Mariano test on the difference of absolute scaled errors
(Harvey, Leybourne and Newbold's small-sample version, t with origins - 1 df, h - 1
autocovariances): a difference not significant at 5% is called a tie. The backtest
also records each forecast's 80% and 95% intervals, and the accuracy table reports the
share of actual values they covered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import selectors
from . import interventions, its, nb2, sarimax, spec
from .nb2 import Z95, ModelError

HORIZONS = 3
MIN_TRAIN = 8
MIN_BEFORE = 4
MIN_AFTER = 1
MIN_AFTER_SLOPE = 3  # a slope change needs this many observations after its event; otherwise only the level
DRAWS = 4000
SEED = spec.SEEDS["forecast"]
DM_LEVEL = 0.05
TRADE_CHANGES: list[tuple[str, str]] = spec.TRADE_FORECAST_CHANGES


def known_changes(index: pd.PeriodIndex, events: pd.DataFrame, changes, min_before: int = MIN_BEFORE, min_after: int = MIN_AFTER,
                  observed: pd.Series | None = None) -> list[tuple[str, str]]:
    """Changes dated inside the training data with enough observed periods on both sides."""
    keep = []
    mask = np.ones(len(index), bool) if observed is None else observed.to_numpy()
    for event_id, label in changes:
        date = interventions.event_date(events, event_id)
        before = int(((index.end_time < date) & mask).sum())
        after = int(((index.start_time > date) & mask).sum())
        if date <= index[-1].end_time and before >= min_before and after >= min_after:
            keep.append((event_id, label))
    return keep


# -- arrivals -----------------------------------------------------------------------------

def arrivals_forecast(counts: pd.Series, events: pd.DataFrame, changes, horizons: int = HORIZONS, draws: int = DRAWS,
                      seed: int = SEED) -> pd.DataFrame:
    use = known_changes(counts.index, events, changes)
    levels_only = frozenset(e for e, _ in use if not known_changes(counts.index, events, [(e, "")], min_after=MIN_AFTER_SLOPE))
    future = pd.period_range(counts.index[0], counts.index[-1] + horizons, freq=counts.index.freq)
    X_all = its.design(future, events, use, counts.index[0], levels_only)
    X = X_all.iloc[: len(counts)]
    res = nb2.fit(counts.to_numpy(), X, "arrivals forecast")
    sims = res.simulate(X_all.iloc[len(counts):], draws, seed)
    q = np.percentile(sims, [2.5, 10, 50, 90, 97.5], axis=0)
    return pd.DataFrame({"period": future[len(counts):].astype(str), "horizon": np.arange(1, horizons + 1),
                         "median": q[2], "low95": q[0], "low80": q[1], "high80": q[3], "high95": q[4],
                         "changes_used": ";".join(e for e, _ in use)})


# -- trade --------------------------------------------------------------------------------

def _trade_exog(index: pd.PeriodIndex, events: pd.DataFrame, changes) -> np.ndarray:
    X = interventions.design(events, index, [("step", e) for e, _ in changes])
    X.insert(0, "const", 1.0)
    return X.to_numpy()


def trade_fit(logy: pd.Series, events: pd.DataFrame, changes):
    """The log trade model for forecasting: no covariance of the parameters (the interval is the prediction variance's)."""
    use = known_changes(logy.index, events, changes, observed=logy.notna())
    res = sarimax.fit(logy.to_numpy(), _trade_exog(logy.index, events, use), f"trade forecast (data to {logy.index[-1]})", "none")
    return res, use


def trade_forecast(values: pd.Series, events: pd.DataFrame, changes, horizons: int = HORIZONS) -> pd.DataFrame:
    logy = np.log(values)
    res, use = trade_fit(logy, events, changes)
    future = pd.period_range(logy.index[-1] + 1, periods=horizons, freq=logy.index.freq)
    fc = res.get_forecast(horizons, exog=_trade_exog(future, events, use))
    mean = fc.predicted_mean
    se = np.sqrt(fc.var_pred_mean)
    z80 = 1.2815515655446004
    return pd.DataFrame({"period": future.astype(str), "horizon": np.arange(1, horizons + 1), "median": np.exp(mean),
                         "low95": np.exp(mean - Z95 * se), "low80": np.exp(mean - z80 * se),
                         "high80": np.exp(mean + z80 * se), "high95": np.exp(mean + Z95 * se),
                         "changes_used": ";".join(e for e, _ in use)})


def annual_china_trade(trade_annual: pd.DataFrame) -> pd.Series:
    """China's customs annual total with the DPRK on an unbroken yearly index (missing years NaN)."""
    return selectors.china_customs(trade_annual, "total_usd", "Y")


# -- backtest -----------------------------------------------------------------------------

INTERVAL_COLUMNS = ("low80", "high80", "low95", "high95")


def backtest(series: pd.Series, forecaster, horizons: int = HORIZONS, min_train: int = MIN_TRAIN) -> pd.DataFrame:
    """Rolling-origin errors of ``forecaster(train)`` (medians, or a frame with ``median`` and the 80%/95% bounds)
    and of the naive forecast; the scale is the training data's mean absolute one-step change."""
    rows = []
    for end in range(len(series)):
        train = series.iloc[: end + 1]
        if train.notna().sum() < min_train or pd.isna(train.iloc[-1]) or end + 1 >= len(series):
            continue
        t_obs = train.dropna().to_numpy()
        scale = float(np.mean(np.abs(np.diff(t_obs))))
        if scale == 0:
            continue
        fc = forecaster(train)
        if isinstance(fc, pd.DataFrame):
            medians, bounds = fc["median"].to_numpy(), {c: fc[c].to_numpy() for c in INTERVAL_COLUMNS}
        else:
            medians, bounds = np.asarray(fc), {c: np.full(horizons, np.nan) for c in INTERVAL_COLUMNS}
        for h in range(1, horizons + 1):
            if end + h >= len(series) or pd.isna(series.iloc[end + h]):
                continue
            actual = float(series.iloc[end + h])
            rows.append({"origin": str(series.index[end]), "target": str(series.index[end + h]), "horizon": h, "actual": actual,
                         "model": float(medians[h - 1]), "naive": float(t_obs[-1]), "scale": scale,
                         **{c: float(bounds[c][h - 1]) for c in INTERVAL_COLUMNS}})
    out = pd.DataFrame(rows)
    if out.empty:
        raise ModelError("backtest: no origin has enough training data and a later observation")
    out["model_scaled_error"] = (out["actual"] - out["model"]).abs() / out["scale"]
    out["naive_scaled_error"] = (out["actual"] - out["naive"]).abs() / out["scale"]
    return out


def diebold_mariano(loss_model: np.ndarray, loss_naive: np.ndarray, horizon: int) -> tuple[float, float]:
    """Diebold-Mariano statistic with the Harvey-Leybourne-Newbold correction and its two-sided p-value (t, n - 1 df)."""
    d = np.asarray(loss_model, float) - np.asarray(loss_naive, float)
    n = len(d)
    if n < 3:
        return np.nan, np.nan
    dc = d - d.mean()
    var = float(dc @ dc) / n + 2 * sum(float(dc[k:] @ dc[:-k]) / n for k in range(1, min(horizon, n)))
    if var <= 0:
        return (0.0, 1.0) if np.allclose(d, 0) else (np.sign(d.mean()) * np.inf, 0.0)
    dm = d.mean() / np.sqrt(var / n)
    hln = np.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    stat = float(dm * hln)
    return stat, float(2 * stats.t.sf(abs(stat), n - 1))


def mase(errors: pd.DataFrame, series_name: str) -> pd.DataFrame:
    g = errors.groupby("horizon").agg(origins=("origin", "size"), mase_model=("model_scaled_error", "mean"),
                                      mase_naive=("naive_scaled_error", "mean")).reset_index()
    g.insert(0, "series", series_name)
    dm = [diebold_mariano(e["model_scaled_error"].to_numpy(), e["naive_scaled_error"].to_numpy(), int(h))
          for h, e in errors.groupby("horizon")]
    g["dm_stat"] = [d[0] for d in dm]
    g["dm_p_value"] = [d[1] for d in dm]
    better = g["dm_p_value"] < DM_LEVEL
    g["verdict"] = np.where(better & (g["mase_model"] < g["mase_naive"]), "model better",
                            np.where(better, "naive better", "tie"))
    g["model_beats_naive"] = g["verdict"] == "model better"
    for level in ("80", "95"):
        if {f"low{level}", f"high{level}"} <= set(errors.columns):
            inside = (errors[f"low{level}"] <= errors["actual"]) & (errors["actual"] <= errors[f"high{level}"])
            inside = inside.where(errors[f"low{level}"].notna())
            g[f"coverage{level}"] = inside.groupby(errors["horizon"]).mean().to_numpy()
        else:
            g[f"coverage{level}"] = np.nan
    g["caveat"] = [f"{k} forecast origins at horizon {h}; a handful of origins, several of them spanning the 2020 closure that no model "
                   "trained before it could foresee, so one year can dominate the average." for k, h in zip(g["origins"], g["horizon"])]
    return g


def arrivals_forecaster(events: pd.DataFrame, changes, horizons: int = HORIZONS, draws: int = 1000):
    """A forecaster for :func:`backtest`: training counts -> median forecasts and intervals of the ITS model."""
    return lambda train: arrivals_forecast(train, events, changes, horizons=horizons, draws=draws)


def trade_forecaster(events: pd.DataFrame, changes, horizons: int = HORIZONS):
    """A forecaster for :func:`backtest`: training values -> median forecasts and intervals of the log trade model."""
    return lambda train: trade_forecast(train, events, changes, horizons=horizons)


def run(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    events = tables["events"]
    counts = its.annual_counts(tables["defector_arrivals_annual"])
    trade = annual_china_trade(tables["trade_annual"])

    arr_fc = arrivals_forecast(counts, events, its.CHANGES).assign(series="defector_arrivals", unit="persons")
    trade_fc = trade_forecast(trade, events, TRADE_CHANGES).assign(series="china_prk_trade_total", unit="USD")

    bt = pd.concat([backtest(counts, arrivals_forecaster(events, its.CHANGES)).assign(series="defector_arrivals"),
                    backtest(trade, trade_forecaster(events, TRADE_CHANGES)).assign(series="china_prk_trade_total")], ignore_index=True)
    scores = pd.concat([mase(bt.loc[bt["series"] == s], s) for s in ("defector_arrivals", "china_prk_trade_total")], ignore_index=True)
    history = pd.concat([
        pd.DataFrame({"series": "defector_arrivals", "period": counts.index.astype(str), "observed": counts.to_numpy()}),
        pd.DataFrame({"series": "china_prk_trade_total", "period": trade.index.astype(str), "observed": trade.to_numpy()}),
    ], ignore_index=True)
    cols = ["series", "unit", "period", "horizon", "median", "low80", "high80", "low95", "high95", "changes_used"]
    return {"forecasts": pd.concat([arr_fc[cols], trade_fc[cols]], ignore_index=True).round(3),
            "forecast_history": history,
            "forecast_backtest": bt[["series", "origin", "target", "horizon", "actual", "model", "naive", "scale",
                                     "model_scaled_error", "naive_scaled_error", *INTERVAL_COLUMNS]].round(6),
            "forecast_accuracy": scores.round(6)}
