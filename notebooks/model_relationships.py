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
# # Model: do the flows move together?
#
# `analysis.models.relationships` compares year-on-year growth rates (changes in logs)
# of the annual series: lagged cross-correlations with the band expected from noise,
# and Granger F tests that allow for missing years. With about twenty years per pair
# these tests have little power, and Granger "causality" is only predictive precedence.
#
# Pick any two series from the panel below as `X` and `Y` and rerun.

# %%
from analysis import tables
from analysis.models import relationships

t = tables.load()
series = relationships.annual_series(t)
panel = relationships.run(t)["annual_panel"]
panel.tail(12)

# %% [markdown]
# ## Cross-correlations of growth rates
# Each lag uses the years where both growth rates exist; `band` is the approximate 95%
# band for a correlation of zero, and it widens as N shrinks.

# %%
X, Y = "china_prk_trade_total", "defector_arrivals"
gx, gy = relationships.growth(series[X]), relationships.growth(series[Y])
relationships.cross_correlations(gx, gy)

# %% [markdown]
# ## Granger tests in both directions
# Does adding the other series' past growth improve the prediction of this one's growth?

# %%
import pandas as pd

pd.DataFrame([{"cause": a, "effect": b, **relationships.granger(x, y, lags)}
              for a, b, x, y in ((X, Y, gx, gy), (Y, X, gy, gx)) for lags in (1, 2)])

# %% [markdown]
# ## The female share of arrivals as a binomial model over time
# A quasi-binomial logistic trend (`defector_counts.fit_female_share`): the odds ratio per
# year, with the Pearson scale that widens the interval.

# %%
from analysis.models import defector_counts

defector_counts.fit_female_share(t["defector_arrivals_annual"])["terms"][["odds_ratio", "ci_low", "ci_high", "scale", "n"]]
