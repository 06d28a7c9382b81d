"""Fetch UN Comtrade final data into a new raw snapshot.

The request is the one ``comtradeapicall.getFinalData`` (version 1.3.2) sends, read from
its source (``PreviewGet.getPreviewData``): one GET to
``https://comtradeapi.un.org/data/v1/get/{typeCode}/{freqCode}/{clCode}`` with the query
parameters ``reportercode``, ``flowCode``, ``period``, ``cmdCode``, ``partnerCode``,
``format``, ``breakdownMode``, ``includeDesc`` and the key as ``subscription-key``
(a test checks the two requests are the same). The call is made here, with the standard
library, rather than through the package, because the package fixes the host and a
120-second timeout in its code, prints errors (with the request URL, key included)
instead of raising them, and parses the body before a caller can check that it is
whole. Making the call here lets the fetcher

- take the base URL from ``base_url`` or ``COMTRADE_API_BASE`` (default
  ``https://comtradeapi.un.org``), so that tests run against a local server;
- time out after ``timeout`` seconds;
- tell a rate limit (HTTP 429, honouring ``Retry-After`` up to ``max_delay``), a server
  error (500, 502, 503, 504), a timeout, a dropped connection, a truncated or empty body
  (all retried, at most ``max_attempts`` times, waiting ``base_delay * 2**n`` capped at
  ``max_delay``) from a refusal or a bad query (any other status, raised at once);
- check the whole body with the strict reader
  (:func:`analysis.ingest.comtrade.parse_api_json`) before anything is written, and
  store it exactly as received.

The subscription key is read from ``COMTRADE_API_KEY`` (or passed as ``key``). It is
never printed, logged or stored: the snapshot and its sidecar record the endpoint and the
query *without* it, and every message has it replaced by ``[REDACTED]`` in every spelling
it could take (literal, percent-encoded in upper or lower case, ``+`` for spaces, base64 and
URL-safe base64 with or without padding, hex, JSON- and HTML-escaped), before an error
body is cut for display. A redirect to another host (or scheme or port) is never followed:
the request carries the key, so the fetch stops and says where the server tried to send
it. An answer is read in pieces and refused past ``max_bytes`` (an announced
``Content-Length`` past it is refused before the body is read), so memory stays bounded.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import html
import http.client
import json
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import quote, quote_plus, urlencode, urlsplit

from .. import __version__
from ..errors import DataError
from ..ingest.comtrade import COUNTRIES, parse_api_json
from ..paths import display
from ..provenance import SIDECAR_SUFFIX

ENV_KEY = "COMTRADE_API_KEY"
ENV_BASE = "COMTRADE_API_BASE"
DEFAULT_BASE = "https://comtradeapi.un.org"
DATA_PATH = "/data/v1/get/{typeCode}/{freqCode}/{clCode}"
AVAILABILITY_PATH = "/data/v1/getDa/{typeCode}/{freqCode}/{clCode}"
ENDPOINT = DEFAULT_BASE + DATA_PATH
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDACTED = "[REDACTED]"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: The largest answer accepted (a year of monthly HS6 records for one reporter is a few tens of MB).
MAX_ANSWER_BYTES = 256 * 1024 * 1024
#: How much of an error body is shown in a message (after redaction).
SHOWN_ERROR_CHARS = 300


class ComtradeFetchError(RuntimeError):
    """The fetch failed; the message never contains the subscription key."""


class MissingKeyError(ComtradeFetchError):
    """No subscription key: the CLI exits non-zero with this message."""


@dataclass(frozen=True)
class _Failure:
    """One failed attempt: what went wrong, whether trying again can help, and a wait the server asked for."""

    problem: str
    retry: bool
    wait: float | None = None


def key_forms(key: str) -> list[str]:
    """Every spelling of ``key`` a message, URL or body could carry."""
    if not key:
        return []
    raw = key.encode("utf-8")
    every = "".join(f"%{b:02X}" for b in raw)  # every byte percent-encoded
    forms = {key, quote(key, safe=""), quote_plus(key), every, every.lower(), raw.hex(), raw.hex().upper(),
             json.dumps(key)[1:-1], json.dumps(key, ensure_ascii=False)[1:-1], html.escape(key, quote=True)}
    for encode in (base64.b64encode, base64.urlsafe_b64encode, base64.b32encode):
        text = encode(raw).decode("ascii")
        forms |= {text, text.rstrip("=")}
    return sorted((f for f in forms if f), key=len, reverse=True)


def _key_pattern(key: str) -> re.Pattern[str] | None:
    forms = key_forms(key)
    return re.compile("|".join(re.escape(f) for f in forms), re.IGNORECASE) if forms else None


def contains_key(text: str | bytes, key: str) -> bool:
    """Whether ``text`` holds the key in any of its spellings."""
    pattern = _key_pattern(key)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return bool(pattern and pattern.search(text))


def _redact(text: str, key: str) -> str:
    pattern = _key_pattern(key)
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    # a key that reached a URL in a spelling not listed is still a query value
    return re.sub(r"(subscription-key=)[^&\s'\"]+", r"\1" + REDACTED, text, flags=re.IGNORECASE)


class _CrossHostRedirect(Exception):
    def __init__(self, code: int, target: str):
        self.code, self.target = code, target
        super().__init__(target)


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same scheme, host and port: the request carries the key."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old, new = urlsplit(req.full_url), urlsplit(urllib.parse.urljoin(req.full_url, newurl))
        if (old.scheme, old.hostname, old.port) != (new.scheme, new.hostname, new.port):
            raise _CrossHostRedirect(code, f"{new.scheme}://{new.hostname or ''}" + (f":{new.port}" if new.port else ""))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


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


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds (an HTTP date is ignored: the back-off applies)."""
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


