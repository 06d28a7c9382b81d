"""The Parquet file ``nkflows ingest-bulk`` writes: the kept rows of bulk files, one row group at a time.

:class:`ExtractWriter` takes rows as the reader finds them, either as a line of a bulk
file (:meth:`~ExtractWriter.add_line`: UTF-8, tab-separated, no line end; split into
the extract's columns only here) or as cells already in the extract's columns
(:meth:`~ExtractWriter.add_cells`). Every row has the 47 API columns (a column the file
does not carry is null; an empty cell is null), ``_file`` (text) and ``_line`` (int64).

Memory: at most one row group of rows waits here. The file is written by
:class:`~analysis.ingest.text_parquet.TextParquetWriter`, which needs nothing beyond the
standard library and ISA-L: importing pyarrow's writer took longer than reading a
million-row bulk file.
"""

from __future__ import annotations

from array import array
from pathlib import Path

from .comtrade_layout import FINAL_COLUMNS
from .text_parquet import TextParquetWriter

#: The extract's columns: the 47 API columns and ``_file`` as text, ``_line`` as int64.
COLUMNS = [(c, "text") for c in (*FINAL_COLUMNS, "_file")] + [("_line", "int64")]


class ExtractWriter:
    """Rows to ``path`` (Parquet), in row groups of ``row_group_size`` rows."""

    def __init__(self, path: Path | str, row_group_size: int) -> None:
        self.path, self.row_group_size = Path(path), row_group_size
        self.rows = 0  # rows added
        self._waiting = 0  # rows not yet written
        # runs of waiting rows: (name, order, lines) for lines of one file, (None, None, rows) for rows of cells
        self._runs: list[tuple[bytes | None, list[int | None] | None, list]] = []
        self._numbers = array("q")  # _line of each waiting row
        self._name, self._order = b"", [None] * len(FINAL_COLUMNS)
        self._writer = TextParquetWriter(self.path, COLUMNS)

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
        if self._waiting:
            self._writer.write_row_group([*self._columns(), self._numbers])
            self._runs, self._numbers, self._waiting = [], array("q"), 0

    def abort(self) -> None:
        """Stop without completing the file (the caller removes it)."""
        self._writer.abort()

    def close(self) -> None:
        """Write the waiting rows and complete the file (a file with no rows when none were added)."""
        self._flush()
        self._writer.close()
