"""The Parquet writer of ``nkflows ingest-bulk``, run as its own process.

``ingest-bulk`` reads a bulk file on one core; importing the Parquet library (pyarrow,
a good part of a second) would otherwise wait until the reading is done. So the writer
is started first, as ``python -m analysis.ingest.comtrade_extract_writer OUT
ROW_GROUP_SIZE``: it imports pyarrow (only pyarrow: polars is not needed to write) on
the other core while the file is read, then takes the kept rows on its standard input
and writes them to ``OUT`` one row group at a time.

Input: one message per line, told apart by its first byte.

- ``F`` and a JSON object ``{"file": NAME, "header": [COLUMN, ...]}``: the rows that
  follow come from the file ``NAME`` whose columns are ``header`` (API spelling, in the
  file's order).
- ``R``, the row's line number, a tab, then the row's line as in the file (UTF-8,
  tab-separated, without its line end): a row of the current file. Splitting it into the
  extract's columns happens here, so the reading process spends no time on it.
- ``J`` and a JSON array: a row already in the extract's columns (the 47 cells, text or
  null, then ``_file`` and ``_line``).

Every row has the 47 API columns (a column the file does not carry is null; an empty
cell is null), ``_file`` and ``_line``. An empty input writes a file with no rows. Exit
status 0 when ``OUT`` is complete; anything else means the caller must not use it.
"""

from __future__ import annotations

import json
import os
import sys
from array import array
from itertools import accumulate

from .comtrade_layout import FINAL_COLUMNS


def _large_strings(pa, values: list[bytes]):
    """A pyarrow large_string array of UTF-8 ``values`` (an empty one is null), built from its buffers.

    ``pa.array(list)`` would do, but the first time it converts a Python list pyarrow
    imports pandas (to ask whether the list is a pandas object), which takes longer than
    all the rest of this process.
    """
    n = len(values)
    nulls = values.count(b"")
    if nulls == n:
        return pa.nulls(n, pa.large_string())
    offsets = array("q", accumulate(map(len, values), initial=0))
    validity = None
    if nulls:  # bit i of the bitmap (little-endian) says whether value i is present
        bits = int("".join(["1" if v else "0" for v in reversed(values)]), 2)
        validity = pa.py_buffer(bits.to_bytes((n + 7) // 8, "little"))
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(values))]
    return pa.Array.from_buffers(pa.large_string(), n, buffers, null_count=nulls)


def main(argv: list[str] | None = None) -> int:
    out, row_group_size = (argv or sys.argv[1:])[:2]
    row_group_size = int(row_group_size)
    import pyarrow as pa
    import pyarrow.parquet as pq

    # text columns as large_string, as polars writes and reads them
    schema = pa.schema([(c, pa.large_string()) for c in (*FINAL_COLUMNS, "_file")] + [("_line", pa.int64())])
    writer = pq.ParquetWriter(out, schema, compression="zstd")
    rows: list[list[bytes]] = []  # the cells of each row as UTF-8 (b"" for null), then _file
    numbers = array("q")  # _line of each row
    name, order = b"", [None] * len(FINAL_COLUMNS)
    width = len(FINAL_COLUMNS) + 1

    def flush() -> None:
        nonlocal numbers
        if rows:
            columns = [_large_strings(pa, [r[i] for r in rows]) for i in range(width)]
            columns.append(pa.Array.from_buffers(pa.int64(), len(numbers), [None, pa.py_buffer(numbers)]))
            writer.write_table(pa.Table.from_arrays(columns, schema=schema), row_group_size=row_group_size)
            rows.clear()
            numbers = array("q")  # the table holds the old one

    for line in sys.stdin.buffer:
        kind, body = line[:1], line[1:].rstrip(b"\n")
        if kind == b"R":
            number, _, raw = body.partition(b"\t")
            cells = raw.split(b"\t")
            rows.append([b"" if i is None else cells[i] for i in order] + [name])
            numbers.append(int(number))
        elif kind == b"J":
            cells = json.loads(body)
            rows.append([b"" if c is None else c.encode("utf-8") for c in cells[:-1]])
            numbers.append(cells[-1])
        elif kind == b"F":
            info = json.loads(body)
            name = info["file"].encode("utf-8")
            position = {c: i for i, c in enumerate(info["header"])}
            order = [position.get(c) for c in FINAL_COLUMNS]
            continue
        else:
            raise ValueError(f"unknown message {kind!r}")
        if len(rows) >= row_group_size:
            flush()
    flush()
    writer.close()
    return 0


if __name__ == "__main__":
    status = main()
    sys.stderr.flush()
    # the file is complete and closed; skip tearing down pyarrow's thread pools and modules
    os._exit(status)
