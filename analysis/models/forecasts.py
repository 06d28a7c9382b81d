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
training data (Hyndman and Koehler 2006); a MASE below the naive forecast's means the
model beats naive at that horizon.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.tsa.statespace.sarimax import SARIMAX

from . import interventions, its, nb2
from .nb2 import Z95, ModelError

HORIZONS = 3
MIN_TRAIN = 8
MIN_BEFORE = 4
MIN_AFTER = 1
MIN_AFTER_SLOPE = 3  # a slope change needs this many observations after its event; otherwise only the level
DRAWS = 4000
SEED = 20261127
TRADE_CHANGES: list[tuple[str, str]] = [
    ("unsc-2371", "2017 UN bans on DPRK exports"),
    ("border-closure-2020", "COVID-19 border closure"),
    ("freight-train-resumption-2022-09", "freight trains resume"),
]


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
    use = known_changes(logy.index, events, changes, observed=logy.notna())
    model = SARIMAX(logy.to_numpy(), exog=_trade_exog(logy.index, events, use), order=(1, 0, 0), trend="n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(disp=False, maxiter=500, method="lbfgs")
    if not res.mle_retvals.get("converged", False):
        raise ModelError("trade forecast: the SARIMAX fit did not converge")
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
    g = trade_annual.loc[(trade_annual["agency"] == "GACC") & (trade_annual["reporter"] == "CHN") & (trade_annual["partner"] == "PRK") & trade_annual["total_usd"].notna()]
    s = pd.Series(g["total_usd"].to_numpy(float), index=pd.PeriodIndex(g["year"].astype(int).astype(str), freq="Y")).sort_index()
    return s.reindex(pd.period_range(s.index.min(), s.index.max(), freq="Y"))


# -- backtest -----------------------------------------------------------------------------

def backtest(series: pd.Series, forecaster, horizons: int = HORIZONS, min_train: int = MIN_TRAIN) -> pd.DataFrame:
    """Rolling-origin errors of ``forecaster(train) -> medians`` and of the naive forecast."""
    rows = []
    for end in range(len(series)):
        train = series.iloc[: end + 1]
        if train.notna().sum() < min_train or pd.isna(train.iloc[-1]) or end + 1 >= len(series):
            continue
        t_obs = train.dropna().to_numpy()
        scale = float(np.mean(np.abs(np.diff(t_obs))))
        if scale == 0:
            continue
        medians = forecaster(train)
        for h in range(1, horizons + 1):
            if end + h >= len(series) or pd.isna(series.iloc[end + h]):
                continue
            actual = float(series.iloc[end + h])
            rows.append({"origin": str(series.index[end]), "target": str(series.index[end + h]), "horizon": h, "actual": actual,
                         "model": float(medians[h - 1]), "naive": float(t_obs[-1]), "scale": scale})
    out = pd.DataFrame(rows)
    if out.empty:
        raise ModelError("backtest: no origin has enough training data and a later observation")
    out["model_scaled_error"] = (out["actual"] - out["model"]).abs() / out["scale"]
    out["naive_scaled_error"] = (out["actual"] - out["naive"]).abs() / out["scale"]
    return out


def mase(errors: pd.DataFrame, series_name: str) -> pd.DataFrame:
    g = errors.groupby("horizon").agg(origins=("origin", "size"), mase_model=("model_scaled_error", "mean"),
                                      mase_naive=("naive_scaled_error", "mean")).reset_index()
    g.insert(0, "series", series_name)
    g["model_beats_naive"] = g["mase_model"] < g["mase_naive"]
    g["caveat"] = [f"{k} forecast origins at horizon {h}; a handful of origins, several of them spanning the 2020 closure that no model "
                   "trained before it could foresee, so one year can dominate the average." for k, h in zip(g["origins"], g["horizon"])]
    return g


def arrivals_forecaster(events: pd.DataFrame, changes, horizons: int = HORIZONS, draws: int = 1000):
    """A forecaster for :func:`backtest`: training counts -> median forecasts of the ITS model."""
    return lambda train: arrivals_forecast(train, events, changes, horizons=horizons, draws=draws)["median"].to_numpy()


def trade_forecaster(events: pd.DataFrame, changes, horizons: int = HORIZONS):
    """A forecaster for :func:`backtest`: training values -> median forecasts of the log trade model."""
    return lambda train: trade_forecast(train, events, changes, horizons=horizons)["median"].to_numpy()


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
                                     "model_scaled_error", "naive_scaled_error"]].round(6),
            "forecast_accuracy": scores.round(6)}
