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

from .comtrade_layout import FINAL_COLUMNS


def _large_strings(pa, values: list[str | None]):
    """A pyarrow large_string array of ``values``, built from its buffers.

    ``pa.array(list)`` would do, but the first time it converts a Python list pyarrow
    imports pandas (to ask whether the list is a pandas object), which takes longer than
    all the rest of this process.
    """
    offsets = array("q", [0])
    data = bytearray()
    valid = bytearray((len(values) + 7) // 8)
    nulls = 0
    for i, v in enumerate(values):
        if v is None:
            nulls += 1
        else:
            data += v.encode("utf-8")
            valid[i >> 3] |= 1 << (i & 7)
        offsets.append(len(data))
    buffers = [pa.py_buffer(bytes(valid)) if nulls else None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(bytes(data))]
    return pa.Array.from_buffers(pa.large_string(), len(values), buffers, null_count=nulls)


def main(argv: list[str] | None = None) -> int:
    out, row_group_size = (argv or sys.argv[1:])[:2]
    row_group_size = int(row_group_size)
    import pyarrow as pa
    import pyarrow.parquet as pq

    # text columns as large_string, as polars writes and reads them
    schema = pa.schema([(c, pa.large_string()) for c in (*FINAL_COLUMNS, "_file")] + [("_line", pa.int64())])
    writer = pq.ParquetWriter(out, schema, compression="zstd")
    rows: list[list] = []
    name, order = None, [None] * len(FINAL_COLUMNS)

    def flush() -> None:
        if rows:
            columns = [_large_strings(pa, [r[i] for r in rows]) for i in range(len(schema) - 1)]
            columns.append(pa.Array.from_buffers(pa.int64(), len(rows), [None, pa.py_buffer(array("q", [r[-1] for r in rows]).tobytes())]))
            writer.write_table(pa.Table.from_arrays(columns, schema=schema), row_group_size=row_group_size)
            rows.clear()

    for line in sys.stdin.buffer:
        kind, body = line[:1], line[1:].rstrip(b"\n")
        if kind == b"R":
            number, _, raw = body.partition(b"\t")
            cells = raw.decode("utf-8").split("\t")
            rows.append([None if i is None or cells[i] == "" else cells[i] for i in order] + [name, int(number)])
        elif kind == b"J":
            rows.append(json.loads(body))
        elif kind == b"F":
            info = json.loads(body)
            name = info["file"]
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
