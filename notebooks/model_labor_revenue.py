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
# # Model: the state's revenue from workers abroad, and the risk it trades against
#
# `analysis.models.labor_revenue` is a Monte Carlo model:
#
# revenue(host, year) = workers present x monthly wage x 12 x share taken by the state
#
# Each input has a distribution chosen in `labor_revenue_assumptions` (PERT, log-normal
# or uniform), centred on the best-supported figure: the national head count of
# `labor_panel`, the most-cited wage and share. Wages and shares are matched to the year
# by a stated rule; regional and single-firm figures never set a bound. Wage and share
# can share a shock across hosts: `RHO` is that correlation (0 and 1 are reported).
#
# Things to try: change `RHO`, or a host's distribution in `DISTRIBUTION`; rerun and compare.

# %%
from analysis import tables
from analysis.models import labor_revenue, tradeoff

RHO = 0.5  # correlation of wage and share across hosts (0 = independent, 1 = one common shock)
DISTRIBUTION = {}  # e.g. {("RUS", "monthly_wage_usd"): "lognormal"}

t = tables.load()
assumptions = t["labor_revenue_assumptions"].copy()
for (host, name), dist in DISTRIBUTION.items():
    assumptions.loc[(assumptions["host"] == host) & (assumptions["input"] == name), "distribution"] = dist
t["labor_revenue_assumptions"] = assumptions
assumptions[["host", "input", "distribution", "centre", "inputs_from", "year_window", "widen", "reason"]].head(12)

# %% [markdown]
# ## The inputs
# One row per host, year and input: the distribution, its low, centre and high, how the
# figures were matched to the year (`year_rule`) and the sources behind them.

# %%
ranges = labor_revenue.input_table(t)
ranges.loc[ranges["host"] == "RUS"].tail(12)

# %% [markdown]
# ## The simulation
# Median and 5-95% interval per host and year, and the total over the hosts covered in a
# year (other hosts are not zero but unmeasured), at the chosen correlation.

# %%
host_year, world, _ = labor_revenue.simulate(ranges, RHO, f"rho_{RHO}")
world.assign(**{c: world[c] / 1e6 for c in ("median_usd", "p05_usd", "p95_usd")}).round(1).drop(columns="caveat")

# %% [markdown]
# ## The published variants, and which input drives the uncertainty
# `weighted_rho0` and `weighted_rho1` bracket the correlation; `uniform_pooled` is the
# model of earlier releases. Fixing one input at a time at its centre: the share of the
# 5-95% width that goes away is that input's share of the uncertainty.

# %%
results = labor_revenue.run(t)
results["labor_revenue_world"].pivot_table(index="year", columns="variant", values="median_usd").div(1e6).round(0)

# %%
results["labor_revenue_sensitivity"].groupby("input")["share_of_width_from_input"].describe()[["count", "mean", "min", "max"]].round(2)

# %% [markdown]
# ## Beside the published estimates
# Every published estimate next to the model for the same host (or the covered world)
# and year, with the reasons they differ.

# %%
comparison = results["labor_revenue_comparison"]
comparison[["year", "host", "estimator", "value", "value_low", "value_high", "currency", "model_median_usd", "reasons_they_differ"]].dropna(subset=["year"])

# %% [markdown]
# ## The trade-off
# Defection incidents per 10,000 worker-years (exact Poisson intervals), revenue per
# worker, the event study, and what would count against the hypothesis.

# %%
trade = tradeoff.run(t)
trade["tradeoff_rates"].loc[lambda d: d["host"] == "ALL"]

# %%
trade["tradeoff_tests"]

# %%
from analysis.figures import labor as labor_figures

labor_figures.risk_return(trade["tradeoff_risk_return"], trade["tradeoff_rates"], t["events"], "Revenue per worker against defection risk");
