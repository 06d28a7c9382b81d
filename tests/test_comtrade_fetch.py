"""The UN Comtrade fetcher against a local server on 127.0.0.1 that misbehaves on purpose:
timeouts, HTTP 429 with Retry-After, 500 and 503, a dropped connection, truncated JSON, an
empty body, then a good answer. Nothing but loopback is ever contacted."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from analysis import cli
from analysis.errors import IssueLog
from analysis.fetch import comtrade as fetch_mod
from analysis.ingest import comtrade as ct
from analysis.provenance import read_sidecar

FIX = Path(__file__).parent / "fixtures" / "comtrade"
GOOD = (FIX / "final_C_A_HS_prk_2019.json").read_bytes()
KEY = "test-key-5f3c9a1e0b7d4c2a8e6f"
CLIENT_TIMEOUT = 0.5  # generous: only the deliberate 2-second stall may time out


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    real = socket.socket.connect

    def connect(self, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
            raise AssertionError(f"tests must not touch the network ({address[0]})")
        return real(self, address)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setenv(fetch_mod.ENV_KEY, KEY)
    monkeypatch.delenv(fetch_mod.ENV_BASE, raising=False)


class Stub:
    """A local HTTP server that answers each request with the next behaviour of a script
    (the last one repeats), and records the requests it got."""

    def __init__(self, script: list[tuple]):
        self.script = list(script)
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # the request line holds the key; print nothing
                pass

            def do_GET(self):
                stub.requests.append(self.path)
                if urlsplit(self.path).path.startswith("/data/v1/getDa/"):
                    return self.reply(200, json.dumps({"data": [{"datasetCode": 1562019010000, "period": "2019", "datasetChecksum": -5, "lastReleased": "2021-03-02T00:00:00", "other": 1}]}).encode())
                step = stub.script.pop(0) if len(stub.script) > 1 else stub.script[0]
                kind = step[0]
                if kind == "ok":
                    self.reply(200, GOOD)
                elif kind == "body":
                    self.reply(200, step[1])
                elif kind == "sleep":  # answer only after the client has given up
                    time.sleep(step[1])
                    self.reply(200, GOOD)
                elif kind == "status":
                    self.reply(step[1], step[2] if len(step) > 2 else b'{"statusCode": %d}' % step[1], step[3] if len(step) > 3 else {})
                elif kind == "drop":  # promise the whole body, send half, hang up
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(GOOD)))
                    self.end_headers()
                    self.wfile.write(GOOD[: len(GOOD) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                else:
                    raise AssertionError(kind)

            def reply(self, status: int, body: bytes, headers: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> "Stub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def data_requests(self) -> list[str]:
        return [r for r in self.requests if urlsplit(r).path.startswith("/data/v1/get/")]


def fixed_now():
    return dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)


def fetch(stub: Stub, out: Path, **kw):
    kw = {"timeout": CLIENT_TIMEOUT, "base_delay": 0.001, "max_delay": 0.01, "now": fixed_now, **kw}
    return fetch_mod.fetch(156, 408, [2019], out, base_url=stub.url, **kw)


def files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*")) if directory.exists() else []


def all_text(directory: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in directory.rglob("*") if p.is_file())


MISBEHAVIOUR = [
    ("sleep", 2.0),                                                   # timeout
    ("status", 429, b'{"statusCode": 429, "message": "Rate limit is exceeded."}', {"Retry-After": "7"}),
    ("status", 500),
    ("status", 503),
    ("drop",),                                                        # connection closed mid-body
    ("body", GOOD[: len(GOOD) // 3]),                                 # truncated JSON, complete HTTP
    ("body", b""),                                                    # empty answer
    ("ok",),
]


def test_survives_every_misbehaviour_then_stores_the_answer_as_received(tmp_path):
    sleeps, said = [], []
    with Stub(MISBEHAVIOUR) as stub:
        path = fetch(stub, tmp_path, max_attempts=8, max_delay=10, sleep=sleeps.append, progress=said.append)
    assert len(stub.data_requests()) == 8
    assert path.read_bytes() == GOOD  # the body exactly as the server sent it
    assert files(tmp_path) == sorted([path.name, path.name + ".meta.json"])
    # back-off doubles from base_delay; the 429's Retry-After (7 s) is honoured, capped at max_delay
    assert sleeps == [0.001, 7, 0.004, 0.008, 0.016, 0.032, 0.064]
    text = "\n".join(said)
    for words in ("timeout", "HTTP 429", "HTTP 500", "HTTP 503", "truncated", "not whole JSON", "empty body"):
        assert words in text, (words, text)
    assert KEY not in text and KEY not in all_text(tmp_path)
    flows = ct.records_to_flows(ct.read_api_json(path), "comtrade-fetched")
    assert flows.height == 4
    log = IssueLog()
    meta = read_sidecar(path, log)
    assert not log and meta["sha256"] == hashlib.sha256(GOOD).hexdigest()
    assert meta["origin"].startswith(stub.url + "/data/v1/get/C/A/HS?") and "subscription" not in meta["origin"]
    assert meta["records"] == 5 and meta["retrieved_at"] == "2024-05-06T07:08:09+00:00"
    assert meta["dataset_releases"] == [{"datasetCode": 1562019010000, "period": "2019", "datasetChecksum": -5, "lastReleased": "2021-03-02T00:00:00"}]


@pytest.mark.parametrize("step,words", [
    (("status", 503), "HTTP 503"),
    (("sleep", 2.0), "timeout"),
    (("drop",), "truncated"),
    (("body", GOOD[:-40]), "not whole JSON"),
    (("body", b"  "), "empty body"),
], ids=["503", "timeout", "dropped", "truncated-json", "empty"])
def test_gives_up_after_bounded_attempts_and_writes_nothing(tmp_path, step, words):
    sleeps = []
    with Stub([step]) as stub, pytest.raises(fetch_mod.ComtradeFetchError) as err:
        fetch(stub, tmp_path / "out", max_attempts=3, base_delay=1, max_delay=1.5, sleep=sleeps.append)
    assert len(stub.data_requests()) == 3 and sleeps == [1, 1.5]
    message = str(err.value)
    assert "in 3 attempts" in message and "attempt 3: " in message and words in message and "Nothing was written" in message
    assert KEY not in message
    assert files(tmp_path / "out") == []


@pytest.mark.parametrize("step,words", [
    (("status", 401, f'{{"statusCode": 401, "message": "Access denied", "url": "/data?subscription-key={KEY}"}}'.encode()), "HTTP 401"),
    (("status", 400), "HTTP 400"),
    (("body", b'{"count": 0, "data": [], "error": ""}'), "no records"),
    (("body", b'{"count": 1, "data": [], "error": "Invalid parameter reporterCode"}'), "reported an error"),
    (("body", json.dumps({"count": 1, "data": [{"typeCode": "C"}], "error": ""}).encode()), "required field is missing"),
], ids=["401", "400", "no-records", "api-error", "bad-record"])
def test_refusals_and_bad_answers_fail_at_once(tmp_path, step, words):
    sleeps = []
    with Stub([step]) as stub, pytest.raises(fetch_mod.ComtradeFetchError) as err:
        fetch(stub, tmp_path, sleep=sleeps.append)
    assert len(stub.data_requests()) == 1 and sleeps == []
    assert words in str(err.value) and "Nothing was written" in str(err.value)
    assert KEY not in str(err.value)
    assert files(tmp_path) == []


def test_missing_key_makes_no_request(tmp_path, monkeypatch):
    monkeypatch.delenv(fetch_mod.ENV_KEY)
    with Stub([("ok",)]) as stub, pytest.raises(fetch_mod.MissingKeyError, match="COMTRADE_API_KEY"):
        fetch(stub, tmp_path)
    assert stub.requests == [] and files(tmp_path) == []


def test_never_overwrites_and_a_failed_sidecar_write_leaves_nothing(tmp_path, monkeypatch):
    with Stub([("ok",)]) as stub:
        first = fetch(stub, tmp_path)
        second = fetch(stub, tmp_path)
        assert first != second and first.read_bytes() == second.read_bytes() == GOOD
        real_link, calls = fetch_mod.os.link, []

        def link_then_fail(src, dst):
            calls.append(dst)
            if len(calls) == 2:  # the sidecar's link fails after the snapshot's succeeded
                raise OSError("disk full")
            return real_link(src, dst)
        monkeypatch.setattr(fetch_mod.os, "link", link_then_fail)
        with pytest.raises(fetch_mod.ComtradeFetchError, match="cannot write the snapshot in .*third: disk full. Nothing was written"):
            fetch(stub, tmp_path / "third")
    assert files(tmp_path / "third") == []  # neither the snapshot, nor its temporary file, nor the folder the fetch made


def test_same_request_as_comtradeapicall(monkeypatch):
    """The URL path and query are those comtradeapicall.getFinalData builds (captured, never sent)."""
    import comtradeapicall
    import urllib3

    seen = {}

    def capture(self, method, url, fields=None, **kw):
        seen.update(method=method, url=url, fields=fields)
        raise urllib3.exceptions.RequestError(None, url, "captured")
    monkeypatch.setattr(urllib3.PoolManager, "request", capture)
    comtradeapicall.getFinalData(KEY, typeCode="C", freqCode="A", clCode="HS", period="2019", reporterCode="156",
                                 cmdCode="TOTAL", flowCode="M,X", partnerCode="408", partner2Code=None, customsCode=None,
                                 motCode=None, format_output="JSON", breakdownMode="classic", includeDesc=True)
    mine = fetch_mod.request_url(fetch_mod.DEFAULT_BASE, "/data/v1/get/C/A/HS",
                                 dict(reportercode="156", flowCode="M,X", period="2019", cmdCode="TOTAL", partnerCode="408",
                                      format="JSON", breakdownMode="classic", includeDesc="True"), KEY)
    assert seen["method"] == "GET" and mine.split("?")[0] == seen["url"]
    assert {k: v[0] for k, v in parse_qs(urlsplit(mine).query).items()} == {k: str(v) for k, v in seen["fields"].items()}


def test_cli_fetch_against_the_local_server(tmp_path, monkeypatch, capsys):
    with Stub([("ok",)]) as stub:
        monkeypatch.setenv(fetch_mod.ENV_BASE, stub.url)
        code = cli.main(["fetch", "comtrade", "--reporter", "CHN", "--years", "2019", "--out", str(tmp_path)])
        out = capsys.readouterr()
        assert code == 0 and out.out.strip().endswith(".json") and Path(out.out.strip()).read_bytes() == GOOD
    with Stub([("status", 401, f"bad key {KEY}".encode())]) as stub:
        monkeypatch.setenv(fetch_mod.ENV_BASE, stub.url)
        code = cli.main(["fetch", "comtrade", "--reporter", "CHN", "--years", "2019", "--out", str(tmp_path / "x")])
        err = capsys.readouterr().err
    assert code == 2 and "HTTP 401" in err and KEY not in err and fetch_mod.REDACTED in err


# -- the answer is streamed to the snapshot: bounded memory, a size limit, the key redacted ----------

import base64 as _b64  # noqa: E402
import errno  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import tracemalloc  # noqa: E402

from analysis.errors import Interrupted  # noqa: E402

#: The key in every spelling the fetcher knows, each distinct (the oracle replaces each with str.replace).
SPELLINGS = [KEY, KEY.upper(), "".join(f"%{b:02X}" for b in KEY.encode()), "".join(f"%{b:02x}" for b in KEY.encode()),
             _b64.b64encode(KEY.encode()).decode(), _b64.urlsafe_b64encode(KEY.encode()).decode().rstrip("="),
             KEY.encode().hex(), _b64.b32encode(KEY.encode()).decode()]


class Pieces:
    """A fake HTTP response whose body is made piece by piece (never held whole). Every ``read`` must ask
    for a bounded number of bytes; the sizes asked for are recorded."""

    def __init__(self, pieces, length: int | None = None, stop_at: int | None = None):
        self.pieces, self.buf, self.sizes, self.stop_at = iter(pieces), b"", [], stop_at
        self.headers = {"Content-Length": str(length)} if length is not None else {}

    def read(self, n=None):
        assert isinstance(n, int) and 0 < n <= fetch_mod.PIECE_BYTES, f"read({n!r}): unbounded or too large"
        self.sizes.append(n)
        if self.stop_at is not None and len(self.sizes) == self.stop_at:
            raise Interrupted(signal.SIGINT)  # Ctrl-C in the middle of the answer
        while len(self.buf) < n and (nxt := next(self.pieces, None)) is not None:
            self.buf += nxt
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def fake_http(monkeypatch, answer: Pieces) -> None:
    """The HTTP layer replaced: the data request gets ``answer``, the availability request a small answer."""
    class Opener:
        def open(self, request, timeout):
            if "/getDa/" in request.full_url:
                return Pieces([b'{"data": []}'])
            return answer
    monkeypatch.setattr(fetch_mod, "_opener", lambda url: Opener())


def test_a_key_split_across_pieces_is_redacted_as_in_the_whole_answer():
    """Any piece sizes (1 byte, around the overlap, random) give exactly the whole answer redacted at once; without
    the held-back overlap a spelling cut in two by a piece boundary would be written out unredacted."""
    text = " | ".join(f"pad{i} {s} " for i, s in enumerate(SPELLINGS)) + " url?subscription-key=not-a-known-spelling&x=1 end"
    expected = text
    for s in SPELLINGS:
        expected = expected.replace(s, fetch_mod.REDACTED)
    expected = expected.replace("subscription-key=not-a-known-spelling", "subscription-key=" + fetch_mod.REDACTED)
    data = text.encode()
    assert fetch_mod.redact_bytes(data, KEY) == expected.encode()
    overlap = fetch_mod._Redactor(KEY).overlap
    rng = random.Random(14)
    sizes = [[1], [2], [3], [overlap], [overlap + 1], [len(KEY) // 2]] + [[rng.randint(1, 400) for _ in range(300)] for _ in range(20)]
    for plan in sizes:
        redactor, out, pos = fetch_mod._Redactor(KEY), [], 0
        for size in itertools.cycle(plan):
            if pos >= len(data):
                break
            out.append(redactor.feed(data[pos:pos + size]))
            pos += size
        out.append(redactor.flush())
        assert b"".join(out) == expected.encode(), plan[:5]
        assert redactor.count == len(SPELLINGS) + 1


def test_a_50_mb_answer_is_streamed_in_bounded_memory(tmp_path):
    """50 MiB in pieces, with the key split across two of them: Python's peak allocation stays a few MiB (the old
    reader held the whole answer), every read asks for at most one piece, and the hash is that of the stored bytes."""
    piece = fetch_mod.PIECE_BYTES
    block = bytes(range(256)) * (piece // 256)
    cut = 10
    left, right = block[:-cut] + KEY[:cut].encode(), KEY[cut:].encode() + block[len(KEY) - cut:]
    pieces = [block] * 24 + [left, right] + [block] * 24
    expected = hashlib.sha256()
    for p in [block] * 24 + [block[:-cut] + fetch_mod.REDACTED.encode() + block[len(KEY) - cut:]] + [block] * 24:
        expected.update(p)
    answer = Pieces(pieces)
    tracemalloc.start()
    try:
        got = fetch_mod._stream_answer(answer, tmp_path, KEY, 64 * piece)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(got, fetch_mod._Stored)
    assert got.received == 50 * piece and got.redactions == 1
    assert got.stored == 50 * piece - len(KEY) + len(fetch_mod.REDACTED)
    assert got.sha256 == expected.hexdigest()
    digest = hashlib.sha256()
    with open(got.path, "rb") as fh:
        while chunk := fh.read(piece):
            digest.update(chunk)
    assert digest.hexdigest() == got.sha256 and got.path.stat().st_size == got.stored
    assert peak < 8 * piece, f"peak {peak / piece:.1f} MiB while streaming 50 MiB"
    assert max(answer.sizes) <= piece and len(answer.sizes) <= 52
    assert got.path.parent == tmp_path and got.path.name.startswith(".")  # hidden, beside the snapshot


def test_an_endless_answer_is_cut_off_at_the_limit_and_the_partial_file_removed(tmp_path, monkeypatch):
    limit = 3 * fetch_mod.PIECE_BYTES
    answer = Pieces(itertools.repeat(b"x" * 65536))  # no Content-Length, never ends
    got = fetch_mod._stream_answer(answer, tmp_path, KEY, limit)
    assert isinstance(got, fetch_mod._Failure) and not got.retry
    assert got.problem == "the answer is larger than the 3,145,728-byte limit; reading stopped"
    assert sum(answer.sizes) == limit + 1  # reading stopped one byte past the limit
    assert list(tmp_path.iterdir()) == []
    # through fetch: a clear error, one request, and no folder left behind
    fake_http(monkeypatch, Pieces(itertools.repeat(b"x" * 65536)))
    with pytest.raises(fetch_mod.ComtradeFetchError, match="larger than the 3,145,728-byte limit; reading stopped.*Nothing was written"):
        fetch_mod.fetch(156, 408, [2019], tmp_path / "snap", max_bytes=limit, sleep=lambda s: None)
    assert not (tmp_path / "snap").exists()


@pytest.mark.parametrize("piece", [1, 5, 64, 4096], ids=lambda n: f"pieces-of-{n}")
def test_the_stored_snapshot_has_the_key_redacted_in_every_spelling(tmp_path, monkeypatch, piece):
    """A real answer over HTTP holding the key in eight spellings, read in small pieces: the snapshot holds none of
    them, its sidecar's hash is that of the stored bytes, it says how many were replaced, and the build reads it."""
    monkeypatch.setattr(fetch_mod, "PIECE_BYTES", piece)
    doc = json.loads(GOOD)
    doc["data"][0]["cmdDesc"] = "All " + " / ".join(SPELLINGS)
    body = json.dumps(doc).encode()
    said = []
    with Stub([("body", body)]) as stub:
        path = fetch(stub, tmp_path, progress=said.append)
    stored = path.read_bytes()
    assert stored == fetch_mod.redact_bytes(body, KEY)
    assert json.loads(stored)["data"][0]["cmdDesc"] == "All " + " / ".join([fetch_mod.REDACTED] * len(SPELLINGS))
    assert not any(s.lower().encode() in stored.lower() for s in fetch_mod.key_forms(KEY))
    log = IssueLog()
    meta = read_sidecar(path, log)
    assert not log and meta["sha256"] == hashlib.sha256(stored).hexdigest() and meta["key_redactions"] == len(SPELLINGS)
    assert "replaced by [REDACTED]" in meta["description"] and any("held the subscription key 8 time(s)" in s for s in said)
    assert ct.records_to_flows(ct.read_api_json(path), "comtrade-fetched").height == 4
    assert files(tmp_path) == sorted([path.name, path.name + ".meta.json"])  # no temporary file left