def _opener(url: str) -> urllib.request.OpenerDirector:
    """The default opener (environment proxies apply), except that loopback addresses never go through a proxy,
    and redirects are followed only to the same host."""
    if urlsplit(url).hostname in _LOOPBACK:
        return urllib.request.build_opener(urllib.request.ProxyHandler({}), _SameHostRedirects)
    return urllib.request.build_opener(_SameHostRedirects)


def _read_capped(response, max_bytes: int) -> bytes | _Failure:
    """The body in pieces of 1 MiB, refused once it passes ``max_bytes``."""
    announced = response.headers.get("Content-Length")
    if announced and announced.strip().isdigit() and int(announced) > max_bytes:
        return _Failure(f"the answer announces {int(announced):,} bytes, more than the {max_bytes:,}-byte limit; not read", False)
    parts, total = [], 0
    while chunk := response.read(min(1 << 20, max_bytes + 1 - total)):
        parts.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            return _Failure(f"the answer is larger than the {max_bytes:,}-byte limit; reading stopped", False)
    if announced and announced.strip().isdigit() and total < int(announced):
        raise http.client.IncompleteRead(b"".join(parts), int(announced) - total)
    return b"".join(parts)


def _get(url: str, timeout: float, key: str = "", max_bytes: int = MAX_ANSWER_BYTES) -> bytes | _Failure:
    """One GET: the whole body, or what went wrong."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": f"nkflows/{__version__}"})
    try:
        with _opener(url).open(request, timeout=timeout) as response:
            return _read_capped(response, max_bytes)
    except _CrossHostRedirect as exc:
        return _Failure(f"HTTP {exc.code}: the server redirected the request to another host ({_redact(exc.target, key)}); "
                        "the request carries the subscription key, so the redirect was not followed", False)
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(64 * 1024).decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException):
            body = ""
        body = _redact(body, key)  # before the body is cut: a cut could leave part of the key
        if len(body) > SHOWN_ERROR_CHARS:
            body = body[:SHOWN_ERROR_CHARS] + "..."
        detail = f"HTTP {exc.code} {_redact(str(exc.reason), key)}" + (f": {body}" if body else "")
        return _Failure(detail, exc.code in RETRY_STATUSES, _retry_after(exc.headers.get("Retry-After")))
    except http.client.IncompleteRead as exc:
        return _Failure(f"the connection closed after {len(exc.partial)} bytes of the answer (truncated)", True)
    except (TimeoutError, socket.timeout):
        return _Failure(f"no answer within {timeout:g} s (timeout)", True)
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            return _Failure(f"no answer within {timeout:g} s (timeout)", True)
        return _Failure(f"could not connect ({exc.reason})", True)
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        return _Failure(f"the connection failed ({type(exc).__name__}: {exc})", True)


def _check_body(body: bytes) -> _Failure | None:
    """An answer that is empty, or JSON cut short, is worth another try; a whole answer that breaks a rule is not."""
    if not body.strip():
        return _Failure("HTTP 200 with an empty body", True)
    try:
        json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _Failure(f"HTTP 200 but the body is not whole JSON ({len(body)} bytes; {exc}); truncated?", True)
    try:
        parse_api_json(body, "UN Comtrade response")
    except DataError as exc:
        return _Failure(f"the answer breaks the record rules: {exc}", False)
    return None


def _fetch_body(url: str, key: str, *, timeout: float, max_attempts: int, base_delay: float, max_delay: float,
                sleep: Callable[[float], None], progress: Callable[[str], None], max_bytes: int = MAX_ANSWER_BYTES) -> bytes:
    """GET ``url`` until a whole, valid answer arrives; raise with every attempt's problem when it does not."""
    problems: list[str] = []
    for attempt in range(1, max_attempts + 1):
        got = _get(url, timeout, key, max_bytes)
        failure = got if isinstance(got, _Failure) else _check_body(got)
        if failure is None:
            return got  # type: ignore[return-value]
        problem = _redact(failure.problem, key)
        problems.append(f"attempt {attempt}: {problem}")
        if not failure.retry:
            raise ComtradeFetchError(f"UN Comtrade refused the request ({problem}). Nothing was written.")
        if attempt < max_attempts:
            delay = min(max_delay, max(base_delay * 2 ** (attempt - 1), failure.wait or 0.0))
            progress(f"UN Comtrade attempt {attempt} of {max_attempts} failed ({problem}); retrying in {delay:g} s")
            sleep(delay)
    raise ComtradeFetchError(
        f"UN Comtrade gave no complete answer in {max_attempts} attempts ({'; '.join(problems)}). "
        "Nothing was written; try again later."
    )


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


