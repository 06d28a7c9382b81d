"""Fetch UN Comtrade final data with ``comtradeapicall.getFinalData`` into a new raw snapshot.

The subscription key is read from ``COMTRADE_API_KEY`` (or passed as ``key``). It is never
printed, logged or stored: the snapshot and its sidecar record the endpoint and the query
*without* it, and every error message has it replaced by ``[REDACTED]``.

What comtradeapicall 1.3.2 does (read from its source, ``PreviewGet.getPreviewData``):
``getFinalData(subscription_key, typeCode, freqCode, clCode, period, reporterCode,
cmdCode, flowCode, partnerCode, partner2Code, customsCode, motCode, maxRecords=None,
format_output=None, aggregateBy=None, breakdownMode=None, countOnly=None,
includeDesc=None, proxy_url=None)`` sends one GET to
``https://comtradeapi.un.org/data/v1/get/{typeCode}/{freqCode}/{clCode}`` with the key as
the ``subscription-key`` query parameter. On HTTP 200 it returns
``pandas.json_normalize(body['data'])``; on any other status it *prints* the response
body and returns None; on a urllib3 ``RequestError`` (timeouts, refused connections,
retries exhausted) it *prints* ``Request error: ...`` - a message that can contain the
request URL and so the key - and returns None. This module therefore captures what the
package prints, redacts the key from it, and uses it to tell a rate limit (429), a
server error (5xx) or a timeout, which are retried with exponential back-off, from any
other failure, which is raised at once.

The snapshot is the response body's shape, ``{"count": n, "data": [...], "error": ""}``,
rebuilt from the DataFrame comtradeapicall returns (numbers as pandas parsed them; missing
values as null), so :func:`analysis.ingest.comtrade.read_api_json` reads it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import socket
import time
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import urlencode

from ..ingest.comtrade import COUNTRIES
from ..paths import display
from ..provenance import SIDECAR_SUFFIX

ENV_KEY = "COMTRADE_API_KEY"
ENDPOINT = "https://comtradeapi.un.org/data/v1/get/{typeCode}/{freqCode}/{clCode}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDACTED = "[REDACTED]"


class ComtradeFetchError(RuntimeError):
    """The fetch failed; the message never contains the subscription key."""


class MissingKeyError(ComtradeFetchError):
    """No subscription key: the CLI exits non-zero with this message."""


class _Retryable(Exception):
    pass


def _redact(text: str, key: str) -> str:
    if key:
        text = text.replace(key, REDACTED)
    # a key that reached a URL in another spelling (percent-encoding) is still a query value
    return re.sub(r"(subscription-key=)[^&\s'\"]+", r"\1" + REDACTED, text)


def _code(area: int | str) -> int:
    """An M49 code from a code or an ISO3 code the project knows."""
    if isinstance(area, int) and not isinstance(area, bool):
        code = area
    elif isinstance(area, str) and area.strip().isdigit():
        code = int(area)
    else:
        by_iso = {v[0]: c for c, v in COUNTRIES.items()}
        if area not in by_iso:
            raise ValueError(f"unknown area {area!r}: use an M49 code or one of {sorted(by_iso)}")
        code = by_iso[area]
    if code not in COUNTRIES:
        raise ValueError(f"M49 code {code} is not in analysis.ingest.comtrade.COUNTRIES")
    return code


def _status_of(exc: BaseException) -> int | None:
    for attr in ("status", "status_code", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    response = getattr(exc, "response", None)
    value = getattr(response, "status", None) or getattr(response, "status_code", None)
    return value if isinstance(value, int) else None


def _is_retryable_exception(exc: BaseException) -> bool:
    status = _status_of(exc)
    if status is not None:
        return status in RETRY_STATUSES
    if isinstance(exc, (TimeoutError, socket.timeout, ConnectionError)):
        return True
    try:
        import urllib3.exceptions as u3
        if isinstance(exc, (u3.TimeoutError, u3.ProtocolError, u3.MaxRetryError, u3.NewConnectionError)):
            return True
    except ImportError:  # pragma: no cover - urllib3 is a dependency of comtradeapicall
        pass
    return bool(re.search(r"\b(429|50[0234])\b|time(d)? ?out", str(exc), re.IGNORECASE))


def _is_retryable_output(printed: str) -> bool:
    """Whether what comtradeapicall printed before returning None is a 429/5xx/timeout."""
    try:
        body = json.loads(printed.strip().splitlines()[0]) if printed.strip() else None
    except (json.JSONDecodeError, IndexError):
        body = None
    if isinstance(body, dict):
        status = body.get("statusCode") or body.get("status")
        if isinstance(status, int):
            return status in RETRY_STATUSES
    return bool(re.search(r"\b(429|50[0234])\b|rate limit|too many requests|time(d)? ?out|Max retries exceeded",
                          printed, re.IGNORECASE))


def _jsonable(value: Any) -> Any:
    """A pandas/numpy cell as a plain JSON value (NaN/NA -> null)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        import pandas as pd
        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def _records(frame: Any) -> list[dict[str, Any]]:
    cols = [str(c) for c in frame.columns]
    return [{c: _jsonable(v) for c, v in zip(cols, row)} for row in frame.itertuples(index=False, name=None)]


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path`` and link it into place; never overwrite."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)  # fails with FileExistsError instead of replacing
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def fetch(
    reporter: int | str,
    partner: int | str,
    years: Iterable[int],
    out_dir: Path | str,
    key: str | None = None,
    *,
    freq: str = "A",
    cmd: str = "TOTAL",
    flow: str = "M,X",
    type_code: str = "C",
    classification: str = "HS",
    max_attempts: int = 5,
    base_delay: float = 2.0,
    max_delay: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], dt.datetime] | None = None,
    get_final_data: Callable[..., Any] | None = None,
    get_availability: Callable[..., Any] | None = None,
) -> Path:
    """Fetch final data for ``reporter`` x ``partner`` x ``years`` and store a new snapshot in ``out_dir``.

    Returns the snapshot's path; its sidecar is ``<file>.meta.json``. Raises
    :class:`MissingKeyError` without a key, and :class:`ComtradeFetchError` when
    comtradeapicall returns None (other than a retryable 429/5xx/timeout), when the
    query matched no records, or when ``max_attempts`` tries all hit a retryable error
    (delays ``base_delay * 2**n`` capped at ``max_delay``, through ``sleep``).
    Nothing is written unless the whole response arrived.
    """
    key = key or os.environ.get(ENV_KEY) or ""
    if not key.strip():
        raise MissingKeyError(
            f"UN Comtrade fetch needs a subscription key: set {ENV_KEY} "
            "(free key at https://comtradedeveloper.un.org). Nothing was fetched."
        )
    rep, par = _code(reporter), _code(partner)
    years = sorted({int(y) for y in years})
    if not years:
        raise ValueError("give at least one year")
    if freq not in ("A", "M"):
        raise ValueError("freq must be A or M")
    period = ",".join(str(y) for y in years) if freq == "A" else ",".join(f"{y}{m:02d}" for y in years for m in range(1, 13))
    query = dict(typeCode=type_code, freqCode=freq, clCode=classification, period=period,
                 reporterCode=str(rep), cmdCode=cmd, flowCode=flow, partnerCode=str(par),
                 partner2Code=None, customsCode=None, motCode=None, maxRecords=None,
                 format_output="JSON", aggregateBy=None, breakdownMode="classic", countOnly=None,
                 includeDesc=True)
    if get_final_data is None or get_availability is None:
        import comtradeapicall
        get_final_data = get_final_data or comtradeapicall.getFinalData
        get_availability = get_availability or comtradeapicall.getFinalDataAvailability
    now = now or (lambda: dt.datetime.now(dt.timezone.utc))

    frame = None
    last_problem = ""
    for attempt in range(1, max_attempts + 1):
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                frame = get_final_data(key, **query)
        except Exception as exc:  # noqa: BLE001 - classified below, re-raised redacted
            message = _redact(f"{type(exc).__name__}: {exc}", key)
            if not _is_retryable_exception(exc):
                raise ComtradeFetchError(f"comtradeapicall.getFinalData failed: {message}") from None
            last_problem = message
        else:
            output = _redact(printed.getvalue().strip(), key)
            if frame is not None:
                break
            if not _is_retryable_output(output):
                raise ComtradeFetchError(
                    "comtradeapicall.getFinalData returned None: the API answered with an error "
                    f"or did not answer ({output or 'nothing printed'}). Nothing was written."
                )
            last_problem = output
        if attempt < max_attempts:
            sleep(min(max_delay, base_delay * 2 ** (attempt - 1)))
    else:
        raise ComtradeFetchError(
            f"UN Comtrade kept failing with a rate limit, server error or timeout after {max_attempts} "
            f"attempts (last: {last_problem}). Nothing was written; try again later."
        )

    if not hasattr(frame, "columns") or len(frame) == 0:
        raise ComtradeFetchError("the query matched no records (empty 'data'); nothing was written")
    records = _records(frame)
    body = json.dumps({"count": len(records), "data": records, "error": ""}, ensure_ascii=False, indent=1,
                      allow_nan=False).encode("utf-8") + b"\n"
    if key in body.decode("utf-8"):  # the key must never reach data/raw
        raise ComtradeFetchError("refusing to store a response that contains the subscription key")

    retrieved = now()
    releases = _releases(get_availability, key, type_code, freq, classification, period, rep)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = retrieved.strftime("%Y%m%dT%H%M%SZ")
    base = f"comtrade-final-{type_code}{freq}-{classification}-r{rep}-p{par}-{years[0]}-{years[-1]}-{stamp}"
    origin_query = {k: v for k, v in dict(
        reportercode=query["reporterCode"], flowCode=flow, period=period, cmdCode=cmd, partnerCode=query["partnerCode"],
        format="JSON", breakdownMode="classic", includeDesc="True").items() if v is not None}
    origin = ENDPOINT.format(typeCode=type_code, freqCode=freq, clCode=classification) + "?" + urlencode(origin_query)
    for n in range(1, 1000):
        path = out_dir / (f"{base}.json" if n == 1 else f"{base}-{n}.json")
        side = path.with_name(path.name + SIDECAR_SUFFIX)
        if path.exists() or side.exists():
            continue
        meta = {
            "file": path.name,
            "sha256": hashlib.sha256(body).hexdigest(),
            "title": f"UN Comtrade final data: {COUNTRIES[rep][2]} (M49 {rep}) with {COUNTRIES[par][2]} (M49 {par}), "
                     f"{classification} {cmd}, flows {flow}, {freq} {years[0]}-{years[-1]}",
            "description": "Response of the UN Comtrade data API (final data, classic breakdown), fetched with "
                           "comtradeapicall.getFinalData and stored as {count, data, error}; the records are the "
                           "DataFrame comtradeapicall returned, written back as JSON (numbers as pandas parsed them).",
            "origin": origin,
            "collected": retrieved.date().isoformat(),
            "retrieved_at": retrieved.isoformat(timespec="seconds"),
            "records": len(records),
            "query": {k: v for k, v in query.items() if v is not None},
            "client": "comtradeapicall==1.3.2",
            "dataset_releases": releases,
        }
        side_bytes = (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        if key in side_bytes.decode("utf-8"):
            raise ComtradeFetchError("refusing to store a sidecar that contains the subscription key")
        try:
            _write_new(path, body)
        except FileExistsError:
            continue  # another fetch took this name in the meantime
        try:
            _write_new(side, side_bytes)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # no snapshot without its sidecar
            raise
        return path
    raise ComtradeFetchError(f"could not find a free snapshot name for {base} in {display(out_dir)}")


def _releases(get_availability: Callable[..., Any], key: str, type_code: str, freq: str, classification: str,
              period: str, reporter: int) -> list[dict[str, Any]] | str:
    """Dataset checksum and release dates from the data-availability endpoint, where it answers."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            frame = get_availability(key, type_code, freq, classification, period, str(reporter))
    except Exception as exc:  # noqa: BLE001 - optional metadata; the fetch itself succeeded
        return _redact(f"not available ({type(exc).__name__}: {exc})", key)
    if frame is None or not hasattr(frame, "columns"):
        return _redact(f"not available ({printed.getvalue().strip() or 'no answer'})", key)
    wanted = {"datasetcode", "reportercode", "period", "classificationcode", "totalrecords",
              "datasetchecksum", "firstreleased", "lastreleased"}
    cols = [c for c in frame.columns if str(c).lower() in wanted]
    return [{str(c): _jsonable(v) for c, v in zip(cols, row)} for row in frame[cols].itertuples(index=False, name=None)]
