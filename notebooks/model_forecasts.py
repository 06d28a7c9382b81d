# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Model: forecasts and whether they beat naive
#
# `analysis.models.forecasts` forecasts arrivals (the annual interrupted-time-series
# model carried forward) and China-DPRK trade (log annual total with intervention steps
# and AR(1) errors) one to three years ahead, then asks in a rolling-origin backtest
# whether those models beat the naive forecast (the last value), by MASE.
#
# Change `HORIZONS` and rerun.

# %%
from analysis import tables
from analysis.models import forecasts, its

t = tables.load()
events = t["events"]
HORIZONS = 3
counts = its.annual_counts(t["defector_arrivals_annual"])
trade = forecasts.annual_china_trade(t["trade_annual"])
print(f"arrivals: {len(counts)} years; trade: {int(trade.notna().sum())} of {len(trade)} years published")

# %%
forecasts.arrivals_forecast(counts, events, its.CHANGES, horizons=HORIZONS)

# %%
forecasts.trade_forecast(trade, events, forecasts.TRADE_CHANGES, horizons=HORIZONS)

# %% [markdown]
# ## Backtest
# At each origin the model is refitted on the data up to then, with only the events
# known by then. MASE scales each error by the typical one-year change in the training
# data; the naive forecast is the benchmark.

# %%
bt = forecasts.backtest(counts, forecasts.arrivals_forecaster(events, its.CHANGES, horizons=HORIZONS), horizons=HORIZONS)
forecasts.mase(bt, "defector_arrivals")[["horizon", "origins", "mase_model", "mase_naive", "model_beats_naive"]]

# %%
bt_trade = forecasts.backtest(trade, forecasts.trade_forecaster(events, forecasts.TRADE_CHANGES, horizons=HORIZONS), horizons=HORIZONS)
forecasts.mase(bt_trade, "china_prk_trade_total")[["horizon", "origins", "mase_model", "mase_naive", "model_beats_naive"]]

# %% [markdown]
# `forecasts.backtest` takes any function from a training series to `HORIZONS` point
# forecasts, so a forecaster added to the package can be scored the same way.