def request_url(base: str, path: str, params: dict[str, Any], key: str) -> str:
    """The request URL: ``params`` without empty values, then the key, as comtradeapicall orders them."""
    fields = {k: v for k, v in params.items() if v is not None}
    return base.rstrip("/") + path + "?" + urlencode({**fields, "subscription-key": key})


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
    base_url: str | None = None,
    timeout: float = 60.0,
    max_attempts: int = 5,
    base_delay: float = 2.0,
    max_delay: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], dt.datetime] | None = None,
    progress: Callable[[str], None] = lambda _: None,
    max_bytes: int = MAX_ANSWER_BYTES,
) -> Path:
    """Fetch final data for ``reporter`` x ``partner`` x ``years`` and store a new snapshot in ``out_dir``.

    Returns the snapshot's path; its sidecar is ``<file>.meta.json``. Raises
    :class:`MissingKeyError` without a key, and :class:`ComtradeFetchError` when the API
    refuses the request, answers with no records or with records that break the rules, or
    keeps failing (429, 5xx, timeouts, truncated or empty answers) for ``max_attempts``
    tries. Nothing is written unless a whole, valid answer arrived.
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
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    base = (base_url or os.environ.get(ENV_BASE) or DEFAULT_BASE).rstrip("/")
    period = ",".join(str(y) for y in years) if freq == "A" else ",".join(f"{y}{m:02d}" for y in years for m in range(1, 13))
    path_vars = dict(typeCode=type_code, freqCode=freq, clCode=classification)
    params = dict(reportercode=str(rep), flowCode=flow, period=period, cmdCode=cmd, partnerCode=str(par),
                  format="JSON", breakdownMode="classic", includeDesc="True")
    url = request_url(base, DATA_PATH.format(**path_vars), params, key)
    body = _fetch_body(url, key, timeout=timeout, max_attempts=max_attempts, base_delay=base_delay,
                       max_delay=max_delay, sleep=sleep, progress=progress, max_bytes=max_bytes)
    if contains_key(body, key):  # the key must never reach data/raw, in any spelling
        raise ComtradeFetchError("refusing to store a response that contains the subscription key")
    records = len(json.loads(body.decode("utf-8-sig"))["data"])

    now = now or (lambda: dt.datetime.now(dt.timezone.utc))
    retrieved = now()
    releases = _releases(base, path_vars, period, rep, key, timeout)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = retrieved.strftime("%Y%m%dT%H%M%SZ")
    stem = f"comtrade-final-{type_code}{freq}-{classification}-r{rep}-p{par}-{years[0]}-{years[-1]}-{stamp}"
    origin = base + DATA_PATH.format(**path_vars) + "?" + urlencode(params)
    for n in range(1, 1000):
        path = out_dir / (f"{stem}.json" if n == 1 else f"{stem}-{n}.json")
        side = path.with_name(path.name + SIDECAR_SUFFIX)
        if path.exists() or side.exists():
            continue
        meta = {
            "file": path.name,
            "sha256": hashlib.sha256(body).hexdigest(),
            "title": f"UN Comtrade final data: {COUNTRIES[rep][2]} (M49 {rep}) with {COUNTRIES[par][2]} (M49 {par}), "
                     f"{classification} {cmd}, flows {flow}, {freq} {years[0]}-{years[-1]}",
            "description": "Response body of the UN Comtrade data API (final data, classic breakdown), stored "
                           "exactly as received after it was checked to be whole and valid.",
            "origin": origin,
            "collected": retrieved.date().isoformat(),
            "retrieved_at": retrieved.isoformat(timespec="seconds"),
            "records": records,
            "query": {**path_vars, **params},
            "client": f"nkflows {__version__} (the request comtradeapicall 1.3.2 getFinalData sends)",
            "dataset_releases": releases,
        }
        side_bytes = (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        if contains_key(side_bytes, key):
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
    raise ComtradeFetchError(f"could not find a free snapshot name for {stem} in {display(out_dir)}")


def _releases(base: str, path_vars: dict[str, str], period: str, reporter: int, key: str,
              timeout: float) -> list[dict[str, Any]] | str:
    """Dataset checksum and release dates from the data-availability endpoint (one try; optional metadata)."""
    url = request_url(base, AVAILABILITY_PATH.format(**path_vars), dict(reportercode=str(reporter), period=period), key)
    got = _get(url, timeout, key, 16 * 1024 * 1024)
    if isinstance(got, _Failure):
        return _redact(f"not available ({got.problem})", key)
    try:
        rows = json.loads(got.decode("utf-8-sig"))["data"]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise TypeError("'data' is not a list of records")
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        return _redact(f"not available (unreadable answer: {exc})", key)
    wanted = {"datasetcode", "reportercode", "period", "classificationcode", "totalrecords",
              "datasetchecksum", "firstreleased", "lastreleased"}
    return [{k: v for k, v in r.items() if k.lower() in wanted} for r in rows]
