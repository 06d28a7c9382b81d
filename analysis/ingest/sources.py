"""The sources registry: every ``sources*.csv`` under ``data/raw/<dataset>/``.

A source may be listed in several datasets' registries (one article can report both
trade and defection figures); the listings must then agree field for field.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from ..errors import IssueLog
from ..provenance import raw_files
from ..schemas import Sources
from .common import load


def source_files(raw: Path) -> list[Path]:
    return [p for d in sorted(raw.iterdir()) if d.is_dir() for p in raw_files(d, "sources*.csv")]


def _check_dates(published: str | None, accessed: dt.date | None, name: str, line: int, log: IssueLog) -> None:
    """A full publication date must exist on the calendar, and a page cannot be read before it was published."""
    if not published or len(published) != 10:
        return
    try:
        day = dt.date.fromisoformat(published)
    except ValueError as exc:
        log.add(name, line, "published", f"must be a real calendar date ({exc})", published)
        return
    if accessed is not None and accessed < day:
        log.add(name, line, "accessed", f"a page cannot be read before it was published ({published})", accessed)


def ingest_sources(raw: Path, log: IssueLog) -> pl.DataFrame:
    """All sources, one row per source_id, sorted by source_id."""
    tables = [t for t in (load(p, Sources, log) for p in source_files(raw)) if t is not None]
    first_seen: dict[str, tuple[tuple, str, int]] = {}
    urls: dict[str, str] = {}
    rows = []
    for t in tables:
        for i, row in enumerate(t.frame.iter_rows()):
            sid = row[0]
            if sid in first_seen:
                prior, where, line = first_seen[sid]
                if prior != row:
                    log.add(t.name, t.lines[i], "source_id", f"source is listed again with different details (first at {where}, line {line}); listings must agree", sid)
                continue
            first_seen[sid] = (row, t.name, t.lines[i])
            _check_dates(row[4], row[5], t.name, t.lines[i], log)
            url = row[3]
            if url in urls:
                log.add(t.name, t.lines[i], "url", f"the same page is already listed as source {urls[url]!r}; one page, one source_id", url)
            urls.setdefault(url, sid)
            rows.append(row)
    if not tables:
        return pl.DataFrame()
    return pl.DataFrame(rows, schema=tables[0].frame.schema, orient="row").sort("source_id")
