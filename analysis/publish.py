"""Writing published tables: validated first, then each file written to a temporary
name and renamed into place, and only when its bytes change (so timestamps mean something
and ``make`` does not rebuild what did not change)."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pandera.polars as pa
import polars as pl

from .errors import IssueLog
from .rawio import schema_issues


def csv_bytes(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_csv(buf, line_terminator="\n", date_format="%Y-%m-%d")
    return buf.getvalue()


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_parquet(buf, compression="zstd", statistics=False)
    return buf.getvalue()


def file_mode() -> int:
    """The mode a plain ``open()`` would give a new file under the current umask (0644 under 022).

    ``tempfile.mkstemp`` creates its file 0600 whatever the umask; a built file renamed from it
    would stay unreadable to others, so :func:`write_atomic` sets this mode before the rename.
    """
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` via a temporary file in the same folder; False if unchanged.

    The file gets the mode the umask allows (:func:`file_mode`), as any other new file would.
    """
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        if path.stat().st_mode & 0o777 != file_mode():  # written by an older build with mkstemp's 0600
            path.chmod(file_mode())
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def validate_published(tables: dict[str, pl.DataFrame], models: dict[str, type[pa.DataFrameModel]], where: str) -> None:
    """Apply each published table's model; raise one DataError listing every failure."""
    log = IssueLog()
    for name, frame in tables.items():
        try:
            models[name].validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            log.extend(schema_issues(exc, f"{where}/{name}.csv", None))
    log.raise_if_any()


def write_tables(files: dict[Path, bytes]) -> list[Path]:
    """Write every prepared file; return those that changed. Rendering happens before any write."""
    return [p for p, data in sorted(files.items()) if write_atomic(p, data)]

