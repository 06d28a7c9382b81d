"""Read a raw CSV table strictly, with a declared column list.

Benign variations are normalized: a UTF-8 byte-order mark, spaces around cells and
header names, thousands separators in integer columns (``2,914`` -> 2914). Everything
else that is off is reported as an :class:`~analysis.errors.Issue` naming the file, the
line, the column and the rule: an empty file, a truncated one (cut inside a character,
or whose last line has no line break), a file that is not UTF-8 or holds NUL bytes,
missing, unknown or duplicated columns, a row with the wrong number of fields, a
required cell left empty, and a cell that does not parse as its column's type.

Numbers are written with ASCII digits only (a full-width or Arabic-Indic digit is
refused, and the message says so); a whole number outside 64 bits or a number too large
to be finite is a data error, never ``inf``; ``-0`` is read as ``0``. Text cells may not
hold control characters or bidirectional-override characters (which would make a title or
URL display differently from what it is). The file is read only if it is a regular file,
opened without blocking, and only up to :data:`MAX_FILE_BYTES`; a field longer than
:data:`MAX_FIELD_CHARS` characters is refused. A quote that is never closed is reported
at the line where it opens.

Range, category and uniqueness rules are not checked here: they belong to the
table's pandera schema (:mod:`analysis.schemas`), which :func:`validate_rows` applies
and maps back to file lines.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import polars as pl
import pandera.polars as pa

from .errors import DataError, Issue, IssueLog
from .paths import display

Kind = Literal["str", "int", "float", "date"]

_POLARS = {"str": pl.String, "int": pl.Int64, "float": pl.Float64, "date": pl.Date}
_INT = re.compile(r"^[+-]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)$")
_FLOAT = re.compile(r"^[+-]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]+)?$|^[+-]?\.[0-9]+$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
#: Characters refused in any text cell: C0 and C1 controls (tab and line breaks included; a cell is one
#: line) and the bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
INT64 = (-(2**63), 2**63 - 1)
#: A raw file larger than this is refused before it is parsed (the largest raw table is well under 1 MB).
MAX_FILE_BYTES = 64 * 1024 * 1024
#: A CSV field longer than this is refused (the longest note is a few hundred characters).
MAX_FIELD_CHARS = 100_000


@dataclass(frozen=True)
class Column:
    """One declared column of a raw table. ``required`` means an empty cell is an error."""

    name: str
    kind: Kind = "str"
    required: bool = True


@dataclass(frozen=True)
class RawTable:
    """A parsed raw table: typed frame, and for each row the line it came from."""

    path: Path
    frame: pl.DataFrame
    lines: list[int]

    @cached_property
    def name(self) -> str:
        return display(self.path)


def _ascii_digits(text: str) -> None:
    odd = [c for c in text if c.isdigit() and not c.isascii()]
    if odd:
        raise ValueError(f"numbers must be written with ASCII digits 0-9 (found the non-ASCII digit {odd[0]!r}, U+{ord(odd[0]):04X})")


def _parse_cell(text: str, kind: Kind) -> object:
    if kind == "str":
        bad = _FORBIDDEN.search(text)
        if bad:
            ch = bad.group()
            kind_of = "a bidirectional-override character" if ord(ch) >= 0x202A else "a control character"
            raise ValueError(f"text must not contain {kind_of} (U+{ord(ch):04X} at character {bad.start() + 1})")
        return text
    if kind in ("int", "float", "date"):
        _ascii_digits(text)
    if kind == "int":
        if not _INT.match(text):
            raise ValueError("must be a whole number (ASCII digits 0-9, optional thousands commas)")
        value = int(text.replace(",", ""))
        if not INT64[0] <= value <= INT64[1]:
            raise ValueError(f"whole number out of range: must lie within +/-{INT64[1]:,} (64-bit)")
        return value
    if kind == "float":
        if not _FLOAT.match(text):
            raise ValueError("must be a number (ASCII digits 0-9, optional thousands commas and decimal point)")
        value = float(text.replace(",", ""))
        if not math.isfinite(value):
            raise ValueError("number is too large to be represented (not finite)")
        return value + 0.0  # -0 is read as 0
    if kind == "date":
        if not _DATE.match(text):
            raise ValueError("must be an ISO 8601 date (YYYY-MM-DD)")
        try:
            return dt.date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"must be a real calendar date ({exc})") from None
    raise AssertionError(f"unknown column kind {kind}")  # programming error, not input


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if exc.end == len(data) and "unexpected end" in exc.reason:
            raise DataError([Issue(name, line, None, "file ends inside a character: it is truncated")]) from None
        raise DataError([Issue(name, line, None, "file must be UTF-8 encoded", repr(data[exc.start:exc.start + 4]))]) from None


_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFSOCK: "a socket",
          stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device", stat.S_IFLNK: "a symbolic link"}


def file_kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def read_bounded(path: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes; otherwise a :class:`DataError`
    naming the file. Opened without blocking, so a named pipe or device cannot hang the read."""
    name = display(path)
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise DataError([Issue(name, None, None, "file does not exist")]) from None
    except OSError as exc:
        raise DataError([Issue(name, None, None, f"file cannot be opened ({exc.strerror})")]) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DataError([Issue(name, None, None, f"raw files must be regular files; this is {file_kind(info.st_mode)}")])
        if info.st_size > limit:
            raise DataError([Issue(name, None, None, f"file is {info.st_size:,} bytes; raw files are read up to {limit:,} bytes")])
        chunks, total = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise DataError([Issue(name, None, None, f"file grew past {limit:,} bytes while being read")])
        return b"".join(chunks)
    except OSError as exc:
        raise DataError([Issue(name, None, None, f"file cannot be read ({exc.strerror})")]) from None
    finally:
        os.close(fd)


