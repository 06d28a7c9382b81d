"""Defectors arriving in South Korea (ROK Ministry of Unification figures and reports of them).

Raw files in ``data/raw/defectors/``:

- ``arrivals*.csv``: one row per figure per source (annual, half-year, quarterly,
  monthly and pooled spans; by sex where published);
- ``cumulative*.csv``: running totals as reported on given dates;
- ``discrepancies.csv``: documented, explained misses of the consistency checks.

Row rules beyond the schema: a period's span must match its ``freq``; a key appears once
across all files. The arithmetic checks (male + female = all, parts add up to the year,
running totals) are in :mod:`analysis.harmonize`, which knows the documented exceptions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..errors import IssueLog
from ..provenance import raw_files
from ..rawio import RawTable
from ..schemas import ARRIVAL_FREQS, DefectorArrivalObservations, DefectorCumulativeObservations
from .common import check_periods, check_source_links, concat, load
from .discrepancies import Discrepancies, ingest_discrepancies


@dataclass(frozen=True)
class DefectorInputs:
    arrivals: pl.DataFrame
    cumulative: pl.DataFrame
    discrepancies: Discrepancies


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def span_matches_freq(start: dt.date | None, end: dt.date, freq: str) -> bool:
    """A, H, Q and M must be whole calendar periods; P is any span (open start allowed)."""
    if freq == "P":
        return start is None or start <= end
    if start is None or start.day != 1 or start.year != end.year:
        return False
    months = {"A": 12, "H": 6, "Q": 3, "M": 1}[freq]
    if (start.month - 1) % months:
        return False
    return end == _month_end(start.year, start.month + months - 1)


def span_problem(start: dt.date | None, end: dt.date, freq: str):
    """Why a period does not fit its freq (column, rule, found), or None. An unknown freq is the schema's to report."""
    if freq not in ARRIVAL_FREQS:
        return None
    if not span_matches_freq(start, end, freq):
        return "period_end", f"period {start}..{end} is not a whole calendar period of freq {freq} (A year, H half, Q quarter, M month; P any other span)", end
    if freq == "P" and start is not None:
        exact = next((f for f in ("A", "H", "Q", "M") if span_matches_freq(start, end, f)), None)
        if exact:
            return "freq", f"period {start}..{end} is a whole calendar period: use freq {exact}, not P", freq
    return None


def ingest_defectors(raw: Path, known_sources: set[str], log: IssueLog) -> DefectorInputs:
    folder = raw / "defectors"
    arrivals: list[RawTable] = []
    for path in raw_files(folder, "arrivals*.csv"):
        table = load(path, DefectorArrivalObservations, log)
        if table is None:
            continue
        check_source_links(table, known_sources, log)
        check_periods(table, log, span_problem)
        arrivals.append(table)
    cumulative: list[RawTable] = []
    for path in raw_files(folder, "cumulative*.csv"):
        table = load(path, DefectorCumulativeObservations, log)
        if table is None:
            continue
        check_source_links(table, known_sources, log)
        cumulative.append(table)
    _check_duplicates_across(arrivals, ["source_id", "freq", "period_start", "period_end", "sex"], log)
    _check_duplicates_across(cumulative, ["source_id", "as_of", "sex"], log)
    disc = ingest_discrepancies(folder / "discrepancies.csv", known_sources, log)
    return DefectorInputs(concat(arrivals), concat(cumulative), disc)


def _check_duplicates_across(tables: list[RawTable], key: list[str], log: IssueLog) -> None:
    """A key may appear only once across all files of the same kind (within a file the schema checks it)."""
    seen: dict[tuple, str] = {}
    for t in tables:
        for i, k in enumerate(t.frame.select(key).iter_rows()):
            if k in seen and seen[k] != t.name:
                log.add(t.name, t.lines[i], None, f"duplicated key ({', '.join(key)}) also in {seen[k]}", "|".join(map(str, k)))
            seen.setdefault(k, t.name)
