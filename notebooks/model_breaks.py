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
# # Model: breaks at unknown dates
#
# When did arrivals and trade change, if we do not tell the model the dates?
# `analysis.models.breaks` searches every way of cutting a series into segments with
# different means (on the log scale), picks the number of breaks by BIC, and gives
# each break date a 95% band. Each break is then set beside the nearest event.
#
# Change `SERIES` or `MAX_BREAKS` and rerun.

# %%
from analysis import tables
from analysis.models import breaks, its

t = tables.load()
events = t["events"]
MAX_BREAKS = 4
SERIES = "total_usd"  # or exports_usd, imports_usd
events.loc[events["category"].isin(["sanction_un", "border_control"]), ["event_id", "date", "title"]].tail(8)

# %% [markdown]
# ## Annual arrivals

# %%
arrivals = breaks.run_series("defector_arrivals_annual", its.annual_counts(t["defector_arrivals_annual"]), events,
                             "persons per year", MAX_BREAKS)
arrivals["bic"]

# %%
arrivals["breaks"][["break_period", "band_low", "band_high", "ratio_after_to_before", "nearest_event_id", "days_from_event_to_break", "events_in_band"]]

# %% [markdown]
# ## Monthly China-DPRK trade
# Only the months some source published are searched; a break is dated at the first
# published month of the new regime, and its band starts just after the last month
# certainly in the old one.

# %%
monthly = breaks.monthly_china(t["trade_monthly"], SERIES)
print(f"{len(monthly)} published months, {monthly.index.min()} to {monthly.index.max()}")
trade = breaks.run_series(f"china_prk_{SERIES}", monthly, events, "USD per month", MAX_BREAKS)
trade["breaks"][["break_period", "band_low", "band_high", "ratio_after_to_before", "nearest_event_id", "events_in_band"]]

# %%
from analysis.figures import breaks as breaks_figures
import pandas as pd

breaks_figures.breaks(pd.concat([arrivals["segments"], trade["segments"]]), pd.concat([arrivals["breaks"], trade["breaks"]]), events,
                      [("defector_arrivals_annual", "Arrivals", "persons"), (f"china_prk_{SERIES}", "Trade", "USD per month")],
                      "Breaks found by the search");
