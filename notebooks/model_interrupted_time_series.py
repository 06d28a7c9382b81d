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
# # Model: interrupted time series of defector arrivals
#
# How much did arrivals change at the Kim Jong Un succession, the 2016-2017 sanctions
# and the 2020 border closure? `analysis.models.its` fits a segmented negative binomial
# regression: a trend, and at each event a level change (step) and a slope change
# (ramp). The event dates come from the `events` table by id.
#
# Change `CHANGES` (any event ids from the events table) and rerun.

# %%
from analysis import tables
from analysis.models import its

t = tables.load()
events = t["events"]
CHANGES = its.CHANGES  # e.g. [("kim-jong-il-death", "succession"), ("border-closure-2020", "closure")]
events.loc[events["event_id"].isin([e for e, _ in CHANGES]), ["event_id", "date", "title"]]

# %% [markdown]
# ## Annual model
# Rate ratios with 95% intervals: `level` is the jump at the event, `slope` the change in
# the yearly growth ratio after it. N and the caveat travel with the table.

# %%
counts = its.annual_counts(t["defector_arrivals_annual"])
annual = its.fit(counts, events, CHANGES)
annual["terms"][["term", "change", "rate_ratio", "ci_low", "ci_high", "p_value", "n"]]

# %%
print(annual["terms"]["caveat"].iloc[0])

# %% [markdown]
# ## Counterfactual paths
# The path without a change sets that event's step and ramp to zero and keeps the rest of
# the fit. Far from the event it is an extrapolation of the earlier trend, and the band
# widens accordingly.

# %%
paths = annual["paths"]
paths.pivot(index="period", columns="scenario", values="mean").round(0).join(
    paths.loc[paths["scenario"] == "fitted"].set_index("period")["observed"])

# %% [markdown]
# ## Quarterly model
# Quarterly totals start in 2019, so only the closure has four quarters on each side.

# %%
quarterly = its.fit(its.quarterly_counts(t["defector_arrivals"]), events)
quarterly["terms"][["term", "change", "rate_ratio", "ci_low", "ci_high", "n"]]

# %% [markdown]
# ## The figure in the report

# %%
from analysis.figures import its as its_figures

its_figures.paths(annual["paths"], events, "its_annual", "Annual arrivals: fit and counterfactuals", "Arrivals per year (log scale)");
