"""Defections of North Korean nationals stationed abroad: ``data/raw/defections_abroad/``.

- ``incidents.csv``: one row per known defection or attempt per source
  (``incident_id,date,date_precision,host,people,group,outcome,source_id,reported_as,note``);
  two sources of one incident share its ``incident_id``, so each can be read on its own;
- ``sources.csv``: the pages read (same columns as every other sources file).

Row rules beyond the schema (group and outcome lists, people at least 1 or empty, host
an ISO 3166 alpha-3 country): a date at month precision is the first of its month, at
year precision January 1. The rows of one incident may disagree (date, host, group,
people, outcome): each row is what its source printed, and both stay, as in every table;
the trade-off analysis counts the incident once (:func:`analysis.models.tradeoff.incidents`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import IssueLog
from ..paths import display
from ..schemas import DefectionsAbroadObservations
from .common import check_source_links, concat, load

FOLDER = "defections_abroad"


def check_incidents(frame: pl.DataFrame, name: str, lines: list[int], log: IssueLog) -> None:
    for i, row in enumerate(frame.iter_rows(named=True)):
        date, precision = row["date"], row["date_precision"]
        if date is not None and (precision == "month" and date.day != 1 or precision == "year" and (date.month, date.day) != (1, 1)):
            log.add(name, lines[i], "date", f"a date at {precision} precision must be the first day of its {precision}", date)


def ingest_defections_abroad(raw: Path, known_sources: set[str], log: IssueLog) -> pl.DataFrame:
    path = raw / FOLDER / "incidents.csv"
    if not path.exists():
        log.add(display(path), None, None, "file is missing: defections from abroad are part of the dataset")
        return pl.DataFrame()
    table = load(path, DefectionsAbroadObservations, log)
    if table is None:
        return pl.DataFrame()
    check_source_links(table, known_sources, log)
    check_incidents(table.frame, table.name, table.lines, log)
    return concat([table])
