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
# # Model: China's monthly trade with the DPRK
#
# `analysis.models.trade_monthly` models China's monthly exports to and imports from the
# DPRK on the log scale: two Fourier pairs for seasonality, steps at the sanctions, the
# closure and the reopening (event ids from the `events` table), and AR(1) errors. The
# Kalman filter skips the months no source published, so nothing is filled in.
#
# Edit `CHANGES` (event id, label) and rerun to test another set of interventions.

# %%
from analysis import tables
from analysis.models import breaks, trade_monthly

t = tables.load()
events = t["events"]
CHANGES = trade_monthly.INTERVENTIONS
exports = breaks.monthly_china(t["trade_monthly"], "exports_usd")
imports = breaks.monthly_china(t["trade_monthly"], "imports_usd")
print(f"exports: {len(exports)} months; imports: {len(imports)} months")

# %% [markdown]
# ## Effects as % changes
# exp(coefficient) - 1 of each step, with a 95% interval. Steps close together in time
# (the two 2017 resolutions) share few months, so their intervals are wide.

# %%
import pandas as pd

fits = {name: trade_monthly.fit(s, events, CHANGES) for name, s in (("exports_usd", exports), ("imports_usd", imports))}
pd.concat([trade_monthly.effects(f, name, CHANGES) for name, f in fits.items()])[
    ["series", "event_id", "pct_change", "ci_low_pct", "ci_high_pct", "p_value", "n_months_observed"]].round(1)

# %% [markdown]
# ## Fitted paths and the STL decomposition
# STL needs every month, so unpublished months are interpolated on the log scale first;
# the table marks them, and the figure draws them hollow.

# %%
from analysis.figures import trade_model

paths = pd.concat([trade_monthly.fitted_path(f, name) for name, f in fits.items()])
trade_model.fitted(paths, events, [e for e, _ in CHANGES], "Monthly trade: model and published months");

# %%
stl = trade_monthly.stl(breaks.monthly_china(t["trade_monthly"], "total_usd"), "total_usd")
print(f"{int(stl['interpolated'].sum())} of {len(stl)} months interpolated")
trade_model.stl(stl, events, ["border-closure-2020"], "STL of monthly China-DPRK trade");
