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
- check the whole stored answer with the strict reader
  (:func:`analysis.ingest.comtrade.parse_api_json`) before it gets a snapshot's name, and
  store it as received (but for the key, below).

The subscription key is read from ``COMTRADE_API_KEY`` (or passed as ``key``). It is
never printed, logged or stored: the snapshot and its sidecar record the endpoint and the
query *without* it, an answer that echoes it is stored with it replaced, and every message
has it replaced by ``[REDACTED]`` in every spelling it could take (literal, percent-encoded in upper or lower case, ``+`` for spaces, base64 and
URL-safe base64 with or without padding, hex, JSON- and HTML-escaped), before an error
body is cut for display. A redirect to another host (or scheme or port) is never followed:
the request carries the key, so the fetch stops and says where the server tried to send
it.

An answer is streamed to a temporary file beside the snapshot in pieces of
:data:`PIECE_BYTES`: each piece has every spelling of the key replaced by ``[REDACTED]``
(a spelling split across two pieces is found too: the last bytes of each piece, one fewer
than the longest match, are held back and scanned again with the next), is added to the
SHA-256 the sidecar records, and is written out, so memory holds one piece, not the
answer. Reading stops as soon as the answer passes ``max_bytes`` (an announced
``Content-Length`` past it is refused before the body is read) and the partial file is
removed. The stored answer is then checked whole with the strict reader and linked into
place under its final name: the snapshot appears whole or not at all.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import errno
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
#: An answer is read, redacted, hashed and written in pieces of this size.
PIECE_BYTES = 1 << 20
#: The longest ``subscription-key=<value>`` replaced in a stored answer (a key spelled in no listed way).
_QUERY_VALUE_CHARS = 256


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


class _Redactor:
    """Replace every spelling of the key in an answer that arrives in pieces.

    A spelling may be split across two pieces, so the last ``overlap`` bytes of what has
    arrived (one fewer than the longest match) are held back and scanned again with the next
    piece; a match that starts before the held-back part ends inside what has arrived, so
    the output is the same as redacting the whole answer at once, whatever the piece sizes.
    ASCII letters match in any case (as in messages): the search runs on a lower-cased copy
    of the bytes (same length, so positions carry over), first with a plain substring test
    that lets a piece without any spelling through at once."""

    _QUERY = b"subscription-key="

    def __init__(self, key: str):
        forms = sorted({f.encode("utf-8").lower() for f in key_forms(key)}, key=len, reverse=True)
        self.needles = forms + [self._QUERY]
        query = re.escape(self._QUERY) + rb"[^&\s'\"]{1,%d}" % _QUERY_VALUE_CHARS
        self.pattern = re.compile(b"|".join([re.escape(f) for f in forms] + [query]))
        self.overlap = max([len(f) for f in forms] + [len(self._QUERY) + _QUERY_VALUE_CHARS]) - 1
        self.held = b""
        self.count = 0

    def _matches(self, data: bytes) -> Iterable[re.Match[bytes]]:
        low = data.lower()
        if not any(needle in low for needle in self.needles):
            return ()
        return self.pattern.finditer(low)

    def _replacement(self, data: bytes, match: re.Match[bytes]) -> bytes:
        self.count += 1
        if match.group(0).startswith(self._QUERY):  # keep the name as it was written, replace the value
            return data[match.start():match.start() + len(self._QUERY)] + REDACTED.encode()
        return REDACTED.encode()

    def _redact(self, data: bytes, safe: int) -> tuple[bytes, int]:
        """``data`` up to ``safe`` (or to the end of a match that starts before it) redacted; and where it stopped."""
        out, pos = [], 0
        for match in self._matches(data):
            if match.start() >= safe:
                break
            out += [data[pos:match.start()], self._replacement(data, match)]
            pos = match.end()
        cut = max(pos, safe)
        out.append(data[pos:cut])
        return b"".join(out), cut

    def feed(self, piece: bytes) -> bytes:
        """The redacted bytes that can be written now; the rest is held back for the next piece."""
        data = self.held + piece
        safe = len(data) - self.overlap  # a match starting before here lies wholly inside ``data``
        if safe <= 0:
            self.held = data
            return b""
        out, cut = self._redact(data, safe)
        self.held = data[cut:]
        return out

    def flush(self) -> bytes:
        """What was held back, redacted: the end of the answer."""
        data, self.held = self.held, b""
        return self._redact(data, len(data))[0]


def redact_bytes(data: bytes, key: str) -> bytes:
    """``data`` with every spelling of ``key`` replaced, as a stored answer has it."""
    redactor = _Redactor(key)
    return redactor.feed(data) + redactor.flush()


@dataclass(frozen=True)
class _Stored:
    """An answer streamed to a temporary file: its bytes as stored (redacted), their hash and size."""

    path: Path
    sha256: str
    received: int
    stored: int
    redactions: int


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


