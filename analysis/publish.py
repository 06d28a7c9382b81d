"""Writing published tables: validated first, then written as one set with
:func:`analysis.files.write_set` (beside the old set, switched in at once), with
``manifest.json`` (every file's SHA-256) written last. A file whose bytes do not change
keeps its timestamp, so ``make`` does not rebuild what did not change."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandera.polars as pa
import polars as pl

from .errors import IssueLog
from .files import file_mode, write_atomic, write_set  # noqa: F401 - write_atomic is imported from here by figures and report
from .rawio import schema_issues

MANIFEST = "manifest.json"


def _no_negative_zero(frame: pl.DataFrame) -> pl.DataFrame:
    """``-0.0`` published as ``0.0`` (adding +0.0 turns -0.0 into 0.0 and leaves every other value as it is)."""
    floats = [c for c, t in frame.schema.items() if t in (pl.Float64, pl.Float32)]
    return frame.with_columns([pl.col(c) + 0.0 for c in floats]) if floats else frame


def csv_bytes(frame: pl.DataFrame) -> bytes:
    frame = _no_negative_zero(frame)
    buf = io.BytesIO()
    frame.write_csv(buf, line_terminator="\n", date_format="%Y-%m-%d")
    return buf.getvalue()


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    frame = _no_negative_zero(frame)
    buf = io.BytesIO()
    frame.write_parquet(buf, compression="zstd", statistics=False)
    return buf.getvalue()


def validate_published(tables: dict[str, pl.DataFrame], models: dict[str, type[pa.DataFrameModel]], where: str) -> None:
    """Apply each published table's model; raise one DataError listing every failure."""
    log = IssueLog()
    for name, frame in tables.items():
        try:
            models[name].validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            log.extend(schema_issues(exc, f"{where}/{name}.csv", None))
    log.raise_if_any()


def manifest_bytes(files: dict[str, bytes]) -> bytes:
    """The set's manifest: every file's size and SHA-256, by name (written last, so a set with a
    manifest that matches its files is a whole set)."""
    entries = {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in sorted(files.items())}
    return (json.dumps({"format": "nkflows-manifest-1", "files": entries}, indent=2) + "\n").encode("utf-8")


def write_tables(out: Path, files: dict[str, bytes]) -> list[Path]:
    """Write every prepared file (names relative to ``out``) and the manifest as one set; return those that changed.
    Rendering happens before any write."""
    return write_set(Path(out), files, last=(MANIFEST, manifest_bytes(files)))
