"""The readers ``nkflows ingest-bulk`` is compared with, each run as its own process.

Each extracts the same rows as :func:`analysis.ingest.comtrade_bulk.ingest_bulk` — those
whose reporterCode or partnerCode, stripped of spaces, reads as the whole number 408 —
keeps every cell as text and writes them to Parquet, then prints ``{"rows_kept": N}``.

- ``pandas``: what a user would write without this package: ``pandas.read_csv`` in
  chunks of 200,000 rows (tab-separated, no quoting, every column as text), filtered
  chunk by chunk and concatenated.
- ``inflate``: the physical floor, not a reader: ISA-L (the ``isal`` package, zlib's
  interface) inflates the file in 8 MB pieces on one core and throws the text away; it
  prints ``{"rows_kept": null, "text_bytes": N}``. ``ingest-bulk`` cannot be faster
  than this on one core; the benchmark reports its speed as a share of it.
- ``duckdb``: DuckDB's CSV reader on the same file (it decompresses ``.gz`` itself),
  the filter in SQL, ``COPY ... TO`` Parquet; DuckDB uses every core it finds.

Run ``python -m bench.contenders {inflate,pandas,duckdb} FILE OUT.parquet``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

CHUNK_ROWS = 200_000


def pandas_extract(path: Path, out: Path) -> int:
    import csv

    import pandas as pd

    def is_dprk(col: pd.Series) -> pd.Series:
        return pd.to_numeric(col.str.strip(), errors="coerce") == 408

    parts = []
    for chunk in pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_values=[""],
                             quoting=csv.QUOTE_NONE, chunksize=CHUNK_ROWS):
        parts.append(chunk[is_dprk(chunk["reporterCode"]) | is_dprk(chunk["partnerCode"])])
    kept = pd.concat(parts, ignore_index=True)
    kept.to_parquet(out, index=False)
    return len(kept)


def duckdb_extract(path: Path, out: Path) -> int:
    import duckdb

    con = duckdb.connect()
    src = str(path).replace("'", "''")
    dst = str(out).replace("'", "''")
    con.execute(f"""
        COPY (
            SELECT * FROM read_csv('{src}', delim = '\t', header = true, all_varchar = true,
                                   quote = '', escape = '')
            WHERE TRY_CAST(trim(reporterCode) AS BIGINT) = 408
               OR TRY_CAST(trim(partnerCode) AS BIGINT) = 408
        ) TO '{dst}' (FORMAT parquet)
    """)
    return con.execute(f"SELECT count(*) FROM read_parquet('{dst}')").fetchone()[0]


def inflate_only(path: Path) -> int:
    """Inflate ``path`` with ISA-L on one core and discard the text; return its size in bytes.

    It reads with ISA-L's gzip reader (:class:`isal.igzip.IGzipFile`) in pieces of 4 MiB, the
    fastest way this machine has to inflate a gzip file on one core (about a quarter faster
    than feeding ``isal_zlib.decompressobj``), and the way ``ingest-bulk`` inflates: the bar is
    the fastest inflating, not a slower one.
    """
    from isal import igzip

    n = 0
    with igzip.IGzipFile(path, "rb") as gz:
        while piece := gz.read(4 << 20):
            n += len(piece)
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tool", choices=["inflate", "pandas", "duckdb"])
    p.add_argument("file", type=Path)
    p.add_argument("out", type=Path)
    a = p.parse_args(argv)
    if a.tool == "inflate":
        print(json.dumps({"rows_kept": None, "text_bytes": inflate_only(a.file)}))
        return 0
    n = (pandas_extract if a.tool == "pandas" else duckdb_extract)(a.file, a.out)
    print(json.dumps({"rows_kept": n}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
