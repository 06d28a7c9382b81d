# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Defectors arriving in South Korea
#
# This notebook loads the published tables through the package, looks at where each
# figure comes from, and refits the count model. Change the intervention list or the
# first year and rerun to see how the estimates move.

# %%
from analysis.paths import PROCESSED
from analysis.report.build import load_tables
from analysis.models import defector_counts

tables = load_tables(PROCESSED)
annual = tables["defector_arrivals_annual"]
annual.tail(10)

# %% [markdown]
# Every preferred figure names its source; every disagreement is in `conflicts`.

# %%
conflicts = tables["conflicts"]
conflicts.loc[conflicts["key"].str.contains("period_start=2009-01-01")]

# %% [markdown]
# ## The count model
# Level shifts come from the events table by id; the dates are never typed here.

# %%
shifts = [("step", "kim-jong-il-death"), ("step", "border-closure-2020")]
result = defector_counts.fit_arrivals(annual, tables["events"], shifts)
result["terms"][["term", "rate_ratio", "ci_low", "ci_high", "p_value", "n"]]
