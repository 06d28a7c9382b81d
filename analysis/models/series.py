"""Shared selectors of the series the models use, each written once.

- :func:`china_customs`: China's own figures for its trade with the DPRK, monthly or annual,
  one column (exports_usd, imports_usd, total_usd): for each period the figure of the first
  compiler in :data:`CHINA_OWN` that gives one (China's customs releases, then KITA's and
  KOTRA's compilations of China's customs data, then China's reports to UN Comtrade, then
  China's commerce ministry). KOTRA's estimates of North Korea's trade (reporter PRK) are a
  different series and never enter;
- :func:`calendar_year_rows`: rows of a table whose period is exactly one calendar year;
- :func:`event_date` / :func:`event_title`: one event's date and title from the events table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .interventions import UnknownEvent, event_date  # noqa: F401  (re-exported: the one event lookup)
from .errors import ModelError

CHINA, DPRK, CUSTOMS = "CHN", "PRK", "GACC"
#: Who compiled China's own figures, in the order the models take them for a period.
CHINA_OWN = (CUSTOMS, "KITA", "KOTRA", "COMTRADE", "MOFCOM")


def china_customs_rows(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows of ``trade_annual`` or ``trade_monthly`` with China's own figure for ``column``:
    one row per period, from the first compiler in :data:`CHINA_OWN` that gives it (``agency``
    says which)."""
    if column not in frame.columns:
        raise ModelError(f"China's customs series: no column {column!r}")
    rows = frame.loc[frame["agency"].isin(CHINA_OWN) & (frame["reporter"] == CHINA) & (frame["partner"] == DPRK) & frame[column].notna()]
    period = ["year", "month"] if "month" in frame.columns else ["year"]
    rank = rows["agency"].astype(str).map({a: i for i, a in enumerate(CHINA_OWN)})
    return (rows.assign(_rank=rank.to_numpy()).sort_values([*period, "_rank"], kind="stable")
            .drop_duplicates(period, keep="first").drop(columns="_rank"))


def china_customs(frame: pd.DataFrame, column: str, freq: str) -> pd.Series:
    """China's customs figures for trade with the DPRK: ``freq`` "M" (months observed only, from
    ``trade_monthly``) or "Y" (an unbroken yearly index, missing years NaN, from ``trade_annual``)."""
    rows = china_customs_rows(frame, column)
    if freq == "M":
        idx = pd.PeriodIndex([pd.Period(year=int(y), month=int(m), freq="M") for y, m in zip(rows["year"], rows["month"])], freq="M")
        return pd.Series(rows[column].to_numpy(float), index=idx).sort_index()
    if freq == "Y":
        s = pd.Series(rows[column].to_numpy(float), index=pd.PeriodIndex(rows["year"].astype(int).astype(str), freq="Y")).sort_index()
        if s.empty:
            return s
        return s.reindex(pd.period_range(s.index.min(), s.index.max(), freq="Y"))
    raise ValueError(f"freq must be 'M' or 'Y', not {freq!r}")


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
