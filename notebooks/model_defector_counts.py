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
# # Model: defector arrivals as counts, and the share of women
#
# `analysis.models.defector_counts` fits annual arrivals 2002 onwards as a negative
# binomial regression (NB2) with a linear trend and level shifts at events taken from
# the events table by id:
#
# log E[arrivals in year t] = b0 + b1 (t - 2002) + sum over shifts of g_k step_k(t)
#
# where step_k is the share of year t on or after event k. exp(g_k) is the rate ratio:
# arrivals after the event relative to what the trend implies without it.
#
# Things to try: drop or add a shift in `SHIFTS` (any `event_id` of the events table),
# or move `FIRST_YEAR`; rerun and compare the rate ratios and the AIC.

# %%
from analysis import tables
from analysis.models import defector_counts

SHIFTS = [("step", "kim-jong-il-death"), ("step", "border-closure-2020")]
FIRST_YEAR = 2002

t = tables.load(names=("defector_arrivals_annual", "defector_arrivals", "events", "conflicts", "sources"))
annual, events = t["defector_arrivals_annual"], t["events"]
events.loc[events["event_id"].isin([e for _, e in SHIFTS]), ["event_id", "date", "title"]]

# %% [markdown]
# ## The design
# The regressors the model sees: a constant, the trend and one column per shift. The year
# an event falls in takes the share of the year after it (Kim Jong Il died on 17 December,
# so 2011 takes about 0.04).

# %%
design = defector_counts.design_matrix(annual.loc[annual["year"] >= FIRST_YEAR, "year"].to_numpy(), events, SHIFTS, FIRST_YEAR)
design.loc[2009:2013]

# %% [markdown]
# ## The fit
# Rate ratios with 95% intervals, the estimated dispersion alpha, and the Pearson
# dispersion of a Poisson fit of the same design (far above 1: the counts vary much more
# than a Poisson model allows, which is why the negative binomial is used).

# %%
fit = defector_counts.fit_arrivals(annual, events, SHIFTS, FIRST_YEAR)
terms = fit["terms"]
print(terms["caveat"].iloc[0])
terms[["term", "rate_ratio", "ci_low", "ci_high", "p_value", "aic", "poisson_pearson_dispersion"]]

# %% [markdown]
# ## Observed, fitted, and the path without each shift
# `without_<event>` is the fitted path with that shift set to zero: the counterfactual
# the rate ratio compares against.

# %%
fit["fitted"].tail(8)

# %%
from analysis.figures import defectors as defector_figures

defector_figures.arrivals_by_sex(defector_figures.arrivals_data(t, fit["fitted"]), events, "Arrivals by sex, with the fit of the shifts chosen above");

# %% [markdown]
# ## Without the succession shift
# The same model without the 2011 shift: the trend has to absorb the fall, and the AIC
# says how much worse that fits.

# %%
trend_only = defector_counts.fit_arrivals(annual, events, [("step", "border-closure-2020")], FIRST_YEAR)["terms"]
print(f"AIC with both shifts {terms['aic'].iloc[0]:.1f}; with the closure only {trend_only['aic'].iloc[0]:.1f}")

# %% [markdown]
# ## The share of women
# A binomial GLM of the share of women on the year (a logistic trend), with the scale
# estimated from Pearson's chi-square because yearly shares vary far more than a
# binomial allows. The odds ratio is the change per year in the odds that an arrival is
# a woman.

# %%
share = defector_counts.fit_female_share(annual, FIRST_YEAR)
share["terms"][["odds_ratio", "ci_low", "ci_high", "p_value", "scale", "n", "caveat"]]

# %%
defector_figures.female_share(annual, share["fitted"], events, "Women as a share of arrivals, with the logistic trend");

# %% [markdown]
# ## The headline and the specification curve behind it
# The report states one number per effect: the headline specification in
# `analysis/models/spec.py` (NB2, linear trend, each event's year an arithmetic mix of the
# two regimes, with UNSC 2270). `arrivals.curve` fits every alternative the specification
# file lists (trend, step form, UNSC 2270, quasi-Poisson, HAC errors, transit lag).

# %%
from analysis.models import arrivals, series, spec

counts = series.annual_arrivals(annual, spec.FIRST_YEAR)
curve, headline = arrivals.curve(counts, events)
curve.loc[curve["event_ids"] == spec.CLOSURE, ["specification", "estimate", "ci_low", "ci_high", "aic"]].sort_values("estimate")

# %% [markdown]
# `nkflows fit` writes the same rows, with the monthly trade curve, to
# `reports/tables/specification_curve.csv`, and one headline row per effect to
# `headline_effects.csv`. The figure: grey dots and bars are the alternatives, black
# diamonds the headline.

# %%
from analysis.figures import specification_curve as curve_figures
from analysis.models import run

head = run.headline_effects(curve, [e for e in spec.EFFECTS if e.flow == spec.ARRIVALS])
curve_figures.curve(head, curve, "The arrivals effects under every specification");
