"""Dated events: sanctions, border controls, high-profile defections, leadership changes.

Raw file: ``data/raw/events/events.csv``. Each event has a ``short_title`` (at most 28
characters): the label every chart marks it with. Row rules beyond the schema: a date at month
precision is the first of its month, at year precision January 1. A public date may
come after the event (a defection revealed weeks later) or before it (a ban announced
before it takes effect).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from iso3166 import countries_by_alpha3

from ..errors import IssueLog
from ..paths import display
from ..provenance import raw_files
from ..schemas import Events, EventSources
from .common import check_source_links, concat, load


def ingest_event_sources(raw: Path, events: pl.DataFrame, known_sources: set[str], log: IssueLog) -> pl.DataFrame:
    """``events_reported_as.csv``: each event's dating pages with the date as printed.

    Every event must have exactly one primary row, citing the same source as the event.
    """
    path = raw / "events" / "events_reported_as.csv"
    if not path.exists():
        log.add(display(path), None, None, "file is missing: every event's date needs its evidence (the date as printed)")
        return pl.DataFrame()
    table = load(path, EventSources, log)
    if table is None:
        return pl.DataFrame()
    check_source_links(table, known_sources, log)
    cited = dict(zip(events["event_id"].to_list(), events["source_id"].to_list())) if not events.is_empty() else {}
    primaries: dict[str, int] = {}
    for i, row in enumerate(table.frame.iter_rows(named=True)):
        if row["event_id"] not in cited:
            log.add(table.name, table.lines[i], "event_id", "event_id is not in events.csv", row["event_id"])
            continue
        if row["role"] == "primary":
            primaries[row["event_id"]] = primaries.get(row["event_id"], 0) + 1
            if row["source_id"] != cited[row["event_id"]]:
                log.add(table.name, table.lines[i], "source_id", f"the primary evidence must cite the event's own source ({cited[row['event_id']]})", row["source_id"])
    for event_id in sorted(cited):
        if primaries.get(event_id, 0) != 1:
            log.add(table.name, None, "role", f"event {event_id!r} needs exactly one primary row (the date as printed in its source); found {primaries.get(event_id, 0)}")
    return concat([table]).sort("event_id", "role", "source_id")


def ingest_events(raw: Path, known_sources: set[str], log: IssueLog) -> pl.DataFrame:
    tables = []
    paths = raw_files(raw / "events", "events.csv") if (raw / "events").is_dir() else []
    if not paths:
        log.add(display(raw / "events"), None, None, "no events.csv found: the events table is required (models take intervention dates from it)")
    for path in paths:
        table = load(path, Events, log)
        if table is None:
            continue
        check_source_links(table, known_sources, log)
        for i, row in enumerate(table.frame.iter_rows(named=True)):
            unknown = [c for c in (row["countries"] or "").split(";") if c and c not in countries_by_alpha3]
            if unknown:
                log.add(table.name, table.lines[i], "countries", f"not an ISO 3166 alpha-3 country code: {', '.join(unknown)}", row["countries"])
            date, precision = row["date"], row["date_precision"]
            if date is None:
                continue
            if precision == "month" and date.day != 1 or precision == "year" and (date.month, date.day) != (1, 1):
                log.add(table.name, table.lines[i], "date", f"a date at {precision} precision must be the first day of its {precision}", date)
        tables.append(table)
    events = concat(tables)
    if events.is_empty():
        return events
    return events.sort("date", "event_id")
