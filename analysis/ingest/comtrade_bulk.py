"""UN Comtrade bulk files of any size -> the North Korea rows, in bounded memory.

- :func:`scan_bulk`: a polars lazy frame of the rows of bulk files (tab-separated
  ``.txt`` or comma-separated ``.csv``, plain or ``.gz``) whose reporterCode or
  partnerCode is 408, every cell as text, in the 47 columns of the API layout (columns a
  bulk file does not carry are null).
- :func:`ingest_bulk` (``nkflows ingest-bulk``): the same rows written to Parquet, with
  ``_file`` and ``_line``, streaming. :func:`analysis.ingest.comtrade.read_bulk_extract`
  then applies the strict record rules to them.

Headers are read by column name (:func:`_check_header`): the 34-column layout of the
files the bulk endpoint serves and the 47-column API layout are both accepted, in any
column order; every missing, repeated or unknown column is named. CRLF line ends are
accepted; a line longer than :data:`MAX_LINE` stops the read with an error, so memory
stays bounded whatever the file holds.

How the rows are found
----------------------
A bulk file holds millions of records of which well under 1% concern North Korea, so a
tab-separated file is not parsed record by record
(:func:`analysis.ingest.linescan.candidate_lines`):

1. a thread inflates the file with ISA-L in pieces of several megabytes of text (ISA-L
   lets the other thread run meanwhile);
2. this thread checks each piece in one pass of compiled code
   (:mod:`analysis.ingest._linescan`; numpy where it was not built): its line breaks
   (line numbers, progress), its tabs (every row must have the header's number of
   fields, so a damaged file fails), every line's length, and the places where ``408``
   stands as a whole number in a cell;
3. only the lines holding such a ``408`` are split; a line is kept when its reporterCode
   or partnerCode cell reads as 408 (:func:`_extract_tsv`, the rule :func:`scan_bulk`
   applies), and handed as it is to :class:`~analysis.ingest.comtrade_extract_writer.ExtractWriter`,
   which writes Parquet one row group at a time with the standard library
   (:mod:`analysis.ingest.text_parquet`: importing pyarrow took longer than reading a
   million-row file).

Timings and memory, against inflating alone, pandas and DuckDB, come from ``make bench``
and are kept in ``docs/performance.md``, not here.

Notes on polars kept from earlier measurements: ``scan_csv`` reads ``.gz`` lazily when
given a path; passing an open ``gzip.GzipFile`` makes polars read it all, so paths are
passed, never file objects. A filter that keeps few rows leaves each kept string a
*view* into the chunk it came from, so the sink's buffered rows pinned whole chunks and
memory grew with the file; :func:`scan_bulk` copies the kept strings (``concat_str``
with ``""``) to keep it flat.

For tab-separated files this module imports neither numpy, pyarrow, polars, pandas nor
pandera (polars only for comma-separated files), so the command starts quickly.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from collections.abc import Callable, Iterable

from ..errors import DataError, Issue
from ..paths import display
from .comtrade_extract_writer import ExtractWriter
from .comtrade_layout import DPRK, FINAL_COLUMNS, KNOWN, OPTIONAL, REQUIRED, canonical

#: The longest line (header or row) a bulk file may have. Real rows are about 150 bytes
#: (bulk layout) or 350 bytes (API layout); a longer line means a damaged file, and
#: reading it whole would take unbounded memory.
MAX_LINE = 1 << 20


def _separator(path: Path) -> str:
    stem = path.name[:-3] if path.name.endswith(".gz") else path.name
    if stem.endswith(".csv"):
        return ","
    if stem.endswith((".txt", ".tsv")):
        return "\t"
    raise DataError([Issue(display(path), None, None, "bulk file must end in .txt, .tsv or .csv (optionally .gz): UN Comtrade bulk files are tab-separated .txt")])


def _read_header(path: Path, sep: str) -> list[str]:
    """The header's names as written (quotes and spaces stripped, CR/LF removed)."""
    name = display(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            first = fh.readline(MAX_LINE + 1)
    except FileNotFoundError:
        raise DataError([Issue(name, None, None, "file does not exist")]) from None
    except (OSError, EOFError) as exc:
        raise DataError([Issue(name, 1, None, f"cannot read the header ({exc}); is the gzip file truncated or not gzip?")]) from None
    if len(first) > MAX_LINE:
        raise DataError([Issue(name, 1, None, f"header line is longer than {MAX_LINE:,} bytes: not a UN Comtrade bulk file (its header is under 1,000 bytes)")])
    if not first.strip():
        raise DataError([Issue(name, None, None, "file is empty: a bulk file needs a header and rows")])
    try:
        header = first.decode("utf-8-sig").rstrip("\r\n").split(sep)
    except UnicodeDecodeError:
        raise DataError([Issue(name, 1, None, "header is not UTF-8 text")]) from None
    return [h.strip().strip('"') for h in header]


def _check_header(path: Path, header: list[str]) -> list[str]:
    """Check a header by column name; return the names in the API's spelling.

    Accepted: the 34-column bulk layout, the 47-column API layout, or any order of their
    columns, as long as every required column (:data:`~analysis.ingest.comtrade_layout.REQUIRED`)
    is there once. Every problem is named: a column that appears twice (``CIFValue``
    and ``cifvalue`` are the same column), an unknown column, a missing required one.
    """
    name = display(path)
    issues = []
    names = [canonical(h) for h in header]
    seen: dict[str, int] = {}
    for pos, (written, h) in enumerate(zip(header, names), 1):
        if h in seen:
            issues.append(Issue(name, 1, written or "(blank)", f"column appears twice in the header (columns {seen[h]} and {pos})"))
            continue
        seen[h] = pos
        if h not in KNOWN:
            issues.append(Issue(name, 1, written or "(blank)", f"unknown column {pos}: a final-data file has the {len(REQUIRED)} required columns "
                                f"and may have {', '.join(OPTIONAL)}"))
    for c in REQUIRED:
        if c not in seen:
            issues.append(Issue(name, 1, c, "required column is missing from the header"))
    if issues:
        raise DataError(issues)
    return names


def _to_final(present: list[str]) -> list[pl.Expr]:
    import polars as pl

    """Select the 47 API columns (absent descriptive ones as null text) from a frame named in API spelling."""
    return [pl.col(c) if c in present else pl.lit(None, dtype=pl.String).alias(c) for c in FINAL_COLUMNS]


def _is_dprk(col: str) -> pl.Expr:
    import polars as pl

    return pl.col(col).str.strip_chars().cast(pl.Int64, strict=False) == DPRK


def scan_bulk(paths: Iterable[Path | str], on_batch: Callable[[int], None] | None = None) -> pl.LazyFrame:
    """A lazy frame of the rows of ``paths`` whose reporterCode or partnerCode is 408.

    Every column is text exactly as in the file (empty cells are null), plus ``_file`` and
    ``_line`` (1-based line in the file; the header is line 1). Headers are checked now
    (:class:`DataError` naming the file, line 1 and the column); the rows are read when
    the frame is collected or sunk. ``on_batch(n)`` is called with the size of each batch
    scanned, before the filter, so a caller can report progress.
    """
    import polars as pl

    frames = []
    for p in paths:
        path = Path(p)
        sep = _separator(path)
        header = _check_header(path, _read_header(path, sep))
        lf = pl.scan_csv(
            path, separator=sep, has_header=True, infer_schema=False,
            quote_char=None if sep == "\t" else '"', row_index_name="_row",
            missing_columns="raise", raise_if_empty=True, new_columns=header,
        )
        schema = lf.collect_schema()
        if on_batch is not None:
            def _tick(df: pl.DataFrame, _cb=on_batch) -> pl.DataFrame:
                _cb(df.height)
                return df
            # predicate_pushdown=False keeps the filter below from running inside the scan,
            # so the callback sees every row; streamable=True keeps it batch by batch.
            lf = lf.map_batches(_tick, streamable=True, predicate_pushdown=False,
                                projection_pushdown=False, schema=schema)
        lf = (
            lf.filter(_is_dprk("reporterCode") | _is_dprk("partnerCode"))
            # copy the kept strings out of the chunk buffers they point into (see module docstring)
            .with_columns([pl.concat_str([pl.col(c).str.strip_suffix("\r"), pl.lit("")]).alias(c) for c in header])
            .select(
                *_to_final(header),
                pl.lit(display(path), dtype=pl.String).alias("_file"),
                (pl.col("_row").cast(pl.Int64) + 2).alias("_line"),
            )
        )
        frames.append(lf)
    if not frames:
        raise DataError([Issue("(no files)", None, None, "no bulk files given")])
    return pl.concat(frames, how="vertical")


class _Progress:
    """Rows and bytes processed, on stderr, at most once a second."""

    def __init__(self, enabled: bool, total_bytes: int) -> None:
        self.enabled, self.total_bytes = enabled, total_bytes
        self.rows = 0  # data rows of the files done
        self.rows_file = 0  # data rows of the file being read
        self.bytes_done = 0  # bytes (as stored) of the files done
        self.bytes_file = 0  # bytes (as stored) of the file being read
        self.last = 0.0
        self.label = ""

    def batch(self, n: int) -> None:
        self.at(self.rows_file + n, self.bytes_file)

    def at(self, rows: int, stored_bytes: int) -> None:
        self.rows_file, self.bytes_file = rows, stored_bytes
        now = time.monotonic()
        if self.enabled and now - self.last >= 1.0:
            self.last = now
            self.emit()

    def file_done(self, size: int) -> None:
        self.rows += self.rows_file
        self.bytes_done += size
        self.rows_file = self.bytes_file = 0
        self.emit(" (file done)")

    def emit(self, note: str = "") -> None:
        if self.enabled:
            print(
                f"comtrade bulk: {self.label} {self.rows + self.rows_file:,} rows scanned, "
                f"{self.bytes_done + self.bytes_file:,}/{self.total_bytes:,} bytes of input done{note}",
                file=sys.stderr, flush=True,
            )


_INTEGER = re.compile(rb"^\s*[+-]?\d+\s*$")


def _code_is(cell: bytes, code: int) -> bool:
    """The rule of :func:`_is_dprk` on raw bytes: the cell, stripped of spaces, reads as the whole number ``code``."""
    return bool(_INTEGER.match(cell)) and int(cell) == code


def _extract_tsv(path: Path, header: list[str], out: ExtractWriter, prog: _Progress) -> None:
    """Add the DPRK rows of one tab-separated bulk file to ``out``, reading only the candidate lines.

    :func:`~analysis.ingest.linescan.candidate_lines` keeps the lines whose reporterCode
    or partnerCode cell contains the text ``408`` (a cell whose value is 408 always does);
    each is split into cells and kept when either code, stripped of spaces, reads as the
    whole number 408 (:func:`_code_is`, the rule :func:`scan_bulk` applies), so the rows
    kept are the rows :func:`scan_bulk` keeps, cell for cell: text as in the file, an
    empty cell is null, the CR of a CRLF line end is not part of the last cell.
    """
    from .linescan import candidate_lines

    name = display(path)
    codes = (header.index("reporterCode"), header.index("partnerCode"))
    dprk = str(DPRK).encode()
    out.start_file(name, header)
    for found in candidate_lines(path, dprk, len(header), codes, max_line=MAX_LINE):
        prog.at(found.lines_scanned - 1, found.bytes_read)
        if not found.lines:
            continue
        for line_no, raw in zip(found.lines, found.text.split(b"\n")):
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            cells = raw.split(b"\t")
            rep, par = cells[codes[0]], cells[codes[1]]
            if not (rep == dprk or par == dprk or _code_is(rep, DPRK) or _code_is(par, DPRK)):
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                for cell in cells:  # name the cell's byte, as a reader of the row would see it
                    try:
                        cell.decode("utf-8")
                    except UnicodeDecodeError as err:
                        raise DataError([Issue(name, line_no, None, f"row is not UTF-8 text ({err.reason} at byte {err.start} of its cell)")]) from None
            out.add_line(line_no, raw)


def _extract_csv(path: Path, out: ExtractWriter, prog: _Progress, work: Path) -> None:
    """Add the DPRK rows of one comma-separated bulk file to ``out``, through :func:`scan_bulk`."""
    import pyarrow.parquet as pq

    part = work / "part.parquet"
    scan_bulk([path], on_batch=prog.batch).sink_parquet(part, row_group_size=out.row_group_size)
    import polars as pl

    for batch in pq.ParquetFile(part).iter_batches(batch_size=out.row_group_size):
        for row in pl.from_arrow(batch).iter_rows():
            out.add_cells(list(row))
    part.unlink()


def ingest_bulk(paths: Iterable[Path | str], out_path: Path | str, progress: bool = True,
                row_group_size: int = 2_000) -> dict[str, int]:
    """Stream bulk files and write their DPRK rows (reporter or partner 408) to ``out_path`` (Parquet).

    Tab-separated files (``.txt``/``.tsv``, the format UN Comtrade serves, plain or
    ``.gz``) are searched line by line for the text ``408`` and only those lines are
    parsed (:func:`_extract_tsv`); comma-separated files, whose quoted cells may hold
    line breaks, go through :func:`scan_bulk`. Both keep the same rows, in file order.
    Memory stays bounded as the files grow: a few inflated chunks, the candidate lines
    of one chunk and one row group of kept rows.
    The output is written to a temporary file beside ``out_path`` and renamed into place,
    so a failure leaves any earlier ``out_path`` as it was. Returns counts: files,
    bytes (of the input files as stored), rows_scanned and rows_kept.
    """
    paths = [Path(p) for p in paths]
    out_path = Path(out_path)
    headers = []
    for p in paths:  # fail on any header before writing anything
        headers.append(_check_header(p, _read_header(p, _separator(p))))
    total = sum(p.stat().st_size for p in paths)
    prog = _Progress(progress, total)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_path.name}.", dir=out_path.parent))
    try:
        tmp = work / "out.parquet"
        out = ExtractWriter(tmp, row_group_size)
        try:
            _extract_all(paths, headers, out, prog, work)
        except BaseException:
            out.abort()
            raise
        out.close()
        kept = out.rows
        os.replace(tmp, out_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    prog.label = "done:"
    prog.emit(f", {kept:,} DPRK rows kept -> {display(out_path)}")
    return {"files": len(paths), "bytes": total, "rows_scanned": prog.rows, "rows_kept": kept}


def _extract_all(paths: list[Path], headers: list[list[str]], out: ExtractWriter, prog: _Progress, work: Path) -> None:
    """Read each file into ``out``; a read error becomes a :class:`DataError` naming the file."""
    for i, (p, header) in enumerate(zip(paths, headers), 1):
        prog.label = f"[{i}/{len(paths)}] {p.name}:"
        try:
            if _separator(p) == "\t":
                _extract_tsv(p, header, out, prog)
            else:
                _extract_csv(p, out, prog, work)
        except (OSError, EOFError) as exc:
            raise DataError([Issue(display(p), None, None, f"cannot read the bulk file ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); is it truncated?")]) from None
        except Exception as exc:  # a polars error on the comma-separated path
            if type(exc).__module__.split(".")[0] != "polars":
                raise
            raise DataError([Issue(display(p), None, None, f"cannot read the bulk file ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); is it truncated, or are some rows ragged?")]) from None
        prog.file_done(p.stat().st_size)

