"""UN Comtrade snapshots in ``data/raw/comtrade/`` -> ``trade_flows`` observations (agency COMTRADE).

The build reads three kinds of file from the folder, each with its provenance sidecar:

- ``*.json``: a saved final-data API response (what ``nkflows fetch comtrade`` writes),
  read strictly by :func:`analysis.ingest.comtrade.read_api_json`;
- ``*.txt`` / ``*.txt.gz`` / ``*.tsv``: a bulk file or an extract of one (either layout),
  read by :func:`analysis.ingest.comtrade.read_bulk_file`;
- ``recorded_values*.csv``: figures read from recorded Comtrade answers kept in public
  repositories, where the recording holds a few fields of each record rather than the
  whole response (one row per record: freqCode, period, reporterCode, partnerCode,
  flowCode, cmdCode, primaryValue as printed), checked by the same rules: the flow code
  must be one of Comtrade's, the area codes in its reference list, the value a finite
  decimal.

A JSON or bulk snapshot names the source it belongs to in its sidecar (``source_id``);
a recorded-values row names it in its own ``source_id`` column. Every figure becomes a
``trade_flows`` row from the reporter's view with the HS code as ``commodity``, agency
``COMTRADE``, so it forms its own series and is never mixed with China's customs figures
as reported in the press (GACC) or compiled by KITA.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import pandera.polars as pa
import polars as pl

from ..errors import DataError, IssueLog
from ..paths import display
from ..provenance import raw_files, read_sidecar
from ..schemas import SOURCE_ID, TradeFlowObservations
from .common import check_source_links, concat, load
from .comtrade import COUNTRIES, read_api_json, read_bulk_file, records_to_flows
from .comtrade_layout import AREA_CODES, FLOW_CODES

#: A finite decimal as Comtrade prints it (no thousands separators, no inf/nan).
_DECIMAL = re.compile(r"^\d+(\.\d+)?$")


class ComtradeRecordedValues(pa.DataFrameModel):
    """Raw table: Comtrade records as recorded elsewhere, a few fields each (data/raw/comtrade/recorded_values*.csv)."""

    source_id: str = pa.Field(str_matches=SOURCE_ID, description="The recording the figure was read from (see sources).")
    freqCode: str = pa.Field(isin=["A", "M"], description="A annual, M monthly.")
    period: str = pa.Field(str_matches=r"^(19|20)\d{2}(0[1-9]|1[0-2])?$", description="YYYY (annual) or YYYYMM (monthly).")
    reporterCode: int = pa.Field(ge=0, isin=sorted(AREA_CODES), description="Comtrade area code of the reporter.")
    partnerCode: int = pa.Field(ge=0, isin=sorted(AREA_CODES), description="Comtrade area code of the partner.")
    flowCode: str = pa.Field(isin=list(FLOW_CODES), description="M import, X export, RM re-import, RX re-export.")
    cmdCode: str = pa.Field(str_matches=r"^(TOTAL|\d{2}(\d{2}){0,2})$", description="TOTAL or an HS code of 2, 4 or 6 digits.")
    primaryValue: str = pa.Field(str_matches=_DECIMAL.pattern, description="US dollars as printed in the recording (a finite decimal).")
    note: Optional[str] = pa.Field(nullable=True, description="The query the record answered, and remarks.")

    class Config:
        name = "comtrade_recorded_values"
        strict = True
        ordered = True
        coerce = False
        unique = ["source_id", "freqCode", "period", "reporterCode", "partnerCode", "flowCode", "cmdCode"]


def _recorded_to_records(table: pl.DataFrame) -> pl.DataFrame:
    """Recorded values in the shape :func:`records_to_flows` takes (the fields it reads)."""
    return table.select(
        pl.col("freqCode"),
        pl.col("period").str.slice(0, 4).cast(pl.Int64).alias("refYear"),
        pl.when(pl.col("freqCode") == "A").then(pl.lit(52, dtype=pl.Int64))
        .otherwise(pl.col("period").str.slice(4, 2).cast(pl.Int64, strict=False)).alias("refMonth"),
        pl.col("reporterCode"), pl.col("partnerCode"), pl.col("flowCode"), pl.col("cmdCode"),
        pl.lit("HS").alias("classificationSearchCode"),
        pl.lit("HS (version not recorded); figure from a recorded answer").alias("classificationCode"),
        pl.lit("C00").alias("customsCode"), pl.lit(0, dtype=pl.Int64).alias("motCode"),
        pl.lit(0, dtype=pl.Int64).alias("partner2Code"),
        pl.col("primaryValue").cast(pl.Float64).alias("primaryValue"),
        pl.col("primaryValue").alias("_primaryValue_text"),
        pl.col("flowCode").replace_strict({"M": "Import", "X": "Export", "RM": "Re-import", "RX": "Re-export"}).alias("flowDesc"),
        pl.col("_file"), pl.col("_line"), pl.col("source_id"),
    )


def ingest_comtrade(raw: Path, known_sources: set[str], log: IssueLog) -> pl.DataFrame:
    """Every Comtrade figure under ``raw/comtrade`` as trade_flows observations (with ``_file``, ``_line``)."""
    folder = raw / "comtrade"
    if not folder.is_dir():
        return pl.DataFrame()
    frames: list[pl.DataFrame] = []
    for path in raw_files(folder, "recorded_values*.csv"):
        before = len(log.issues)
        table = load(path, ComtradeRecordedValues, log)
        if table is None or len(log.issues) > before:
            continue  # the build stops on these issues; nothing is mapped from a file that broke a rule
        check_source_links(table, known_sources, log)
        stacked = concat([table])
        for sid in sorted(set(stacked["source_id"])):
            part = stacked.filter(pl.col("source_id") == sid)
            frames.append(_flows(_recorded_to_records(part), sid, log))
    for pattern in ("*.json", "*.txt", "*.txt.gz", "*.tsv", "*.tsv.gz"):
        for path in raw_files(folder, pattern):
            meta = read_sidecar(path, IssueLog()) or {}
            sid = meta.get("source_id")
            if not isinstance(sid, str) or sid not in known_sources:
                log.add(display(path), None, "source_id", "a Comtrade snapshot's sidecar must name its source (source_id, listed in a sources.csv, such as data/raw/trade/sources.csv)", sid)
                continue
            try:
                records = read_api_json(path) if path.name.endswith(".json") else read_bulk_file(path)
            except DataError as exc:
                log.extend(exc.issues)
                continue
            frames.append(_flows(records, sid, log))
    frames = [f for f in frames if f.height]
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames, how="vertical")


def _flows(records: pl.DataFrame, source_id: str, log: IssueLog) -> pl.DataFrame:
    """records_to_flows, keeping each row's file and line for later messages."""
    try:
        flows = records_to_flows(records, source_id, keep_origin=True)
    except DataError as exc:
        log.extend(exc.issues)
        return pl.DataFrame()
    return flows


__all__ = ["ComtradeRecordedValues", "COUNTRIES", "ingest_comtrade"]
