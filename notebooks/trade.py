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
# # North Korea's trade: the data
#
# North Korea publishes no trade statistics, so its trade is seen through its partners:
# above all China's customs (GACC), and KOTRA's yearly estimates in Seoul. nkflows keeps
# every figure as published (`trade_flows`, in the currency printed) and builds
# preferred series (`trade_annual`, `trade_monthly`) that never mix agencies or
# currencies.
#
# Change `AGENCY`, `REPORTER` or `PARTNER` and rerun to follow another series.

# %%
from analysis import tables

AGENCY, REPORTER, PARTNER = "GACC", "CHN", "PRK"

t = tables.load()
flows, annual, monthly = t["trade_flows"], t["trade_annual"], t["trade_monthly"]
print(f"{len(flows):,} trade figures from {flows['source_id'].nunique()} sources")
flows.groupby(["agency", "currency"]).size().rename("figures").reset_index()

# %% [markdown]
# ## One agency's annual series
# `exports_usd` and `imports_usd` are from the reporter's side: China's exports are
# North Korea's imports. `total_derived` says whether the total was printed or is the
# sum of the two flows.

# %%
series = annual.loc[(annual["agency"] == AGENCY) & (annual["reporter"] == REPORTER) & (annual["partner"] == PARTNER)]
series[["year", "exports_usd", "imports_usd", "total_usd", "total_derived", "status", "source_id"]]

# %% [markdown]
# ## Two views of the same trade
# KOTRA's estimate of North Korea-China trade adds crude oil that China's customs
# figures leave out, so the two series differ by design. They are kept apart.

# %%
kotra = annual.loc[(annual["agency"] == "KOTRA") & (annual["reporter"] == "PRK") & (annual["partner"] == "CHN"), ["year", "total_usd"]]
gacc = annual.loc[(annual["agency"] == "GACC") & (annual["reporter"] == "CHN") & (annual["partner"] == "PRK"), ["year", "total_usd"]]
both = gacc.merge(kotra, on="year", suffixes=("_gacc", "_kotra")).dropna()
both.assign(kotra_over_gacc=both["total_usd_kotra"] / both["total_usd_gacc"]).round(3)

# %% [markdown]
# ## Months
# `basis` says whether a month was reported as such or derived from two consecutive
# year-to-date figures. Months no source gives are missing, never interpolated.

# %%
m = monthly.loc[(monthly["agency"] == AGENCY) & (monthly["reporter"] == REPORTER) & (monthly["partner"] == PARTNER)]
print(m["basis"].value_counts().to_string())
m.pivot_table(index="year", columns="month", values="total_usd", aggfunc="first").div(1e6).round(1)

# %% [markdown]
# ## The figures of the report
# The same functions draw the report's trade figures; the titles here are yours to write.

# %%
from analysis.figures import trade as trade_figures

trade_figures.annual_china(trade_figures.annual_data(t), t["events"], "China-North Korea trade, China's customs and KOTRA");

# %%
trade_figures.product_lines(trade_figures.products_data(t), t["events"], "China's imports of North Korean product lines");
