"""Trade figures: ``data/raw/trade/flows*.csv`` (one row per figure per source, as published)
and UN Comtrade's figures in ``data/raw/comtrade/`` (:mod:`analysis.ingest.comtrade_snapshots`).

Row rules beyond the schema: A and M periods are whole calendar years and months; a YTD
period runs from January 1 to the end of a month of the same year.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from ..errors import IssueLog
from ..provenance import raw_files
from ..schemas import TRADE_FREQS, TradeFlowObservations
from .common import check_periods, check_source_links, concat, load
from .comtrade_snapshots import ingest_comtrade
from .defectors import span_matches_freq
from .discrepancies import Discrepancies, ingest_discrepancies


def period_ok(start: dt.date, end: dt.date, freq: str) -> bool:
    if freq in ("A", "M"):
        return span_matches_freq(start, end, freq)
    # YTD: January 1 to the last day of a month, same year
    return (start.month, start.day) == (1, 1) and end.year == start.year and span_matches_freq(dt.date(end.year, end.month, 1), end, "M")


def period_problem(start: dt.date | None, end: dt.date, freq: str):
    if start is None or freq not in TRADE_FREQS or period_ok(start, end, freq):
        return None
    return "period_end", f"period {start}..{end} does not fit freq {freq} (A whole year, M whole month, YTD January 1 to a month end)", end


def ingest_trade(raw: Path, known_sources: set[str], log: IssueLog) -> tuple[pl.DataFrame, Discrepancies]:
    tables = []
    for path in raw_files(raw / "trade", "flows*.csv"):
        table = load(path, TradeFlowObservations, log)
        if table is None:
            continue
        check_source_links(table, known_sources, log)
        check_periods(table, log, period_problem)
        tables.append(table)
    disc = ingest_discrepancies(raw / "trade" / "discrepancies.csv", known_sources, log)
    flows = concat(tables)
    comtrade = ingest_comtrade(raw, known_sources, log)
    if comtrade.height:
        flows = pl.concat([flows, comtrade.select(flows.columns)], how="vertical") if flows.height else comtrade
    return flows, disc