class _WriteError(Exception):
    """Writing the answer to disk failed (a full disk, a read-only folder): not worth another request."""

    def __init__(self, exc: OSError, folder: Path):
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.ENOSPC:
            reason = "no space left on the device (disk full)"
        super().__init__(f"cannot write the snapshot in {display(folder)}: {reason}")


def _stream_answer(response, folder: Path, key: str, max_bytes: int) -> _Stored | _Failure:
    """The body streamed in pieces to a new temporary file in ``folder``: redacted, hashed, refused past
    ``max_bytes`` (the partial file removed). Every read asks for a bounded number of bytes."""
    announced = response.headers.get("Content-Length")
    announced = int(announced) if announced and announced.strip().isdigit() else None
    if announced is not None and announced > max_bytes:
        return _Failure(f"the answer announces {announced:,} bytes, more than the {max_bytes:,}-byte limit; not read", False)
    tmp: Path | None = Path(folder) / f".comtrade-answer.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    redactor, digest, received, stored = _Redactor(key), hashlib.sha256(), 0, 0
    try:
        try:
            fh = open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666), "wb")
        except OSError as exc:
            raise _WriteError(exc, folder) from None

        def write(out: bytes) -> None:
            nonlocal stored
            digest.update(out)
            try:
                fh.write(out)
            except OSError as exc:
                raise _WriteError(exc, folder) from None
            stored += len(out)

        with fh:
            while True:
                try:
                    piece = response.read(min(PIECE_BYTES, max_bytes + 1 - received))
                except http.client.IncompleteRead as exc:
                    return _Failure(f"the connection closed after {received + len(exc.partial):,} bytes of the answer "
                                    "(truncated)", True)
                if not piece:
                    break
                received += len(piece)
                if received > max_bytes:
                    return _Failure(f"the answer is larger than the {max_bytes:,}-byte limit; reading stopped", False)
                write(redactor.feed(piece))
            write(redactor.flush())
            if announced is not None and received < announced:
                return _Failure(f"the connection closed after {received:,} of the {announced:,} bytes announced "
                                "(truncated)", True)
            try:
                fh.flush()
                os.fsync(fh.fileno())
            except OSError as exc:
                raise _WriteError(exc, folder) from None
        done, tmp = _Stored(tmp, digest.hexdigest(), received, stored, redactor.count), None
        return done
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _get(url: str, timeout: float, key: str = "", max_bytes: int = MAX_ANSWER_BYTES,
         into: Path | None = None) -> bytes | _Stored | _Failure:
    """One GET: the body (streamed to a temporary file in ``into`` when given, else in memory), or what went wrong."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": f"nkflows/{__version__}"})
    try:
        with _opener(url).open(request, timeout=timeout) as response:
            if into is not None:
                return _stream_answer(response, into, key, max_bytes)
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
    except _WriteError:
        raise
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        return _Failure(f"the connection failed ({type(exc).__name__}: {exc})", True)


def _strings(doc: Any) -> Iterable[str]:
    """Every key and text value in a decoded JSON document (no recursion: a deep document cannot overflow)."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _check_body(body: bytes, key: str = "") -> tuple[_Failure | None, int]:
    """An answer that is empty, or JSON cut short, is worth another try; a whole answer that breaks a rule is not.
    Returns the problem (None if the answer is good) and its number of records."""
    if not body.strip():
        return _Failure("HTTP 200 with an empty body", True), 0
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return _Failure(f"HTTP 200 but the body is not whole JSON ({len(body)} bytes; {exc}); truncated?", True), 0
    try:
        parse_api_json(body, "UN Comtrade response")
    except DataError as exc:
        return _Failure(f"the answer breaks the record rules: {exc}", False), 0
    # the bytes hold no listed spelling of the key (redacted while streaming); a spelling made of JSON
    # escapes (\u0061...) cannot be replaced in place, so an answer whose decoded text holds the key is refused
    pattern = _key_pattern(key) if b"\\" in body else None
    if pattern is not None and any(pattern.search(text) for text in _strings(doc)):
        return _Failure("the answer holds the subscription key written with JSON escapes, which cannot be replaced "
                        "in the stored bytes; refusing to store it", False), 0
    return None, len(doc["data"])


def _fetch_answer(url: str, key: str, folder: Path, *, timeout: float, max_attempts: int, base_delay: float,
                  max_delay: float, sleep: Callable[[float], None], progress: Callable[[str], None],
                  max_bytes: int = MAX_ANSWER_BYTES) -> tuple[_Stored, int]:
    """GET ``url`` until a whole, valid answer is stored in a temporary file in ``folder``; return it and its
    number of records (the caller removes the file). Raise with every attempt's problem when none arrives."""
    problems: list[str] = []
    for attempt in range(1, max_attempts + 1):
        try:
            got = _get(url, timeout, key, max_bytes, into=folder)
        except _WriteError as exc:
            raise ComtradeFetchError(f"{_redact(str(exc), key)}. Nothing was written.") from None
        records = 0
        if isinstance(got, _Stored):
            try:
                # read back whole for the strict check, as the build will read it (the size is capped)
                failure, records = _check_body(Path(got.path).read_bytes(), key)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(got.path)
                raise
            if failure is None:
                return got, records
            with contextlib.suppress(OSError):
                os.unlink(got.path)
        else:
            failure = got  # type: ignore[assignment]
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


