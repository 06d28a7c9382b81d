"""Steps every raw table goes through: sidecar check, strict parse, schema rules, source links."""

from __future__ import annotations

from pathlib import Path

import pandera.polars as pa
import polars as pl

from ..errors import IssueLog
from ..rawio import Column, RawTable, read_table, validate_rows
from ..errors import DataError


def columns_of(model: type[pa.DataFrameModel], kinds: dict[str, str] | None = None) -> list[Column]:
    """Declared raw columns from a pandera model: type from its dtype, required unless nullable."""
    kinds = kinds or {}
    out = []
    for name, col in model.to_schema().columns.items():
        dtype = str(col.dtype)
        kind = kinds.get(name) or {"Int64": "int", "Float64": "float", "Date": "date"}.get(dtype, "str")
        out.append(Column(name, kind, required=not col.nullable))  # type: ignore[arg-type]
    return out


def load(path: Path, model: type[pa.DataFrameModel], log: IssueLog) -> RawTable | None:
    """Parse and apply the model's rules. Problems go to ``log``; None if unusable.

    Sidecars are checked once for the whole raw tree (:func:`analysis.provenance.verify_tree`)
    before any table is loaded, so a changed file still stops the build.
    """
    try:
        table = read_table(path, columns_of(model))
    except DataError as exc:
        log.extend(exc.issues)
        return None
    validate_rows(table, model, log)
    return table


def check_source_links(table: RawTable, known: set[str], log: IssueLog, column: str = "source_id") -> None:
    """Every row must cite a source listed in a sources file."""
    for i, sid in enumerate(table.frame[column].to_list()):
        if sid is not None and sid not in known:
            log.add(table.name, table.lines[i], column, "source_id is not listed in any sources.csv (a figure without its source)", sid)


def concat(tables: list[RawTable]) -> pl.DataFrame:
    """Stack parsed tables, keeping each row's origin in ``_file`` and ``_line`` for later messages.

    Columns starting with ``_`` are internal and never published.
    """
    frames = [
        t.frame.with_columns(pl.lit(t.name).alias("_file"), pl.Series("_line", t.lines, dtype=pl.Int64))
        for t in tables
    ]
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames, how="vertical")


def public(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop the internal ``_`` columns."""
    return frame.select([c for c in frame.columns if not c.startswith("_")])


def check_periods(table: RawTable, log: IssueLog, explain) -> None:
    """Apply ``explain(start, end, freq) -> (column, rule, found) | None`` to every row's period."""
    for i, (start, end, freq) in enumerate(table.frame.select("period_start", "period_end", "freq").iter_rows()):
        if end is None or freq is None:
            continue
        problem = explain(start, end, freq)
        if problem:
            column, rule, found = problem
            log.add(table.name, table.lines[i], column, rule, found)
