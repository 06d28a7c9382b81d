"""Selectors of published rows that the models, the figures and the report share, each written once.

- :func:`china_customs_rows` / :func:`china_customs`: China's own figures for its trade with
  the DPRK, monthly or annual, one column (exports_usd, imports_usd, total_usd): for each
  period the figure of the first compiler in :data:`CHINA_OWN` that gives one (China's customs
  releases, then KITA's and KOTRA's compilations of China's customs data, then China's reports
  to UN Comtrade, then China's commerce ministry). KOTRA's estimates of North Korea's trade
  (reporter PRK) are a different series and never enter.

Light on purpose (pandas only): the figures import it without the model code.
"""

from __future__ import annotations

import pandas as pd

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
