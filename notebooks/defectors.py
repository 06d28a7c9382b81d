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
# # Defectors arriving in South Korea: the data
#
# The Ministry of Unification (MOU) counts North Koreans who reach South Korea. Its
# figures reach the public through its statistics pages, press releases and news
# reports, often more than once and sometimes differently. This notebook shows how
# nkflows keeps every figure with its source, how it picks one series, and where the
# sources disagree.
#
# Change `YEAR` below and rerun to look at another year.

# %%
from analysis import tables

YEAR = 2019

t = tables.load()
arrivals = t["defector_arrivals"]        # every figure, one row per figure and source
annual = t["defector_arrivals_annual"]   # the preferred series, one row per year
sources = t["sources"]
print(f"{len(arrivals):,} figures from {arrivals['source_id'].nunique()} sources; "
      f"{len(annual)} years in the preferred series ({annual['year'].min()}-{annual['year'].max()})")

# %% [markdown]
# ## Every figure for one year
# `reported_as` is the figure exactly as printed on the page; `preferred` marks the rows
# the published series takes. The precedence rule is written in the README.

# %%
one_year = arrivals.loc[(arrivals["freq"] == "A") & (arrivals["period_start"].astype(str).str.startswith(str(YEAR)))]
one_year.merge(sources[["source_id", "publisher", "published"]], on="source_id")[
    ["sex", "arrivals", "reported_as", "status", "preferred", "publisher", "published", "source_id"]
].sort_values(["sex", "preferred", "published"], ascending=[True, False, True])

# %% [markdown]
# ## The preferred annual series
# The split by sex begins in 2002; the earliest years are pooled by the MOU.

# %%
annual.tail(12)

# %% [markdown]
# ## Where sources disagree
# Each figure reported differently by two or more sources is a conflict in `conflicts`:
# one row per value and source, the value the series uses marked `chosen`, and the step of
# the precedence rule that decided (`decided_by`). `nkflows series defector_arrivals_annual
# --year YEAR` prints the same from the command line.

# %%
conflicts = t["conflicts"]
print(conflicts.drop_duplicates("conflict_id")["conflict_type"].value_counts().to_string())
conflicts.loc[(conflicts["table"] == "defector_arrivals") & conflicts["key"].str.contains(f"period_start={YEAR}-01-01")][
    ["key", "value", "source_id", "chosen", "decided_by"]
]

# %% [markdown]
# ## Running totals
# Sources also report the running total since records began. `computed` is the running
# total of the preferred series on the same date; `difference` is what the report and
# the series disagree by (the published revisions allow a range).

# %%
cumulative = t["defector_cumulative"]
cumulative.loc[cumulative["sex"] == "all", ["as_of", "cumulative", "computed", "difference", "source_id"]].tail(10)

# %% [markdown]
# ## The figure of the report
# The report's figure comes from the same functions. The count model's fit is drawn
# over the bars; `model_defector_counts.py` explains it.

# %%
from analysis.figures import defectors as defector_figures
from analysis.models import defector_counts

fit = defector_counts.fit_arrivals(annual, t["events"])
# what the chart plots, one row per bar or point, with the source that printed it (the report writes it beside the figure)
plotted = defector_figures.arrivals_data(t, fit["fitted"])
defector_figures.arrivals_by_sex(plotted, t["events"], "Defectors arriving in South Korea, by sex");