def test_a_key_written_with_json_escapes_is_refused(tmp_path):
    """``\\u0074est-key-...`` holds no listed spelling in its bytes but decodes to the key: it cannot be replaced in
    place, so nothing is stored."""
    doc = json.loads(GOOD)
    doc["data"][0]["cmdDesc"] = KEY
    body = json.dumps(doc).replace(KEY, "\\u0074" + KEY[1:]).encode()
    assert KEY.encode() not in body and json.loads(body)["data"][0]["cmdDesc"] == KEY
    with Stub([("body", body)]) as stub, pytest.raises(fetch_mod.ComtradeFetchError, match="written with JSON escapes"):
        fetch(stub, tmp_path / "snap")
    assert len(stub.data_requests()) == 1 and not (tmp_path / "snap").exists()


def test_a_full_disk_while_streaming_stops_at_once(tmp_path, monkeypatch):
    real_open = open

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    monkeypatch.setattr(fetch_mod, "open", lambda *a, **k: Full(real_open(*a, **k)), raising=False)
    with Stub([("ok",)]) as stub, pytest.raises(fetch_mod.ComtradeFetchError) as err:
        fetch(stub, tmp_path / "snap", sleep=lambda s: None)
    assert str(err.value).startswith("cannot write the snapshot in ") and "no space left on the device (disk full). Nothing was written." in str(err.value)
    assert len(stub.data_requests()) == 1  # a full disk is not the server's fault: no retry
    assert not (tmp_path / "snap").exists()


def test_an_interrupt_in_the_middle_of_the_answer_leaves_nothing(tmp_path, monkeypatch):
    fake_http(monkeypatch, Pieces(itertools.repeat(b" " * 4096), stop_at=3))
    (tmp_path / "snap").mkdir()
    with pytest.raises(Interrupted):
        fetch_mod.fetch(156, 408, [2019], tmp_path / "snap", sleep=lambda s: None)
    assert list((tmp_path / "snap").iterdir()) == []  # the temporary file is removed; the existing folder kept