def _make_folder(folder: Path) -> list[Path]:
    """Make ``folder`` and its missing parents; return those made (deepest first), to remove them if nothing is stored."""
    made = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        made.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True)
    return made


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
    out_dir = Path(out_dir)
    try:
        made = _make_folder(out_dir)
    except OSError as exc:
        raise ComtradeFetchError(f"{_WriteError(exc, out_dir)}. Nothing was fetched.") from None
    stored: _Stored | None = None
    try:
        stored, records = _fetch_answer(url, key, out_dir, timeout=timeout, max_attempts=max_attempts,
                                        base_delay=base_delay, max_delay=max_delay, sleep=sleep, progress=progress,
                                        max_bytes=max_bytes)
        if stored.redactions:
            progress(f"the answer held the subscription key {stored.redactions} time(s); each was replaced by "
                     f"{REDACTED} in the stored snapshot")
        path = _store(stored, records, out_dir, key, base=base, path_vars=path_vars, params=params, period=period,
                      rep=rep, par=par, years=years, freq=freq, cmd=cmd, flow=flow, type_code=type_code,
                      classification=classification, timeout=timeout, now=now)
        made = []
        return path
    finally:
        if stored is not None:
            with contextlib.suppress(OSError):
                os.unlink(stored.path)
        for folder in made:  # nothing was stored: remove the folders this fetch made, if still empty
            with contextlib.suppress(OSError):
                folder.rmdir()


def _store(stored: _Stored, records: int, out_dir: Path, key: str, *, base: str, path_vars: dict[str, str],
           params: dict[str, str], period: str, rep: int, par: int, years: list[int], freq: str, cmd: str, flow: str,
           type_code: str, classification: str, timeout: float, now: Callable[[], dt.datetime] | None) -> Path:
    """Link the stored answer into ``out_dir`` under a new name, with its sidecar; never overwrite."""
    now = now or (lambda: dt.datetime.now(dt.timezone.utc))
    retrieved = now()
    releases = _releases(base, path_vars, period, rep, key, timeout)
    stamp = retrieved.strftime("%Y%m%dT%H%M%SZ")
    stem = f"comtrade-final-{type_code}{freq}-{classification}-r{rep}-p{par}-{years[0]}-{years[-1]}-{stamp}"
    origin = base + DATA_PATH.format(**path_vars) + "?" + urlencode(params)
    description = ("Response body of the UN Comtrade data API (final data, classic breakdown), stored "
                   "exactly as received after it was checked to be whole and valid.")
    if stored.redactions:
        description = ("Response body of the UN Comtrade data API (final data, classic breakdown), stored as "
                       f"received except that the {stored.redactions} spelling(s) of the subscription key it held "
                       f"were replaced by {REDACTED}, after it was checked to be whole and valid.")
    for n in range(1, 1000):
        path = out_dir / (f"{stem}.json" if n == 1 else f"{stem}-{n}.json")
        side = path.with_name(path.name + SIDECAR_SUFFIX)
        if path.exists() or side.exists():
            continue
        meta = {
            "file": path.name,
            "sha256": stored.sha256,  # of the stored bytes, computed while they were written
            "title": f"UN Comtrade final data: {COUNTRIES[rep][2]} (M49 {rep}) with {COUNTRIES[par][2]} (M49 {par}), "
                     f"{classification} {cmd}, flows {flow}, {freq} {years[0]}-{years[-1]}",
            "description": description,
            "origin": origin,
            "collected": retrieved.date().isoformat(),
            "retrieved_at": retrieved.isoformat(timespec="seconds"),
            "records": records,
            "query": {**path_vars, **params},
            "client": f"nkflows {__version__} (the request comtradeapicall 1.3.2 getFinalData sends)",
            "dataset_releases": releases,
        }
        if stored.redactions:
            meta["key_redactions"] = stored.redactions
        side_bytes = (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        if contains_key(side_bytes, key):
            raise ComtradeFetchError("refusing to store a sidecar that contains the subscription key")
        try:
            os.link(stored.path, path)  # the whole answer appears at once, or not at all; never replaces a file
        except FileExistsError:
            continue  # another fetch took this name in the meantime
        except OSError as exc:
            raise ComtradeFetchError(f"{_WriteError(exc, out_dir)}. Nothing was written.") from None
        try:
            _write_new(side, side_bytes)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # no snapshot without its sidecar
            if isinstance(exc, OSError) and not isinstance(exc, FileExistsError):
                raise ComtradeFetchError(f"{_WriteError(exc, out_dir)}. Nothing was written.") from None
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
