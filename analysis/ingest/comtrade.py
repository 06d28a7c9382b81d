"""UN Comtrade final data: saved API responses and bulk files -> ``trade_flows`` observations.

Two raw formats, one record layout
----------------------------------
UN Comtrade's final-data records have 47 fields (:data:`FINAL_COLUMNS`). The list and its
order were checked against a recorded response of the live ``/data/v1/get/C/A/HS``
endpoint kept as a test fixture in the rOpenSci comtradr package
(``ropensci/comtradr``, ``tests/testthat/goods/comtradeapi.un.org/data/v1/get/C/A/HS-60a6ad.json``:
top-level ``elapsedTime``, ``count``, ``data``, ``error``), and against code that calls
``comtradeapicall.getFinalData`` and lists the same 47 columns. comtradeapicall 1.3.2
itself does not name the columns: ``getFinalData`` returns ``json_normalize(response['data'])``.

- :func:`read_api_json` parses a saved response, the JSON object with a ``data`` list.
- :func:`scan_bulk` / :func:`ingest_bulk` (in :mod:`analysis.ingest.comtrade_bulk`,
  re-exported here) stream bulk files (tab-separated ``.txt`` or comma-separated
  ``.csv``, plain or ``.gz``) in the bulk endpoint's 34-column layout or the API's
  47-column layout (read by column name), keep the rows where
  North Korea (M49 408) is reporter or partner, and write them to Parquet as text,
  exactly as in the file, with ``_file`` and ``_line``. The column list and 408 live in
  :mod:`analysis.ingest.comtrade_layout`.
  :func:`read_bulk_extract` then applies the same strict rules as :func:`read_api_json`.
- :func:`records_to_flows` maps validated records to
  :class:`analysis.schemas.TradeFlowObservations` rows.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Callable, Optional

import pandera.polars as pa
import polars as pl

from ..errors import DataError, Issue, IssueLog
from ..paths import display
from ..rawio import schema_issues
from ..schemas import SOURCE_ID, TradeFlowObservations
from .comtrade_bulk import ingest_bulk, scan_bulk  # noqa: F401 - part of this module's interface
from .comtrade_layout import AREA_CODES, BULK_COLUMNS, DESCRIPTIVE, DPRK, FINAL_COLUMNS, FLOW_CODES  # noqa: F401 - part of this module's interface

# ----------------------------------------------------------------------------- layout
#: A record's identity: two records with the same values here are the same figure.
RECORD_KEY: tuple[str, ...] = (
    "typeCode", "freqCode", "period", "reporterCode", "partnerCode", "flowCode",
    "cmdCode", "customsCode", "motCode", "partner2Code",
)

#: M49 codes the project uses -> (ISO3 used in trade_flows, ISO code Comtrade prints, Comtrade's name).
#: Checked against UN Comtrade's partner reference table, partnerAreas.json (the file
#: ``comtradeapicall.getReference('partner')`` downloads from comtradeapi.un.org/files/v1/app/reference/;
#: read from the stored copy in sashakrasnov/uncomtrade, partnerAreas.json @084154f2):
#: "408" "Dem. People's Rep. of Korea", "156" "China", "410" "Rep. of Korea",
#: "643" "Russian Federation", "0" "World". The recorded live response in ropensci/comtradr
#: (see module docstring) prints reporterCode 156 as reporterISO "CHN" and code 0 as "W00";
#: trade_flows writes the world as WLD (schemas.TradeFlowObservations.partner).
COUNTRIES: dict[int, tuple[str, str, str]] = {
    0: ("WLD", "W00", "World"),
    156: ("CHN", "CHN", "China"),
    408: ("PRK", "PRK", "Dem. People's Rep. of Korea"),
    410: ("KOR", "KOR", "Rep. of Korea"),
    643: ("RUS", "RUS", "Russian Federation"),
}

_KNOWN_CODES = ", ".join(f"{c} {v[0]}" for c, v in sorted(COUNTRIES.items()))

# Kind and nullability of each field, as the API prints it (JSON types of the recorded response).
_STR, _INT, _FLOAT, _BOOL = "str", "int", "float", "bool"
_SPEC: dict[str, tuple[str, bool]] = {
    "typeCode": (_STR, False), "freqCode": (_STR, False), "refPeriodId": (_INT, False),
    "refYear": (_INT, False), "refMonth": (_INT, False), "period": (_STR, False),
    "reporterCode": (_INT, False), "reporterISO": (_STR, True), "reporterDesc": (_STR, True),
    "flowCode": (_STR, False), "flowDesc": (_STR, True),
    "partnerCode": (_INT, False), "partnerISO": (_STR, True), "partnerDesc": (_STR, True),
    "partner2Code": (_INT, False), "partner2ISO": (_STR, True), "partner2Desc": (_STR, True),
    "classificationCode": (_STR, False), "classificationSearchCode": (_STR, False),
    "isOriginalClassification": (_BOOL, True),
    "cmdCode": (_STR, False), "cmdDesc": (_STR, True), "aggrLevel": (_INT, True), "isLeaf": (_BOOL, True),
    "customsCode": (_STR, False), "customsDesc": (_STR, True), "mosCode": (_STR, True),
    "motCode": (_INT, False), "motDesc": (_STR, True),
    "qtyUnitCode": (_INT, True), "qtyUnitAbbr": (_STR, True), "qty": (_FLOAT, True), "isQtyEstimated": (_BOOL, True),
    "altQtyUnitCode": (_INT, True), "altQtyUnitAbbr": (_STR, True), "altQty": (_FLOAT, True),
    "isAltQtyEstimated": (_BOOL, True),
    "netWgt": (_FLOAT, True), "isNetWgtEstimated": (_BOOL, True),
    "grossWgt": (_FLOAT, True), "isGrossWgtEstimated": (_BOOL, True),
    "cifvalue": (_FLOAT, True), "fobvalue": (_FLOAT, True), "primaryValue": (_FLOAT, False),
    "legacyEstimationFlag": (_INT, True), "isReported": (_BOOL, True), "isAggregate": (_BOOL, True),
}
assert tuple(_SPEC) == FINAL_COLUMNS
_POLARS = {_STR: pl.String, _INT: pl.Int64, _FLOAT: pl.Float64, _BOOL: pl.Boolean}
RECORD_SCHEMA: dict[str, pl.DataType] = {c: _POLARS[k] for c, (k, _) in _SPEC.items()}


class ComtradeRecords(pa.DataFrameModel):
    """UN Comtrade final-data records (C = goods; A annual or M monthly), one row per record."""

    typeCode: str = pa.Field(isin=["C", "S"], description="C goods, S services.")
    freqCode: str = pa.Field(isin=["A", "M"], description="A annual, M monthly.")
    refPeriodId: int = pa.Field(ge=19000101, le=21001231, description="First day of the period as YYYYMMDD.")
    refYear: int = pa.Field(ge=1950, le=2100, description="Year of the period.")
    refMonth: int = pa.Field(isin=[*range(1, 13), 52], description="Month 1-12; 52 for an annual record.")
    period: str = pa.Field(str_matches=r"^\d{4}(0[1-9]|1[0-2])?$", description="YYYY (annual) or YYYYMM (monthly).")
    reporterCode: int = pa.Field(isin=sorted(AREA_CODES), description="Comtrade area code of the reporter.")
    reporterISO: Optional[str] = pa.Field(nullable=True)
    reporterDesc: Optional[str] = pa.Field(nullable=True)
    flowCode: str = pa.Field(isin=list(FLOW_CODES), description="M import, X export, RM re-import, RX re-export.")
    flowDesc: Optional[str] = pa.Field(nullable=True)
    partnerCode: int = pa.Field(isin=sorted(AREA_CODES), description="Comtrade area code of the partner; 0 World.")
    partnerISO: Optional[str] = pa.Field(nullable=True)
    partnerDesc: Optional[str] = pa.Field(nullable=True)
    partner2Code: int = pa.Field(ge=0, le=999, description="Second partner (consignment); 0 World.")
    partner2ISO: Optional[str] = pa.Field(nullable=True)
    partner2Desc: Optional[str] = pa.Field(nullable=True)
    classificationCode: str = pa.Field(str_length={"min_value": 1})
    classificationSearchCode: str = pa.Field(str_length={"min_value": 1})
    isOriginalClassification: Optional[bool] = pa.Field(nullable=True)
    cmdCode: str = pa.Field(str_matches=r"^(TOTAL|[0-9A-Z]{1,12})$", description="Commodity code; TOTAL for all commodities.")
    cmdDesc: Optional[str] = pa.Field(nullable=True)
    aggrLevel: Optional[int] = pa.Field(nullable=True, ge=0, le=12)
    isLeaf: Optional[bool] = pa.Field(nullable=True)
    customsCode: str = pa.Field(str_length={"min_value": 1}, description="Customs procedure; C00 total.")
    customsDesc: Optional[str] = pa.Field(nullable=True)
    mosCode: Optional[str] = pa.Field(nullable=True)
    motCode: int = pa.Field(ge=0, description="Mode of transport; 0 total.")
    motDesc: Optional[str] = pa.Field(nullable=True)
    qtyUnitCode: Optional[int] = pa.Field(nullable=True)
    qtyUnitAbbr: Optional[str] = pa.Field(nullable=True)
    qty: Optional[float] = pa.Field(nullable=True)
    isQtyEstimated: Optional[bool] = pa.Field(nullable=True)
    altQtyUnitCode: Optional[int] = pa.Field(nullable=True)
    altQtyUnitAbbr: Optional[str] = pa.Field(nullable=True)
    altQty: Optional[float] = pa.Field(nullable=True)
    isAltQtyEstimated: Optional[bool] = pa.Field(nullable=True)
    netWgt: Optional[float] = pa.Field(nullable=True)
    isNetWgtEstimated: Optional[bool] = pa.Field(nullable=True)
    grossWgt: Optional[float] = pa.Field(nullable=True)
    isGrossWgtEstimated: Optional[bool] = pa.Field(nullable=True)
    cifvalue: Optional[float] = pa.Field(nullable=True, ge=0)
    fobvalue: Optional[float] = pa.Field(nullable=True, ge=0)
    primaryValue: float = pa.Field(ge=0, description="US dollars: FOB for exports, CIF for imports.")
    legacyEstimationFlag: Optional[int] = pa.Field(nullable=True)
    isReported: Optional[bool] = pa.Field(nullable=True)
    isAggregate: Optional[bool] = pa.Field(nullable=True)

    class Config:
        name = "comtrade_records"
        strict = True
        ordered = True
        coerce = False
        unique = list(RECORD_KEY)


# ------------------------------------------------------------------------ cell parsing
class _Int(int):
    """A JSON integer that remembers how it was written."""

    text: str


class _Float(float):
    """A JSON number with a fraction or exponent that remembers how it was written."""

    text: str


def _json_int(text: str) -> _Int:
    v = _Int(text)
    v.text = text
    return v


def _json_float(text: str) -> _Float:
    v = _Float(text)
    v.text = text
    return v


def _json_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


_INT_TEXT = re.compile(r"^[+-]?\d+(\.0+)?$")
_FLOAT_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_BOOLS = {"true": True, "false": False, "1": True, "0": False}  # API text and bulk files (0/1)


def _from_json(value: object, kind: str) -> object:
    """A JSON value as the column's Python type; ValueError says what is wrong."""
    if kind == _STR:
        if not isinstance(value, str):
            raise ValueError("must be a JSON string")
        return value
    if kind == _BOOL:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number" if kind == _FLOAT else "must be a whole number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if kind == _INT:
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError("must be a whole number")
            return int(value)
        return int(value)
    return float(value)


