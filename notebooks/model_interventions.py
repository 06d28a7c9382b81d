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
# # Model building block: intervention regressors from the events table
#
# Every model of nkflows takes its intervention dates from the events table, by event id,
# never from dates typed in code. `analysis.models.interventions` turns an event into a
# regressor on a regular period index (annual `Y`, quarterly `Q` or monthly `M`):
#
# - `step`: the share of each period on or after the event (0 before, 1 after, a fraction
#   in the period the event falls in);
# - `pulse`: 1 in the period containing the event, else 0;
# - `ramp`: periods elapsed since the event (a change of slope).
#
# Things to try: another `EVENT` (any `event_id` below), another frequency in `FREQ`.

# %%
from analysis import tables
from analysis.models import interventions

EVENT = "border-closure-2020"
FREQ = "Q"

events = tables.load_table("events")
events[["event_id", "date", "category", "title"]].tail(15)

# %% [markdown]
# ## The three kinds at one frequency
# The index may run past the data, so a forecast gets the regressors' future values too.

# %%
index = interventions.periods("2018", "2022", FREQ)
interventions.design(events, index, [("step", EVENT), ("pulse", EVENT), ("ramp", EVENT)]).round(3)

# %% [markdown]
# ## A step at each frequency
# The event's date decides the fraction in the period it falls in.

# %%
date = interventions.event_date(events, EVENT)
print(f"{EVENT}: {date:%d %B %Y}")
for freq, start, end in (("Y", "2019", "2021"), ("Q", "2019Q4", "2020Q2"), ("M", "2019-12", "2020-02")):
    print(freq, interventions.design(events, interventions.periods(start, end, freq), [("step", EVENT)]).round(3).iloc[:, 0].to_dict())

# %% [markdown]
# ## An unknown event id is an error that says where to look

# %%
try:
    interventions.event_date(events, "no-such-event")
except interventions.UnknownEvent as exc:
    print(exc)
