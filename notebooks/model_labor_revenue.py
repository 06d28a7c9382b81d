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
# # Model: the state's revenue from workers abroad
#
# `analysis.models.labor_revenue` is a transparent Monte Carlo model:
#
# revenue(host, year) = workers present x monthly wage x 12 x share taken by the state
#
# Each input is drawn uniformly between the lowest and the highest figure published for
# it (head counts from `labor_workers`; wages and shares from `labor_model_inputs`,
# pooled as `labor_revenue_assumptions` says), 20,000 seeded draws per host and year.
#
# Things to try: leave a source out in `EXCLUDE` (a `source_id`), or change which region's
# wages a host borrows in `labor_revenue_assumptions`; rerun and compare.

# %%
from analysis import tables
from analysis.models import labor_revenue

EXCLUDE = {"RUS": []}  # host -> source ids to leave out of its wage and share ranges

t = tables.load()
assumptions = t["labor_revenue_assumptions"].copy()
for host, ids in EXCLUDE.items():
    if ids:
        row = assumptions["host"] == host
        old = assumptions.loc[row, "exclude_source_ids"].fillna("").iloc[0]
        assumptions.loc[row, "exclude_source_ids"] = ";".join(filter(None, [old, *ids]))
assumptions[["host", "workers_from", "inputs_from", "exclude_source_ids", "distribution"]]

# %% [markdown]
# ## The input ranges
# One row per host, year and input, with the sources behind the range. Where a host-year
# has border entries but no head count, workers = entries x people per entry, a parameter
# whose range is the host's own ratio of people present to entries in the years that
# have both.

# %%
ranges = labor_revenue.input_ranges(t["labor_workers"], t["labor_model_inputs"], assumptions)
ranges.loc[ranges["host"] == "RUS"].tail(10)

# %% [markdown]
# ## The simulation
# Median and 5-95% interval per host and year, and the total over the hosts covered in a
# year (other hosts are not zero but unmeasured).

# %%
sim = labor_revenue.simulate(ranges)
world = sim["world"]
world.assign(**{c: world[c] / 1e6 for c in ("median_usd", "p05_usd", "p95_usd")}).round(1)

# %% [markdown]
# ## Which input drives the uncertainty
# Fixing one input at a time at its midpoint and redrawing: the share of the 5-95% width
# that goes away is that input's share of the uncertainty.

# %%
sim["sensitivity"].groupby("input")["share_of_width_from_input"].describe()[["count", "mean", "min", "max"]].round(2)

# %% [markdown]
# ## Beside the published estimates
# Each published worldwide estimate next to the model's covered total for the same year,
# with the reasons they differ.

# %%
comparison = labor_revenue.compare(world, t["labor_revenue_estimates"])
comparison[["year", "estimator", "value", "value_low", "value_high", "currency", "model_median_usd", "reasons_they_differ"]].dropna(subset=["year"])

# %%
from analysis.figures import labor as labor_figures

labor_figures.revenue(world, comparison, t["events"], "Modelled revenue beside published estimates");