def _from_text(text: str, kind: str) -> object:
    """A bulk-file cell as the column's Python type; ValueError says what is wrong."""
    if kind == _STR:
        return text
    if kind == _BOOL:
        if text.lower() not in _BOOLS:
            raise ValueError("must be true/false or 1/0")
        return _BOOLS[text.lower()]
    if kind == _INT:
        if not _INT_TEXT.match(text):
            raise ValueError("must be a whole number")
        return int(float(text)) if "." in text else int(text)
    if not _FLOAT_TEXT.match(text):
        raise ValueError("must be a number")
    return float(text)


# ------------------------------------------------------------------- record checking
def _check_rows(rows: list[tuple[int, dict[str, object], str | None]], name: str,
                where: Callable[[int], str], log: IssueLog) -> pl.DataFrame:
    """Shared rules for API records and bulk rows: reference codes, period coherence, key, schema.

    ``rows`` holds (line, typed values, primaryValue as written). ``where(line)`` is the
    rule's prefix (``data[2]`` for a JSON record, ``row`` for a bulk-file row).
    """
    seen: dict[tuple, int] = {}
    for line, rec, _ in rows:
        prefix = where(line)
        for col, role in (("reporterCode", "reporterISO"), ("partnerCode", "partnerISO")):
            code = rec.get(col)
            if code is None:
                continue
            if code not in AREA_CODES:
                log.add(name, line, col, f"{prefix}: area code is not in UN Comtrade's reference list (comtrade_layout.AREA_CODES)", code)
                continue
            if code not in COUNTRIES:
                continue
            iso = rec.get(role)
            if iso is not None and iso != COUNTRIES[code][1]:
                log.add(name, line, role, f"{prefix}: ISO code disagrees with {col} {code} (Comtrade prints {COUNTRIES[code][1]!r} for it)", iso)
        flow = rec.get("flowCode")
        if flow is not None and flow not in FLOW_CODES:
            log.add(name, line, "flowCode", f"{prefix}: flow code is not one of UN Comtrade's trade flows ({', '.join(FLOW_CODES)})", flow)
        year, month, period, freq = rec.get("refYear"), rec.get("refMonth"), rec.get("period"), rec.get("freqCode")
        if None not in (year, month, period, freq) and freq in ("A", "M"):
            expected = f"{year}" if freq == "A" else f"{year}{month:02d}" if isinstance(month, int) and 1 <= month <= 12 else None
            if freq == "A" and month != 52:
                log.add(name, line, "refMonth", f"{prefix}: an annual record (freqCode A) has refMonth 52", month)
            elif expected is None:
                log.add(name, line, "refMonth", f"{prefix}: a monthly record (freqCode M) needs refMonth 1-12", month)
            elif period != expected:
                log.add(name, line, "period", f"{prefix}: period does not match refYear/refMonth (expected {expected!r})", period)
        key = tuple(rec.get(c) for c in RECORD_KEY)
        if key in seen:
            log.add(name, line, ",".join(RECORD_KEY), f"{prefix}: duplicated record: same {', '.join(RECORD_KEY)} as line {seen[key]}")
        else:
            seen[key] = line
    log.raise_if_any()
    frame = pl.DataFrame({c: [r[1][c] for r in rows] for c in FINAL_COLUMNS}, schema=RECORD_SCHEMA, strict=True)
    lines = [r[0] for r in rows]
    try:
        ComtradeRecords.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        log.extend(schema_issues(exc, name, lines))
        log.raise_if_any()
    return frame.with_columns(
        pl.Series("_primaryValue_text", [r[2] for r in rows], dtype=pl.String),
        pl.lit(name, dtype=pl.String).alias("_file"),
        pl.Series("_line", lines, dtype=pl.Int64),
    )


