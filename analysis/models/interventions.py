"""Intervention regressors built from the events table, never from dates typed in code.

Given a regular period index (annual ``Y``, quarterly ``Q`` or monthly ``M``) and an
event id, build:

- ``step``: the share of each period that falls on or after the event date (0 before,
  1 after, a fraction in the period the event falls in — an event on 17 December moves
  its year's value to 0.04, not to 1);
- ``pulse``: 1 in the period containing the event, else 0;
- ``ramp``: periods elapsed since the event (the running sum of ``step``), i.e. a slope
  change.

Periods may run past the data, so forecasts get the regressors' future values too.
"""

from __future__ import annotations

from typing import Iterable, Literal

import numpy as np
import pandas as pd

Kind = Literal["step", "pulse", "ramp"]


class UnknownEvent(KeyError):
    def __str__(self) -> str:
        return f"event id {self.args[0]!r} is not in the events table (data/processed/events.csv)"


def event_date(events: pd.DataFrame, event_id: str) -> pd.Timestamp:
    hit = events.loc[events["event_id"] == event_id, "date"]
    if hit.empty:
        raise UnknownEvent(event_id)
    return pd.Timestamp(hit.iloc[0])


def periods(start: str | int, end: str | int, freq: str) -> pd.PeriodIndex:
    """A regular period index, e.g. ``periods(2002, 2028, "Y")``."""
    return pd.period_range(str(start), str(end), freq=freq)


def step(index: pd.PeriodIndex, date: pd.Timestamp) -> np.ndarray:
    start = index.start_time
    end = index.end_time.normalize() + pd.Timedelta(days=1)  # exclusive end
    length = (end - start).days.to_numpy(dtype=float)
    after = (end - max_ts(start, date)).days.to_numpy(dtype=float)
    return np.clip(after / length, 0.0, 1.0)


def max_ts(a: pd.DatetimeIndex, b: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.maximum(a.values, np.datetime64(b)))


def pulse(index: pd.PeriodIndex, date: pd.Timestamp) -> np.ndarray:
    return ((index.start_time <= date) & (index.end_time >= date)).astype(float)


def ramp(index: pd.PeriodIndex, date: pd.Timestamp) -> np.ndarray:
    return np.cumsum(step(index, date))


_BUILDERS = {"step": step, "pulse": pulse, "ramp": ramp}


def design(events: pd.DataFrame, index: pd.PeriodIndex, spec: Iterable[tuple[Kind, str]]) -> pd.DataFrame:
    """One column per (kind, event_id), named ``kind:event_id``, indexed by period."""
    cols = {}
    for kind, event_id in spec:
        if kind not in _BUILDERS:
            raise ValueError(f"unknown intervention kind {kind!r}; use one of {sorted(_BUILDERS)}")
        cols[f"{kind}:{event_id}"] = _BUILDERS[kind](index, event_date(events, event_id))
    return pd.DataFrame(cols, index=index)
