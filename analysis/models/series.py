"""Shared selectors of the series the models use, each written once.

- China's own trade figures with the DPRK: :mod:`analysis.selectors` (shared with the figures);
- :func:`calendar_year_rows`: rows of a table whose period is exactly one calendar year;
- :func:`event_date` / :func:`event_title`: one event's date and title from the events table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .interventions import UnknownEvent, event_date  # noqa: F401  (re-exported: the one event lookup)
from .errors import ModelError


def calendar_year_rows(frame: pd.DataFrame, start: str = "period_start", end: str = "period_end") -> pd.DataFrame:
    """Rows whose period runs from 1 January to 31 December of one year, with that ``year``."""
    f = frame.loc[frame[start].notna() & frame[end].notna()]
    s, e = pd.to_datetime(f[start]), pd.to_datetime(f[end])
    keep = (s.dt.month == 1) & (s.dt.day == 1) & (e.dt.month == 12) & (e.dt.day == 31) & (s.dt.year == e.dt.year)
    return f.loc[keep].assign(year=s[keep].dt.year.to_numpy())


def event_title(events: pd.DataFrame, event_id: str) -> str:
    hit = events.loc[events["event_id"] == event_id, "title"]
    if hit.empty:
        raise UnknownEvent(event_id)
    return str(hit.iloc[0])


def annual_arrivals(annual: pd.DataFrame, first_year: int) -> pd.Series:
    """Preferred annual totals from ``defector_arrivals_annual`` on a yearly period index, every year from ``first_year``."""
    data = annual.loc[annual["year"] >= first_year].sort_values("year")
    years = data["year"].astype(int).to_numpy()
    if data.empty or not np.array_equal(years, np.arange(years[0], years[-1] + 1)):
        raise ModelError(f"defector_arrivals_annual: the annual models need every year from {first_year}; found {list(years)}")
    return pd.Series(data["total"].to_numpy(float), index=pd.PeriodIndex(years.astype(str), freq="Y"), name="arrivals")