# ------------------------------------------------------------------------- API JSON
def read_api_json(path: Path | str) -> pl.DataFrame:
    """Parse a saved UN Comtrade final-data response strictly.

    Returns the 47 record columns (typed, validated by :class:`ComtradeRecords`) plus
    ``_primaryValue_text`` (primaryValue exactly as written in the JSON), ``_file`` and
    ``_line``. In every :class:`~analysis.errors.Issue`, ``line`` is the record's 1-based
    position in ``data`` and the rule starts with ``data[i]`` (0-based).
    Raises :class:`DataError` for: unreadable, truncated or non-JSON text; a top level
    that is not an object with a ``data`` list; a non-empty ``error``; ``count`` that
    disagrees with the records; an empty ``data`` list; a missing or unknown field; a
    value of the wrong type (text where a number belongs, ...); a reporter or partner
    code outside :data:`COUNTRIES`; and a duplicated record (same :data:`RECORD_KEY`).
    """
    path = Path(path)
    name = display(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError([Issue(name, None, None, "file does not exist")]) from None
    return parse_api_json(data, name)


def parse_api_json(data: bytes, name: str) -> pl.DataFrame:
    """:func:`read_api_json` on bytes already in memory (a response body); ``name`` labels the issues."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError([Issue(name, None, None, f"file must be UTF-8 encoded JSON ({exc.reason} at byte {exc.start})")]) from None
    if not text.strip():
        raise DataError([Issue(name, None, None, "file is empty: expected a UN Comtrade API response (a JSON object with a 'data' list)")])
    try:
        doc = json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        raise DataError([Issue(name, line, None, f"not valid JSON ({getattr(exc, 'msg', exc)}); is the file truncated?")]) from None
    if not isinstance(doc, dict) or "data" not in doc:
        raise DataError([Issue(name, None, "data", "top level must be a JSON object with a 'data' list (the API's response body)")])
    if doc.get("error"):
        raise DataError([Issue(name, None, "error", "the API reported an error in this response", doc["error"])])
    data = doc["data"]
    if not isinstance(data, list):
        raise DataError([Issue(name, None, "data", "'data' must be a list of records", type(data).__name__)])
    if not data:
        raise DataError([Issue(name, None, "data", "response has no records ('data' is empty): nothing was fetched, or the query matched nothing")])
    count = doc.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count != len(data)):
        raise DataError([Issue(name, None, "count", f"'count' disagrees with the {len(data)} records in 'data'; is the response truncated?", count)])

    log = IssueLog()
    rows: list[tuple[int, dict[str, object], str | None]] = []
    for i, record in enumerate(data):
        line = i + 1
        if not isinstance(record, dict):
            log.add(name, line, None, f"data[{i}]: a record must be a JSON object", type(record).__name__)
            continue
        for key in record:
            if key not in _SPEC:
                log.add(name, line, key, f"data[{i}]: unknown field (expected the 47 final-data fields: {', '.join(FINAL_COLUMNS)})")
        values: dict[str, object] = {}
        for col, (kind, nullable) in _SPEC.items():
            if col not in record:
                log.add(name, line, col, f"data[{i}]: required field is missing")
                values[col] = None
                continue
            raw = record[col]
            if raw is None:
                if not nullable:
                    log.add(name, line, col, f"data[{i}]: value is required (found null)")
                values[col] = None
                continue
            try:
                values[col] = _from_json(raw, kind)
            except ValueError as exc:
                log.add(name, line, col, f"data[{i}]: {exc}", getattr(raw, "text", raw))
                values[col] = None
        pv = record.get("primaryValue")
        rows.append((line, values, getattr(pv, "text", None) if pv is not None else None))
    log.raise_if_any()
    return _check_rows(rows, name, lambda line: f"data[{line - 1}]", log)


def read_bulk_extract(path: Path | str) -> pl.DataFrame:
    """Type and check the rows :func:`ingest_bulk` kept, by the rules of :func:`read_api_json`.

    Issues name the bulk file and line each row came from (``_file``, ``_line``).
    """
    path = Path(path)
    raw = pl.read_parquet(path)
    missing = [c for c in (*FINAL_COLUMNS, "_file", "_line") if c not in raw.columns]
    if missing:
        raise DataError([Issue(display(path), None, c, "column missing from the bulk extract; rebuild it with ingest_bulk") for c in missing])
    if raw.height == 0:
        raise DataError([Issue(display(path), None, None, "bulk extract has no rows: the bulk files held no record with reporter or partner 408")])
    return check_bulk_rows(raw)


def read_bulk_file(path: Path | str) -> pl.DataFrame:
    """The North Korea rows of one (small) bulk file, typed and checked as :func:`read_bulk_extract` does.

    For bulk extracts kept as raw snapshots (``data/raw/comtrade/*.txt[.gz]``), in either
    layout; issues name the file and its physical line.
    """
    path = Path(path)
    raw = scan_bulk([path]).collect()
    if raw.height == 0:
        raise DataError([Issue(display(path), None, None, "bulk file has no record with reporter or partner 408")])
    return check_bulk_rows(raw)


def check_bulk_rows(raw: pl.DataFrame) -> pl.DataFrame:
    """Type and check bulk rows held as text (the 47 API columns, ``_file``, ``_line``)."""
    log = IssueLog()
    by_file: dict[str, list[tuple[int, dict[str, object], str | None]]] = {}
    for rec in raw.iter_rows(named=True):
        name, line = rec["_file"], rec["_line"]
        values: dict[str, object] = {}
        for col, (kind, nullable) in _SPEC.items():
            cell = rec[col]
            cell = cell.strip() if isinstance(cell, str) else cell
            if cell in (None, ""):
                if not nullable:
                    log.add(name, line, col, "row: value is required")
                values[col] = None
                continue
            try:
                values[col] = _from_text(cell, kind)
            except ValueError as exc:
                log.add(name, line, col, f"row: {exc}", cell)
                values[col] = None
        by_file.setdefault(name, []).append((line, values, (rec["primaryValue"] or "").strip() or None))
    log.raise_if_any()
    frames = [_check_rows(rows, name, lambda line: "row", log) for name, rows in by_file.items()]
    return pl.concat(frames, how="vertical")


# ------------------------------------------------------------------- -> trade_flows
_FLOWS = {"X": "export", "M": "import"}
_HS = re.compile(r"^\d{2}(\d{2}){0,2}$")


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)


def records_to_flows(records: pl.DataFrame, source_id: str, keep_origin: bool = False) -> pl.DataFrame:
    """Map checked Comtrade records to ``trade_flows`` observations (:class:`TradeFlowObservations`).

    - Kept: records between the areas trade_flows covers (:data:`COUNTRIES`: China,
      North Korea, South Korea, Russia and the world); a bulk extract's rows between North
      Korea and other areas stay in the extract.
    - Kept: flowCode X (-> ``export``) and M (-> ``import``), the reporter's view, and only
      the classic totals of the breakdowns trade_flows has no column for: customsCode C00,
      motCode 0, partner2Code 0. **Re-exports (RX) and re-imports (RM) are dropped**, as are
      other flow codes: X and M already include them under the general trade system, and
      mapping RX to ``export`` would count a figure twice and collide on the table's key.
    - freq A/M from freqCode; period_start/period_end the first and last day of refYear
      (A) or of refYear-refMonth (M).
    - reporter/partner: ISO3 from :data:`COUNTRIES` (code 0 -> WLD).
    - commodity: TOTAL for cmdCode TOTAL, else the HS code (classificationSearchCode must be HS).
    - value = primaryValue (US dollars), currency USD, agency COMTRADE, status final;
      reported_as = primaryValue as written in the record; note = flow description and
      classification, e.g. ``UN Comtrade Import (M), H3``.

    With ``keep_origin``, each row also keeps ``_file`` and ``_line`` (the record's file
    and line), as the build's other trade rows do.

    Raises :class:`DataError` (naming the record's file and line) for a non-HS commodity
    code or a result that breaks :class:`TradeFlowObservations`.
    """
    if not re.match(SOURCE_ID, source_id or ""):
        raise ValueError(f"source_id {source_id!r} must match {SOURCE_ID}")
    kept = records.filter(
        pl.col("reporterCode").is_in(list(COUNTRIES)) & pl.col("partnerCode").is_in(list(COUNTRIES))
        & pl.col("flowCode").is_in(list(_FLOWS))
        & (pl.col("customsCode") == "C00") & (pl.col("motCode") == 0) & (pl.col("partner2Code") == 0)
    )
    log = IssueLog()
    out: dict[str, list[object]] = {c: [] for c in TradeFlowObservations.to_schema().columns}
    origin: list[tuple[str, int | None]] = []
    for rec in kept.iter_rows(named=True):
        name, line = rec.get("_file") or "(records)", rec.get("_line")
        cmd = rec["cmdCode"]
        if cmd != "TOTAL" and (rec["classificationSearchCode"] != "HS" or not _HS.match(cmd)):
            log.add(name, line, "cmdCode", f"commodity must be TOTAL or an HS code of 2, 4 or 6 digits (classification {rec['classificationSearchCode']})", cmd)
            continue
        year, month = rec["refYear"], rec["refMonth"]
        if rec["freqCode"] == "A":
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        else:
            start, end = dt.date(year, month, 1), _month_end(year, month)
        text = rec.get("_primaryValue_text") or repr(rec["primaryValue"])
        desc = rec.get("flowDesc") or rec["flowCode"]
        out["source_id"].append(source_id)
        out["period_start"].append(start)
        out["period_end"].append(end)
        out["freq"].append(rec["freqCode"])
        out["reporter"].append(COUNTRIES[rec["reporterCode"]][0])
        out["partner"].append(COUNTRIES[rec["partnerCode"]][0])
        out["flow"].append(_FLOWS[rec["flowCode"]])
        out["commodity"].append(cmd)
        out["value"].append(float(rec["primaryValue"]))
        out["currency"].append("USD")
        out["agency"].append("COMTRADE")
        out["status"].append("final")
        out["reported_as"].append(text)
        out["note"].append(f"UN Comtrade {desc} ({rec['flowCode']}), {rec['classificationCode']}")
        origin.append((name, line))
    log.raise_if_any()
    schema = {
        "source_id": pl.String, "period_start": pl.Date, "period_end": pl.Date, "freq": pl.String,
        "reporter": pl.String, "partner": pl.String, "flow": pl.String, "commodity": pl.String,
        "value": pl.Float64, "currency": pl.String, "agency": pl.String, "status": pl.String,
        "reported_as": pl.String, "note": pl.String,
    }
    frame = pl.DataFrame(out, schema=schema, strict=True)
    try:
        TradeFlowObservations.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        for case in exc.failure_cases.iter_rows(named=True):
            idx = case.get("index")
            name, line = origin[idx] if idx is not None and idx < len(origin) else ("(records)", None)
            log.add(name, line, case.get("column"), f"trade_flows row breaks rule {case.get('check')}", case.get("failure_case"))
        log.raise_if_any()
    if keep_origin:
        frame = frame.with_columns(
            pl.Series("_file", [o[0] for o in origin], dtype=pl.String),
            pl.Series("_line", [o[1] for o in origin], dtype=pl.Int64),
        )
    return frame
