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
# # North Koreans working abroad: the data
#
# How many North Koreans work abroad, and where, is known only in pieces: Russia's
# official stocks and border statistics, China's entry statistics, reports to the UN
# Security Council under resolution 2397, and estimates by governments, researchers
# and journalists. The pieces count different things, defined in `labor_measures`;
# nkflows never adds them together.
#
# Change `HOST` (an ISO 3166 alpha-3 code, or a region such as `WLD`) and rerun.

# %%
from analysis import tables

HOST = "RUS"

t = tables.load()
workers, measures = t["labor_workers"], t["labor_measures"]
measures

# %% [markdown]
# ## What is counted, by host
# Hosts with the most figures first. A `stock` is people present on a date; `entries`
# are trips across a border; permits and visas are documents.

# %%
counts = workers.pivot_table(index="host", columns="measure", values="value", aggfunc="size", fill_value=0)
counts.loc[counts.sum(axis=1).sort_values(ascending=False).index].head(10)

# %% [markdown]
# ## One host over time
# Estimates carry their low and high bounds and who made them (`estimator`).

# %%
one = workers.loc[workers["host"] == HOST].sort_values(["measure", "period_end"])
one.loc[one["measure"].str.startswith(("stock", "remaining", "repatriated")),
        ["period_end", "measure", "value", "value_low", "value_high", "estimator", "reported_as", "source_id"]]

# %%
entries = one.loc[one["measure"].str.startswith("entries")]
entries.pivot_table(index="period_end", columns="measure", values="value", aggfunc="max")

# %% [markdown]
# ## Published estimates of the revenue
# Revenue estimates stay in the currency printed; `scope` says what was estimated
# (gross earnings, remittances, the state's share).

# %%
estimates = t["labor_revenue_estimates"]
estimates[["period_end", "host", "scope", "value", "value_low", "value_high", "currency", "estimator"]].sort_values("period_end")

# %% [markdown]
# ## The wage and state-share figures the revenue model draws on
# See `model_labor_revenue.py` for the model itself.

# %%
inputs = t["labor_model_inputs"]
inputs.groupby(["parameter", "host", "currency"], dropna=False)["value"].agg(["count", "min", "max"])

# %%
from analysis.figures import labor as labor_figures

labor_figures.workers(labor_figures.workers_data(t), t["events"], "North Korean workers abroad, by host and measure");