def read_table(path: Path, columns: list[Column]) -> RawTable:
    """Parse ``path`` against ``columns``; raise :class:`DataError` listing every problem."""
    name = display(path)
    data = read_bounded(Path(path))
    if not data.strip():
        raise DataError([Issue(name, None, None, "file is empty: a raw table needs a header and at least one row")])
    text = _decode(data, name)
    if "\x00" in text:
        raise DataError([Issue(name, text[: text.index("\x00")].count("\n") + 1, None, "file contains NUL bytes: not a text CSV file")])
    if not text.endswith(("\n", "\r")):
        raise DataError([Issue(name, text.count("\n") + 1, None, "last line does not end with a line break: the file is truncated "
                               "(if it is complete, end it with a line break)")])
    log = IssueLog()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    done = 0  # the last line of the last record read whole
    previous = csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        header = [h.strip() for h in next(reader)]
        done = reader.line_num
        for record in reader:
            start, done = done + 1, reader.line_num  # a record is named by the line it starts on
            if not any(cell.strip() for cell in record):
                continue  # blank line
            rows.append((start, record))
    except csv.Error as exc:
        message = str(exc)
        if "field larger than field limit" in message:
            raise DataError([Issue(name, done + 1, None, f"a field is longer than {MAX_FIELD_CHARS:,} characters (the limit of one cell)")]) from None
        if "unexpected end of data" in message:
            raise DataError([Issue(name, done + 1, None, "a quoted field opens on this line and is never closed (unbalanced '\"')")]) from None
        if reader.line_num > done + 1:
            raise DataError([Issue(name, done + 1, None, f"malformed CSV ({exc}) in the record that starts on this line and runs to "
                                   f"line {reader.line_num}: is a quote unbalanced?")]) from None
        raise DataError([Issue(name, done + 1, None, f"malformed CSV ({exc})")]) from None
    finally:
        csv.field_size_limit(previous)

    declared = [c.name for c in columns]
    seen: set[str] = set()
    for h in header:
        if h in seen:
            log.add(name, 1, h, "column appears twice in the header")
        seen.add(h)
    for c in declared:
        if c not in header:
            log.add(name, 1, c, f"required column is missing (expected columns: {', '.join(declared)})")
    for h in header:
        if h not in declared:
            log.add(name, 1, h or "(blank)", f"unknown column (expected columns: {', '.join(declared)})")
    log.raise_if_any()
    if not rows:
        raise DataError([Issue(name, None, None, "file has a header but no data rows")])

    position = {h: i for i, h in enumerate(header)}
    values: dict[str, list[object]] = {c.name: [] for c in columns}
    lines: list[int] = []
    for line, record in rows:
        if len(record) != len(header):
            log.add(name, line, None, f"row has {len(record)} fields but the header has {len(header)}; is the file truncated or a comma unquoted?")
            continue
        lines.append(line)
        for col in columns:
            cell = record[position[col.name]].strip()
            if cell == "":
                if col.required:
                    log.add(name, line, col.name, "value is required")
                values[col.name].append(None)
                continue
            try:
                values[col.name].append(_parse_cell(cell, col.kind))
            except ValueError as exc:
                log.add(name, line, col.name, str(exc), cell)
                values[col.name].append(None)
    log.raise_if_any()
    frame = pl.DataFrame(values, schema={c.name: _POLARS[c.kind] for c in columns}, strict=True)
    return RawTable(Path(path), frame, lines)


def validate_rows(table: RawTable, model: type[pa.DataFrameModel], log: IssueLog) -> None:
    """Apply a pandera model to a raw table and log each failure at its file line."""
    try:
        model.validate(table.frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        log.extend(schema_issues(exc, table.name, table.lines))


def _short(check: str, limit: int = 160) -> str:
    """A check as a message shows it: a long list of allowed values is cut, with the count."""
    if len(check) <= limit or not check.startswith("isin("):
        return check
    n = check.count(",") + 1
    return f"{check[:limit].rsplit(',', 1)[0]}, ... ({n} allowed values; see datapackage.json)])"


def schema_issues(exc: "pa.errors.SchemaErrors", name: str, lines: list[int] | None) -> list[Issue]:
    """Turn pandera's failure cases into issues; ``lines`` maps row index to file line."""
    issues = []
    for case in exc.failure_cases.iter_rows(named=True):
        index = case.get("index")
        line = None
        if index is not None:
            line = lines[index] if lines is not None else index + 2
        column = case.get("column")
        rule = f"breaks schema rule {_short(str(case.get('check')))}"
        if case.get("schema_context") == "DataFrameSchema":
            rule = f"breaks table rule {case.get('check')}"
            column = None
        issues.append(Issue(name, line, column, rule, case.get("failure_case")))
    return issues
