"""``make validate``: check the published tables as users receive them.

Each CSV in data/processed is read with the dtypes its pandera model declares and
validated by that model; then the whole data package is validated by frictionless.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandera.polars as pa
import polars as pl

from .datapackage import PUBLISHED
from .errors import DataError, Issue, IssueLog
from .paths import display
from .rawio import schema_issues

_DTYPES = {"String": pl.String, "Int64": pl.Int64, "Float64": pl.Float64, "Date": pl.Date, "Boolean": pl.Boolean}


def read_published(processed: Path, name: str) -> pl.DataFrame:
    """Read one published CSV with the dtypes of its schema."""
    model = PUBLISHED[name]
    schema = {n: _DTYPES[str(c.dtype)] for n, c in model.to_schema().columns.items()}
    return pl.read_csv(Path(processed) / f"{name}.csv", schema=schema, try_parse_dates=False)


def frictionless_errors(datapackage: Path) -> list[str]:
    from frictionless import Package

    report = Package(str(datapackage)).validate()
    out = []
    for task in report.tasks:
        for err in task.errors:
            out.append(f"{task.name}: {err.message}")
    out.extend(e.message for e in report.errors)
    return out


def validate_processed(processed: Path, progress: Callable[[str], None] = lambda _: None) -> str:
    log = IssueLog()
    for name, model in PUBLISHED.items():
        path = Path(processed) / f"{name}.csv"
        if not path.exists():
            log.add(display(path), None, None, "published table is missing; run `make data`")
            continue
        try:
            frame = read_published(processed, name)
        except Exception as exc:  # polars raises several exception types for malformed CSV
            log.add(display(path), None, None, f"cannot be read with its schema's dtypes ({exc.__class__.__name__}: {exc})")
            continue
        try:
            model.validate(frame, lazy=True)
            progress(f"  {name}: {frame.height} rows valid ({model.__name__})")
        except pa.errors.SchemaErrors as exc:
            log.extend(schema_issues(exc, display(path), None))
    log.raise_if_any()
    errors = frictionless_errors(Path(processed) / "datapackage.json")
    if errors:
        raise DataError([Issue(display(Path(processed) / "datapackage.json"), None, None, f"frictionless: {e}") for e in errors])
    return f"valid: {len(PUBLISHED)} tables and datapackage.json (pandera schemas and frictionless)"
