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
