"""The Parquet file ``nkflows ingest-bulk`` writes: the kept rows of bulk files, one row group at a time.

:class:`ExtractWriter` takes rows as the reader finds them, either as a line of a bulk
file (:meth:`~ExtractWriter.add_line`: UTF-8, tab-separated, no line end; split into
the extract's columns only here) or as cells already in the extract's columns
(:meth:`~ExtractWriter.add_cells`). Every row has the 47 API columns (a column the file
does not carry is null; an empty cell is null), ``_file`` and ``_line``; text columns
are ``large_string``, as polars writes and reads them.

Memory: at most one row group of rows waits here. pyarrow (with numpy, which it
imports) takes about a tenth of a second to import, so :class:`ExtractWriter` starts the
import in a thread of its own when it is made; the reader inflates and searches the file
meanwhile, and the first row group waits for the import to end. Column chunks are
written without dictionary pages: on the extract's short row groups of mostly distinct
numbers that is faster to write and, with zstd, no larger.
"""

from __future__ import annotations

import importlib
import threading
from array import array
from pathlib import Path

from .comtrade_layout import FINAL_COLUMNS


def _large_strings(pa, values: list[bytes]):
    """A pyarrow large_string array of UTF-8 ``values`` (an empty one is null), built from its buffers.

    ``pa.array(list)`` would do, but the first time it converts a Python list pyarrow
    imports pandas (to ask whether the list is a pandas object), which takes longer than
    all the rest of the writing. The lengths are read once (``map(len, ...)``); offsets
    and the validity bitmap are numpy arithmetic on them.
    """
    import numpy as np

    n = len(values)
    lengths = np.fromiter(map(len, values), np.int64, n)
    present = lengths > 0
    nulls = n - int(np.count_nonzero(present))
    if nulls == n:
        return pa.nulls(n, pa.large_string())
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    # bit i of the bitmap (little-endian bit order) says whether value i is present
    validity = pa.py_buffer(np.packbits(present, bitorder="little")) if nulls else None
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(values))]
    return pa.Array.from_buffers(pa.large_string(), n, buffers, null_count=nulls)


class _BackgroundImport:
    """Imports a module in a thread of its own, started at once; :meth:`module` waits for it.

    An import that fails raises its error from :meth:`module`, in the caller's thread.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._module = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"import {name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._module = importlib.import_module(self.name)
        except BaseException as exc:  # raised again by module(), in the thread that needs the module
            self._error = exc

    def wait(self) -> None:
        self._thread.join()

    def module(self):
        self.wait()
        if self._error is not None:
            raise self._error
        return self._module


class ExtractWriter:
    """Rows to ``path`` (Parquet, zstd), in row groups of ``row_group_size`` rows."""

    def __init__(self, path: Path | str, row_group_size: int) -> None:
        self.path, self.row_group_size = Path(path), row_group_size
        self.rows = 0  # rows added
        self._waiting = 0  # rows not yet written
        # runs of waiting rows: (name, order, lines) for lines of one file, (None, None, rows) for rows of cells
        self._runs: list[tuple[bytes | None, list[int | None] | None, list]] = []
        self._numbers = array("q")  # _line of each waiting row
        self._name, self._order = b"", [None] * len(FINAL_COLUMNS)
        self._writer = None
        # pyarrow takes a tenth of a second to import: do it now, while the reader inflates
        self._pyarrow = _BackgroundImport("pyarrow.parquet")

    def start_file(self, name: str, header: list[str]) -> None:
        """Rows added with :meth:`add_line` from now on come from the file ``name`` with this header (API spelling)."""
        self._name = name.encode("utf-8")
        position = {c: i for i, c in enumerate(header)}
        self._order = [position.get(c) for c in FINAL_COLUMNS]

    def add_line(self, line_no: int, raw: bytes) -> None:
        """A row of the current file as its line (UTF-8, tab-separated, without its line end, every field there)."""
        if not self._runs or self._runs[-1][0] is not self._name:
            self._runs.append((self._name, self._order, []))
        self._runs[-1][2].append(raw)
        self._added(line_no)

    def add_cells(self, cells: list[str | None]) -> None:
        """A row as its 47 cells (text or None), ``_file`` and ``_line``."""
        if not self._runs or self._runs[-1][0] is not None:
            self._runs.append((None, None, []))
        self._runs[-1][2].append([b"" if c is None else c.encode("utf-8") for c in cells[:-1]])
        self._added(cells[-1])

    def _added(self, line_no: int) -> None:
        self._numbers.append(line_no)
        self.rows += 1
        self._waiting += 1
        if self._waiting >= self.row_group_size:
            self._flush()

    def _columns(self) -> list[list[bytes]]:
        """The waiting rows as 48 columns of UTF-8 cells (b"" for null): the 47 API columns and ``_file``."""
        columns: list[list[bytes]] = [[] for _ in range(len(FINAL_COLUMNS) + 1)]
        for name, order, rows in self._runs:
            if order is None:  # rows of cells, already in the extract's columns
                for column, values in zip(columns, zip(*rows)):
                    column.extend(values)
                continue
            fields = list(zip(*[raw.split(b"\t") for raw in rows]))  # the file's columns
            for column, i in zip(columns, order):
                column.extend(fields[i] if i is not None else [b""] * len(rows))
            columns[-1].extend([name] * len(rows))
        return columns

    def _flush(self) -> None:
        pq = self._pyarrow.module()  # pyarrow.parquet, once the background import is done (or its error)
        import pyarrow as pa

        if self._writer is None:
            self.schema = pa.schema([(c, pa.large_string()) for c in (*FINAL_COLUMNS, "_file")] + [("_line", pa.int64())])
            self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd", use_dictionary=False)
        if self._waiting:
            columns = [_large_strings(pa, values) for values in self._columns()]
            columns.append(pa.Array.from_buffers(pa.int64(), self._waiting, [None, pa.py_buffer(self._numbers)]))
            self._writer.write_table(pa.Table.from_arrays(columns, schema=self.schema), row_group_size=self.row_group_size)
            self._runs, self._numbers, self._waiting = [], array("q"), 0  # the table held the old buffers

    def abort(self) -> None:
        """Stop without completing the file (the caller removes it)."""
        self._pyarrow.wait()  # no import left running while the program ends
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # the file is thrown away; the reader's error is the one to report
                pass

    def close(self) -> None:
        """Write the waiting rows and complete the file (a file with no rows when none were added)."""
        self._flush()
        self._writer.close()
