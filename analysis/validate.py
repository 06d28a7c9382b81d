"""``make validate``: check the published tables as users receive them.

First the set: ``manifest.json`` (written last by the build) must list every published
file with the SHA-256 it has, so a set mixed from two builds, or cut short, is refused.
Each CSV in data/processed is then read with the dtypes its pandera model declares and
validated by that model; the tables are checked against each other (every value a
conflict lists is in the table it names, from the source it names); then the whole data
package is validated by frictionless.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Callable

import pandera.polars as pa
import polars as pl

from .datapackage import PUBLISHED
from .errors import DataError, Issue, IssueLog
from .files import recover
from .paths import display
from .rawio import schema_issues

_DTYPES = {"String": pl.String, "Int64": pl.Int64, "Float64": pl.Float64, "Date": pl.Date, "Boolean": pl.Boolean}


def read_published(processed: Path, name: str, data: bytes | None = None) -> pl.DataFrame:
    """Read one published CSV with the dtypes of its schema (from ``data`` when its bytes were already read)."""
    model = PUBLISHED[name]
    schema = {n: _DTYPES[str(c.dtype)] for n, c in model.to_schema().columns.items()}
    source = io.BytesIO(data) if data is not None else Path(processed) / f"{name}.csv"
    return pl.read_csv(source, schema=schema, try_parse_dates=False)


def frictionless_errors(datapackage: Path) -> list[str]:
    from frictionless import Package

    report = Package(str(datapackage)).validate()
    out = []
    for task in report.tasks:
        for err in task.errors:
            out.append(f"{task.name}: {err.message}")
    out.extend(e.message for e in report.errors)
    return out


def check_manifest(processed: Path, log: IssueLog) -> int:
    """Every file the manifest lists is there with its hash, and every published table is listed; return how many."""
    processed = Path(processed)
    path = processed / "manifest.json"
    name = display(path)
    if not path.is_file():
        log.add(name, None, None, "the set has no manifest (written last by `nkflows build`): it was not written as one "
                "set or was cut short; run `nkflows build`")
        return 0
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
        files = manifest["files"]
        if not isinstance(files, dict):
            raise TypeError("'files' is not an object")
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        log.add(name, None, None, f"manifest is not readable ({exc.__class__.__name__}: {exc}); run `nkflows build`")
        return 0
    for table in PUBLISHED:
        for suffix in (".csv", ".parquet"):
            if f"{table}{suffix}" not in files:
                log.add(name, None, None, f"manifest does not list {table}{suffix}: the set is not whole")
    for rel, entry in sorted(files.items()):
        target = processed / rel
        if "/" in rel or rel.startswith(".") or not isinstance(entry, dict):
            log.add(name, None, None, "manifest entry is not a file name of the set", rel)
            continue
        if not target.is_file():
            hint = " (Parquet files are built, not committed: run `nkflows build`)" if rel.endswith(".parquet") else ""
            log.add(display(target), None, None, f"listed in manifest.json but missing{hint}")
            continue
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        if digest != entry.get("sha256"):
            log.add(display(target), None, None, "SHA-256 differs from manifest.json: the file is not the one this set was "
                    f"built with (a mixed or altered set); run `nkflows build` (expected {str(entry.get('sha256'))[:12]}..., "
                    f"found {digest[:12]}...)")
    return len(files)


#: The column that holds the figure in each table whose conflicts list figures by source.
_FIGURE = {"defector_arrivals": "arrivals", "trade_flows": "value", "labor_workers": "value"}


def _same(a: str, b: object) -> bool:
    try:
        return float(a) == float(b)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return a == str(b)


def check_conflicts(tables: dict[str, pl.DataFrame], log: IssueLog, where: str) -> int:
    """Every value a ``sources_disagree`` conflict lists is in its table, under its key, from its source."""
    conflicts = tables["conflicts"]
    n = 0
    for i, row in enumerate(conflicts.iter_rows(named=True)):
        table = row["table"]
        if row["conflict_type"] != "sources_disagree" or table not in tables:
            continue
        frame = tables[table]
        figure = _FIGURE.get(table)
        parts = [p.split("=", 1) for p in (row["key"] or "").split(";") if "=" in p]
        if figure is None or figure not in frame.columns or any(k not in frame.columns for k, _ in parts):
            continue
        n += 1
        cond = pl.lit(True)
        for k, v in parts:
            col = pl.col(k).cast(pl.String)
            cond = cond & (col.is_null() if v == "" else (col == v))
        rows = frame.filter(cond).select(figure, "source_id").rows()
        value, source = row["value"], row["source_id"]
        if row.get("basis", "reported") != "reported" or source is None:
            continue  # a value computed from the series, not printed by a source
        if not any(s == source and _same(value, f) for f, s in rows):
            log.add(where, i + 2, "value", f"conflict lists {value} from {source} under {row['key']}, "
                    f"but {table} has no such figure: the tables are not from one build")
    return n


def validate_processed(processed: Path, progress: Callable[[str], None] = lambda _: None) -> str:
    log = IssueLog()
    recover(Path(processed))
    listed = check_manifest(processed, log)  # its problems are reported with the tables' own, not instead of them
    tables: dict[str, pl.DataFrame] = {}
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
            tables[name] = frame
            progress(f"  {name}: {frame.height} rows valid ({model.__name__})")
        except pa.errors.SchemaErrors as exc:
            log.extend(schema_issues(exc, display(path), None))
    log.raise_if_any()
    checked = check_conflicts(tables, log, display(Path(processed) / "conflicts.csv"))
    log.raise_if_any()
    errors = frictionless_errors(Path(processed) / "datapackage.json")
    if errors:
        raise DataError([Issue(display(Path(processed) / "datapackage.json"), None, None, f"frictionless: {e}") for e in errors])
    return (f"valid: {len(PUBLISHED)} tables and datapackage.json (pandera schemas and frictionless), {listed} files matching "
            f"manifest.json, {checked} conflicts' values found in their tables")
