"""The Parquet writer of ``nkflows ingest-bulk``, run as its own process.

``ingest-bulk`` reads a bulk file on one core; importing the Parquet library (pyarrow,
a good part of a second) would otherwise wait until the reading is done. So the writer
is started first, as ``python -m analysis.ingest.comtrade_extract_writer OUT
ROW_GROUP_SIZE``: it imports pyarrow (only pyarrow: polars is not needed to write) on
the other core while the file is read, then takes the kept rows on its standard input
and writes them to ``OUT`` one row group at a time.

Input: one JSON array per line, the 47 cells (text or null) followed by ``_file`` and
``_line``. An empty input writes a file with no rows. Exit status 0 when ``OUT`` is
complete; anything else means the caller must not use it.
"""

from __future__ import annotations

import json
import sys

from .comtrade_layout import FINAL_COLUMNS


def main(argv: list[str] | None = None) -> int:
    out, row_group_size = (argv or sys.argv[1:])[:2]
    row_group_size = int(row_group_size)
    import pyarrow as pa
    import pyarrow.parquet as pq

    # text columns as large_string, as polars writes and reads them
    schema = pa.schema([(c, pa.large_string()) for c in (*FINAL_COLUMNS, "_file")] + [("_line", pa.int64())])
    writer = pq.ParquetWriter(out, schema, compression="zstd")
    rows: list[list] = []

    def flush() -> None:
        if rows:
            columns = [pa.array([r[i] for r in rows], type=f.type) for i, f in enumerate(schema)]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema), row_group_size=row_group_size)
            rows.clear()

    for line in sys.stdin.buffer:
        rows.append(json.loads(line))
        if len(rows) >= row_group_size:
            flush()
    flush()
    writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
