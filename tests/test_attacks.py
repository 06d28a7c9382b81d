"""Attacks beyond the corruption catalogue: strange numbers, files that are not files, outputs that
cannot be written, text that displays as something else, floods of errors, a key sent astray,
signals. Each case asserts the exit code, the message (file, line, column and rule where they
apply), that no Python traceback is printed, and that the output folder holds entirely the old
set or entirely the new one. Builds run in this process (fast); only signals need a subprocess.
The count is printed at the end of the run (``attack suite: N cases tried, N held``).
"""

from __future__ import annotations

import base64
import csv
import errno
import io
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import polars as pl
import pytest

from analysis import cli, files, rawio
from analysis.build import build
from analysis.fetch import comtrade as fetch_mod
from analysis.paths import RAW, ROOT

from .conftest import rewrite

TALLY = {"tried": 0, "held": 0}
FIX = Path(__file__).parent / "fixtures" / "comtrade"
GOOD = (FIX / "final_C_A_HS_prk_2019.json").read_bytes()
KEY = "attack-key-9c1f2e7a5b3d"


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    """Staging or old folders, or temporary files, left beside or inside ``out``."""
    beside = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    inside = [p.name for p in out.rglob(".*")] if out.is_dir() else []
    return beside + inside


@pytest.fixture(scope="module")
def old_set(tmp_path_factory) -> Path:
    """A published set built from data/raw: every attack's output folder starts as a copy of it."""
    out = tmp_path_factory.mktemp("attack_old") / "processed"
    build(RAW, out)
    return out


@pytest.fixture
def case(tmp_path, old_set, capsys):
    """A fresh raw copy and output folder; ``run`` builds through the CLI and checks the common promises."""
    raw, out = tmp_path / "raw", tmp_path / "out" / "processed"
    shutil.copytree(RAW, raw, symlinks=True)
    shutil.copytree(old_set, out)
    old = tree(out)

    class Case:
        def __init__(self):
            self.raw, self.out, self.old = raw, out, old

        def run(self, *args: str, code: int = 1, expect: tuple[str, ...] = (), outcome: str = "old") -> str:
            TALLY["tried"] += 1
            argv = list(args) or ["build", "--raw", str(raw), "--out", str(out)]
            got = cli.main(argv)
            captured = capsys.readouterr()
            text = captured.err + captured.out
            assert "Traceback" not in text
            assert got == code, text
            for fragment in expect:
                assert fragment in text, f"{fragment!r} not in:\n{text[:3000]}"
            if outcome == "old":
                assert tree(out) == old, "a failed run changed the output folder"
            assert not leftovers(out), leftovers(out)
            TALLY["held"] += 1
            return text

    return Case()


def edit(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell (``line`` is the file line, the header being line 1) and re-record the sidecar hash."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows[line - 1][rows[0].index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    rewrite(path, buf.getvalue())


FLOWS, ARRIVALS, EVENTS = "trade/flows.csv", "defectors/arrivals.csv", "events/events.csv"


# -- 3. numbers: finite, in range, ASCII digits, -0 as 0 ------------------------------------------

NUMBER_CASES = [
    ("400 digits", FLOWS, 4, "value", "9" * 400, "number is too large to be represented (not finite)"),
    ("past int64", ARRIVALS, 3, "arrivals", "9223372036854775808", "whole number out of range"),
    ("ceiling", FLOWS, 4, "value", "9223372036854775808", "less_than_or_equal_to(1000000000000000.0)"),
    ("full-width digits", ARRIVALS, 3, "arrivals", "２９１４", "ASCII digits 0-9 (found the non-ASCII digit '２', U+FF12)"),
    ("Arabic-Indic digits", FLOWS, 5, "value", "٣٠٠٠", "ASCII digits 0-9 (found the non-ASCII digit '٣', U+0663)"),
    ("Devanagari digits in a date", FLOWS, 6, "period_start", "२०१९-01-01", "ASCII digits 0-9"),
    ("exponent", FLOWS, 4, "value", "1e400", "must be a number"),
    ("inf", FLOWS, 4, "value", "inf", "must be a number"),
    ("NaN", FLOWS, 4, "value", "NaN", "must be a number"),
    ("negative count", ARRIVALS, 3, "arrivals", "-5", "greater_than_or_equal_to(0)"),
]


@pytest.mark.parametrize("label, rel, line, column, value, rule", NUMBER_CASES, ids=[c[0] for c in NUMBER_CASES])
def test_numbers_out_of_range_are_data_errors(case, label, rel, line, column, value, rule):
    edit(case.raw / rel, line, column, value)
    case.run(expect=(rel, f"line {line}", f"column '{column}'", rule))


def test_minus_zero_is_published_as_zero(case):
    edit(case.raw / "labor/workers.csv", 3, "value", "-0")
    case.run(code=0, outcome="new")
    text = (case.out / "labor_workers.csv").read_text(encoding="utf-8")
    assert "-0.0" not in text and ",0.0," in text
    zeros = [v for v in pl.read_parquet(case.out / "labor_workers.parquet")["value"].to_list() if v == 0]
    assert zeros and all(math.copysign(1.0, v) > 0 for v in zeros)


# -- 4. raw files are regular files inside the raw tree ----------------------------------------

def _folder_in_place(raw: Path) -> Path:
    (raw / FLOWS).unlink()
    (raw / FLOWS).mkdir()
    return raw / FLOWS


def _fifo_in_place(raw: Path) -> Path:
    (raw / FLOWS).unlink()
    os.mkfifo(raw / FLOWS)
    return raw / FLOWS


def _fifo_extra(raw: Path) -> Path:
    os.mkfifo(raw / "trade" / "flows_more.csv")
    return raw / "trade" / "flows_more.csv"


def _fifo_sidecar(raw: Path) -> Path:
    side = raw / (FLOWS + ".meta.json")
    side.unlink()
    os.mkfifo(side)
    return side


def _link_out(raw: Path) -> Path:
    (raw / "trade" / "flows_more.csv").symlink_to("/etc/passwd")
    return raw / "trade" / "flows_more.csv"


def _link_endless(raw: Path) -> Path:
    (raw / FLOWS).unlink()
    (raw / FLOWS).symlink_to("/dev/zero")
    return raw / FLOWS


def _link_dangling(raw: Path) -> Path:
    (raw / "trade" / "flows_more.csv").symlink_to(raw / "nowhere.csv")
    return raw / "trade" / "flows_more.csv"


def _link_loop(raw: Path) -> Path:
    (raw / "trade" / "a.csv").symlink_to(raw / "trade" / "b.csv")
    (raw / "trade" / "b.csv").symlink_to(raw / "trade" / "a.csv")
    return raw / "trade" / "a.csv"


def _link_folder(raw: Path) -> Path:
    (raw / "trade" / "again").symlink_to(raw / "defectors", target_is_directory=True)
    return raw / "trade" / "again"


def _socket(raw: Path) -> Path:
    path = raw / "trade" / "flows_more.csv"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()
    return path


FILE_CASES = [
    ("folder in a file's place", _folder_in_place, "is a folder where a raw file"),
    ("named pipe in a file's place", _fifo_in_place, "this is a named pipe (FIFO)"),
    ("extra named pipe", _fifo_extra, "this is a named pipe (FIFO)"),
    ("named pipe as a sidecar", _fifo_sidecar, "this is a named pipe (FIFO)"),
    ("link leaving the tree", _link_out, "symbolic link that leaves the raw data folder"),
    ("link to an endless stream", _link_endless, "symbolic link that leaves the raw data folder"),
    ("dangling link", _link_dangling, "points nowhere"),
    ("link loop", _link_loop, "points nowhere"),
    ("link to a folder", _link_folder, "symbolic link to a folder"),
    ("socket", _socket, "this is a socket"),
]


@pytest.mark.parametrize("label, make, rule", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_special_files_are_refused_by_name_before_reading(case, label, make, rule):
    path = make(case.raw)
    text = case.run(expect=(path.name, rule))
    assert "root:" not in text  # nothing of a file outside the tree is echoed


def test_raw_folder_that_is_a_file(case, tmp_path):
    bogus = tmp_path / "raw.txt"
    bogus.write_text("x\n")
    case.run("build", "--raw", str(bogus), "--out", str(case.out), expect=("raw.txt", "raw data folder must be a folder"))


def test_oversized_raw_file_is_refused(case, monkeypatch):
    monkeypatch.setattr(rawio, "MAX_FILE_BYTES", 10_000)
    case.run(expect=("bytes; raw files are read up to 10,000 bytes",))


def test_overlong_field_is_refused_at_its_line(case):
    edit(case.raw / FLOWS, 7, "note", "n" * (rawio.MAX_FIELD_CHARS + 1))
    case.run(expect=("trade/flows.csv", "line 7", "longer than 100,000 characters"))


# -- 7. quoting, control and bidirectional characters ------------------------------------------

def test_unclosed_quote_is_reported_where_it_opens(case):
    path = case.raw / FLOWS
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) > 40
    lines[4] = lines[4].replace(",final,", ',"final,', 1)
    rewrite(path, "".join(lines))
    case.run(expect=("trade/flows.csv, line 5:", "in the record that starts on this line", "is a quote unbalanced?"))


def test_quote_never_closed_is_reported_where_it_opens(case):
    """A quote opened on line 7 and never closed: the reader runs to the end of the file, 20 lines on."""
    path = case.raw / FLOWS
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    plain = [ln for ln in lines[1:] if '"' not in ln and ",final," in ln]
    broken = plain[5].replace(",final,", ',"final,', 1)
    rewrite(path, "".join([lines[0], *plain[:5], broken, *plain[6:26]]))
    case.run(expect=("trade/flows.csv, line 7:", "quoted field opens on this line and is never closed"))


TEXT_CASES = [
    ("right-to-left override in a title", EVENTS, 2, "title", "Treaty \u202egnirongi", "bidirectional-override character (U+202E"),
    ("isolate in a note", FLOWS, 3, "note", "note \u2066x\u2069", "bidirectional-override character (U+2066"),
    ("bell in a URL", "trade/sources.csv", 2, "url", "http://www.mediapen.com/news/\x07view", "control character (U+0007"),
    ("line break in a title", "trade/sources.csv", 2, "title", "two\nlines", "control character (U+000A"),
    ("escape sequence in a note", ARRIVALS, 2, "note", "\x1b[31mred", "control character (U+001B"),
]


@pytest.mark.parametrize("label, rel, line, column, value, rule", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_control_and_bidi_characters_are_refused(case, label, rel, line, column, value, rule):
    edit(case.raw / rel, line, column, value)
    case.run(expect=(rel, f"line {line}", f"column '{column}'", rule))


# -- 6. error output is capped ---------------------------------------------------------------

def test_a_flood_of_header_columns_prints_a_bounded_message(case):
    path = case.raw / ARRIVALS
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = lines[0].rstrip("\n") + "".join(f",extra{i}" for i in range(100_000)) + "\n"
    rewrite(path, "".join(lines))
    text = case.run(expect=("unknown column", "more problems of the kind"))
    assert len(text.splitlines()) < 100 and len(text) < 50_000


def test_thousands_of_bad_cells_print_the_first_of_each_kind_then_a_count(case):
    path = case.raw / FLOWS
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    j = rows[0].index("value")
    for r in rows[1:]:
        r[j] = "x"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    rewrite(path, buf.getvalue())
    text = case.run(expect=(f"{len(rows) - 1} problems", f"and {len(rows) - 1 - 20} more problems of the kind 'must be a number"))
    assert text.count("must be a number") == 21


# -- 1. outputs that cannot be written -------------------------------------------------------

def test_out_naming_an_existing_file(case, tmp_path):
    target = tmp_path / "a-file.csv"
    target.write_text("keep me\n")
    case.run("build", "--raw", str(case.raw), "--out", str(target), expect=("a-file.csv", "exists and is not a folder"))
    assert target.read_text() == "keep me\n"


def test_out_inside_a_file(case, tmp_path):
    target = tmp_path / "a-file.csv"
    target.write_text("keep me\n")
    case.run("build", "--raw", str(case.raw), "--out", str(target / "processed"), expect=("a-file.csv", "is not a folder"))


def test_report_out_naming_an_existing_file(case, tmp_path):
    target = tmp_path / "report.html"
    target.write_text("<html></html>\n")
    case.run("report", "--processed", str(case.out), "--out", str(target), "--no-pdf", expect=("report.html", "exists and is not a folder"))


def _fail_nth_write(monkeypatch, n: int, err: int) -> None:
    """The n-th file write of the set fails with ``err`` (a full disk, a read-only file system)."""
    real = files.os.fdopen
    count = {"n": 0}

    class Failing(io.RawIOBase):
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            raise OSError(err, os.strerror(err))

        def fileno(self):
            return self.fh.fileno()

        def __exit__(self, *exc):
            self.fh.close()

    def fdopen(fd, *args, **kwargs):
        count["n"] += 1
        fh = real(fd, *args, **kwargs)
        return Failing(fh) if count["n"] == n else fh
    monkeypatch.setattr(files.os, "fdopen", fdopen)


@pytest.mark.parametrize("n", [1, 2, 3])  # the changed files: events.csv, events.parquet, then manifest.json
def test_full_disk_during_the_write_phase_leaves_the_old_set(case, monkeypatch, n):
    edit(case.raw / EVENTS, 2, "title", "A reworded title")  # so that the set changes
    _fail_nth_write(monkeypatch, n, errno.ENOSPC)
    case.run(expect=("cannot write", "no space left on the device (disk full)", "was left as it was"))


def test_read_only_file_system_leaves_the_old_set(case, monkeypatch):
    edit(case.raw / EVENTS, 2, "title", "A reworded title")
    _fail_nth_write(monkeypatch, 3, errno.EROFS)
    case.run(expect=("cannot write", "not allowed to write (Read-only file system)"))


def test_read_only_output_folder(case, monkeypatch):
    edit(case.raw / EVENTS, 2, "title", "A reworded title")
    real = files.os.access
    monkeypatch.setattr(files.os, "access", lambda p, mode: False if Path(p) == case.out else real(p, mode))
    case.run(expect=("processed is not writable (read-only folder)",))


def test_failed_switch_leaves_the_old_set(case, monkeypatch):
    edit(case.raw / EVENTS, 2, "title", "A reworded title")
    monkeypatch.setattr(files, "exchange", lambda a, b: False)
    real = files.os.rename
    calls = {"n": 0}

    def rename(a, b):
        calls["n"] += 1
        if calls["n"] == 2:  # the new set's rename, after the old set was moved aside
            raise OSError(errno.EIO, "Input/output error")
        return real(a, b)
    monkeypatch.setattr(files.os, "rename", rename)
    case.run(expect=("cannot write", "Input/output error"))


# -- the set is one unit: validate sees mixes, the fallback recovers ----------------------------

def test_validate_refuses_a_set_mixed_from_two_builds(case):
    (case.out / "trade_flows.csv").write_bytes((case.out / "trade_flows.csv").read_bytes().replace(b"KITA", b"KOTRA", 1))
    case.run("validate", "--processed", str(case.out), outcome="any",
             expect=("trade_flows.csv", "SHA-256 differs from manifest.json"))


def test_validate_refuses_a_set_without_its_manifest(case):
    (case.out / "manifest.json").unlink()
    case.run("validate", "--processed", str(case.out), outcome="any", expect=("manifest.json", "the set has no manifest"))


def test_validate_checks_conflicts_against_their_table(case):
    """Even with a manifest that matches (rewritten), a conflict whose value is not in its table is refused."""
    flows = pl.read_csv(case.out / "trade_flows.csv", infer_schema_length=0)
    conflicts = pl.read_csv(case.out / "conflicts.csv", infer_schema_length=0)
    conflicts = conflicts.with_row_index("_i")
    row = conflicts.filter((pl.col("table") == "trade_flows") & (pl.col("conflict_type") == "sources_disagree")
                           & (pl.col("basis") == "reported")).row(0, named=True)
    conflicts = conflicts.with_columns(
        pl.when(pl.col("_i") == row["_i"]).then(pl.lit("123456789")).otherwise(pl.col("value")).alias("value")).drop("_i")
    conflicts.write_csv(case.out / "conflicts.csv", line_terminator="\n")
    from analysis.publish import manifest_bytes
    names = json.loads((case.out / "manifest.json").read_text())["files"]
    (case.out / "manifest.json").write_bytes(manifest_bytes({n: (case.out / n).read_bytes() for n in names}))
    assert flows.height > 0
    case.run("validate", "--processed", str(case.out), outcome="any",
             expect=("conflicts.csv", "column 'value'", "conflict lists 123456789", "trade_flows has no such figure"))


def test_interrupted_fallback_switch_is_recovered(case):
    """A process that died between the two renames of the fallback: the old set is put back."""
    aside = case.out.with_name(f".{case.out.name}.old-999999999-abc")
    os.rename(case.out, aside)
    stale = case.out.with_name(f".{case.out.name}.stage-999999999-xyz")
    stale.mkdir()
    case.run("validate", "--processed", str(case.out), code=0, expect=("files matching manifest.json",))
    assert not aside.exists() and not stale.exists()


def test_fallback_switch_without_renameat2(case, monkeypatch):
    monkeypatch.setenv("NKFLOWS_NO_EXCHANGE", "1")
    edit(case.raw / EVENTS, 2, "title", "A reworded title")
    case.run(code=0, outcome="new")
    assert b"A reworded title" in (case.out / "events.csv").read_bytes()
    assert tree(case.out)["sources.csv"] == case.old["sources.csv"]


def test_reader_during_a_build_switch_gets_one_whole_set(case, monkeypatch):
    """``tables.load`` is between its first and second file when a real build switches a changed set in:
    it returns the new set whole, never the first table of the old set beside the others of the new."""
    from analysis import tables

    TALLY["tried"] += 1
    before = tables.load(case.out)
    edit(case.raw / EVENTS, 2, "title", "A reworded title")
    real, builds = tables._read_at, []

    def read_at(fd, base, rel):
        data = real(fd, base, rel)
        if rel.endswith(".csv") and not builds:
            builds.append(build(case.raw, case.out))  # the switch lands here, mid-read
        return data
    monkeypatch.setattr(tables, "_read_at", read_at)
    got = tables.load(case.out)
    monkeypatch.setattr(tables, "_read_at", real)
    after = tables.load(case.out)
    assert builds and tree(case.out) != case.old
    assert all(got[name].equals(after[name]) for name in tables.NAMES)
    assert "A reworded title" in set(got["events"]["title"]) and "A reworded title" not in set(before["events"]["title"])
    assert not leftovers(case.out)
    TALLY["held"] += 1


def test_fit_refuses_a_set_changed_in_place(case, tmp_path):
    """A published folder changed file by file (not switched as a set): the reader names the file, fits nothing."""
    (case.out / "trade_flows.csv").write_bytes((case.out / "trade_flows.csv").read_bytes().replace(b"KITA", b"KOTRA", 1))
    case.run("fit", "--processed", str(case.out), "--out", str(tmp_path / "reports"), outcome="any",
             expect=("trade_flows.csv", "read twice, and neither read was of one set", "SHA-256 differs from manifest.json",
                     "run `nkflows build`"))
    assert not (tmp_path / "reports").exists()


# -- 5. the key stays home ---------------------------------------------------------------------

class Server:
    """A local server answering every data request with one scripted reply."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str] | None = None, chunked: bool = False):
        self.requests: list[str] = []
        me = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                me.requests.append(self.path)
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v.replace("{port}", str(me.port)))
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(body), 65536):
                        piece = body[i:i + 65536]
                        try:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        except OSError:
                            return
                    self.wfile.write(b"0\r\n\r\n")
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def loopback(monkeypatch):
    real = socket.socket.connect

    def connect(self, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
            raise AssertionError(f"the fetcher tried to reach {address[0]}")
        return real(self, address)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setenv(fetch_mod.ENV_KEY, KEY)


def fetch_case(capsys, tmp_path, server: Server, *, code: int, expect: tuple[str, ...], extra: tuple[str, ...] = ()) -> str:
    TALLY["tried"] += 1
    os.environ[fetch_mod.ENV_BASE] = server.url
    try:
        got = cli.main(["fetch", "comtrade", "--reporter", "CHN", "--years", "2019", "--out", str(tmp_path / "snap"), *extra])
    finally:
        del os.environ[fetch_mod.ENV_BASE]
    captured = capsys.readouterr()
    text = captured.err + captured.out
    assert got == code, text
    assert "Traceback" not in text
    for form in fetch_mod.key_forms(KEY):
        assert form.lower() not in text.lower(), f"the key ({form}) is in the message"
    assert KEY[:10] not in text and KEY[-10:] not in text
    for fragment in expect:
        assert fragment in text, text
    if code:
        assert not (tmp_path / "snap").exists() or not any((tmp_path / "snap").iterdir())
    TALLY["held"] += 1
    return text


@pytest.mark.parametrize("location", ["http://evil.example/steal", "http://127.0.0.1:1/other-port", "https://127.0.0.1:{port}/scheme"])
def test_redirect_to_another_host_is_not_followed(loopback, capsys, tmp_path, location):
    with Server(302, b"", {"Location": location}) as server:
        fetch_case(capsys, tmp_path, server, code=2, expect=("redirected the request to another host", "was not followed"))
    assert len(server.requests) == 1


ECHOES = [
    ("literal", KEY),
    ("percent-encoded upper", "".join(f"%{b:02X}" for b in KEY.encode())),
    ("percent-encoded lower", "".join(f"%{b:02x}" for b in KEY.encode())),
    ("base64", base64.b64encode(KEY.encode()).decode()),
    ("url-safe base64 unpadded", base64.urlsafe_b64encode(KEY.encode()).decode().rstrip("=")),
    ("upper case", KEY.upper()),
    ("quoted", quote(KEY, safe="")),
]


@pytest.mark.parametrize("label, spelling", ECHOES, ids=[e[0] for e in ECHOES])
def test_key_echoed_in_an_error_body_is_redacted(loopback, capsys, tmp_path, label, spelling):
    body = json.dumps({"statusCode": 401, "message": f"Access denied for key {spelling}; check it"}).encode()
    with Server(401, body) as server:
        fetch_case(capsys, tmp_path, server, code=2, expect=("HTTP 401", "[REDACTED]"))


def test_key_across_the_cut_of_an_error_body_is_redacted(loopback, capsys, tmp_path):
    pad = "x" * (fetch_mod.SHOWN_ERROR_CHARS - len("Access denied ") - 8)
    body = f"Access denied {pad}{KEY} more text".encode()
    with Server(403, body) as server:
        text = fetch_case(capsys, tmp_path, server, code=2, expect=("HTTP 403",))
    assert KEY[:6] not in text


def test_oversized_answer_announced_is_refused_unread(loopback, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_mod.fetch, "__kwdefaults__", {**fetch_mod.fetch.__kwdefaults__, "max_bytes": 1000})
    with Server(200, GOOD) as server:
        fetch_case(capsys, tmp_path, server, code=2, expect=("more than the 1,000-byte limit",))


def test_oversized_streamed_answer_is_cut_off(loopback, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_mod.fetch, "__kwdefaults__", {**fetch_mod.fetch.__kwdefaults__, "max_bytes": 100_000})
    with Server(200, b" " * 5_000_000, chunked=True) as server:
        fetch_case(capsys, tmp_path, server, code=2, expect=("larger than the 100,000-byte limit",))


def stored_snapshot(tmp_path) -> bytes:
    """The one snapshot a successful fetch stored (beside its sidecar; no temporary file left)."""
    names = sorted(p.name for p in (tmp_path / "snap").iterdir())
    assert len(names) == 2 and names[1] == names[0] + ".meta.json", names
    return (tmp_path / "snap" / names[0]).read_bytes()


def test_answer_holding_the_key_percent_encoded_is_stored_redacted(loopback, capsys, tmp_path):
    doc = json.loads(GOOD)
    doc["data"][0]["cmdDesc"] = "see " + "".join(f"%{b:02x}" for b in KEY.encode())
    with Server(200, json.dumps(doc).encode()) as server:
        fetch_case(capsys, tmp_path, server, code=0, expect=("held the subscription key 1 time(s)",))
    stored = stored_snapshot(tmp_path)
    assert json.loads(stored)["data"][0]["cmdDesc"] == "see [REDACTED]"
    assert not any(form.lower().encode() in stored.lower() for form in fetch_mod.key_forms(KEY))


def test_key_split_across_the_pieces_of_a_streamed_answer_is_redacted(loopback, capsys, tmp_path, monkeypatch):
    """The answer is read 5 bytes at a time, so each spelling of the key arrives cut into several pieces."""
    monkeypatch.setattr(fetch_mod, "PIECE_BYTES", 5)
    doc = json.loads(GOOD)
    doc["data"][0]["cmdDesc"] = " ".join(spelling for _, spelling in ECHOES)
    with Server(200, json.dumps(doc).encode(), chunked=True) as server:
        fetch_case(capsys, tmp_path, server, code=0, expect=("held the subscription key",))
    stored = stored_snapshot(tmp_path)
    assert set(json.loads(stored)["data"][0]["cmdDesc"].split()) == {"[REDACTED]"}
    assert not any(form.lower().encode() in stored.lower() for form in fetch_mod.key_forms(KEY))
    assert KEY[:8].encode() not in stored.lower() and KEY[-8:].encode() not in stored.lower()


def test_answer_holding_the_key_in_json_escapes_is_not_stored(loopback, capsys, tmp_path):
    doc = json.loads(GOOD)
    doc["data"][0]["cmdDesc"] = KEY
    body = json.dumps(doc).replace(KEY, "".join(f"\\u{ord(c):04x}" for c in KEY)).encode()
    with Server(200, body) as server:
        fetch_case(capsys, tmp_path, server, code=2, expect=("written with JSON escapes", "Nothing was written"))


def test_full_disk_while_the_answer_streams(loopback, capsys, tmp_path, monkeypatch):
    real_open = open

    class Full(io.RawIOBase):
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def fileno(self):
            return self.fh.fileno()

        def __exit__(self, *exc):
            self.fh.close()

    monkeypatch.setattr(fetch_mod, "open", lambda *a, **k: Full(real_open(*a, **k)), raising=False)
    with Server(200, GOOD) as server:
        fetch_case(capsys, tmp_path, server, code=2, expect=("cannot write the snapshot in", "no space left on the device (disk full)",
                                                             "Nothing was written"))
    assert len(server.requests) == 1  # not retried: the disk, not the server, failed


# -- 1, 2. signals ------------------------------------------------------------------------------

#: The CLI with each rename of the write phase slowed (200 ms), so a signal lands inside it.
SLOW = ("import os, sys, time\n"
        "_replace = os.replace\n"
        "def _slow(src, dst, **kw):\n"
        "    time.sleep(0.2)\n"
        "    _replace(src, dst, **kw)\n"
        "os.replace = _slow\n"
        "from analysis.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n")


@pytest.mark.parametrize("sig, delay", [(signal.SIGTERM, 0.25), (signal.SIGINT, 0.45), (signal.SIGTERM, 0.0), (signal.SIGINT, 0.05)])
def test_signal_in_the_write_phase_cleans_up_and_says_so(case, sig, delay):
    TALLY["tried"] += 1
    edit(case.raw / EVENTS, 2, "title", "A reworded title")
    proc = subprocess.Popen([sys.executable, "-c", SLOW, "build", "--raw", str(case.raw), "--out", str(case.out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(f".{case.out.name}.stage-") for p in case.out.parent.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "the build ended before writing began"
        time.sleep(0.002)
    time.sleep(delay)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    text = (out + err).decode()
    assert "Traceback" not in text
    assert proc.returncode == 128 + sig, text
    assert f"interrupted by {signal.Signals(sig).name}" in text
    assert tree(case.out) == case.old
    assert not leftovers(case.out)
    TALLY["held"] += 1


def test_a_signal_a_library_swallows_is_reported_as_the_interruption(monkeypatch, capsys):
    """A signal that lands while compiled code calls back into Python (polars reading a schema) cannot reach the
    caller as Interrupted: the library prints it as "ignored" and fails with its own error. The command still
    ends as interrupted (exit 128 + signal), with no traceback printed."""
    monkeypatch.setattr(files, "_received", None)

    class Callback:
        def __del__(self):  # an exception raised here is "unraisable", as one raised inside a compiled callback
            files._handler(signal.SIGTERM, None)

    def swallowed(_args):
        Callback()  # dropped at once: __del__ runs, its Interrupted goes to sys.unraisablehook
        raise TypeError("'<unprintable str object>' is not a Polars data type")

    monkeypatch.setattr(cli, "cmd_validate", swallowed)
    monkeypatch.setattr(cli, "parser", lambda: _one_command_parser(swallowed))
    assert cli.main(["validate"]) == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert "interrupted by SIGTERM" in err and "Traceback" not in err and "ignored" not in err


def _one_command_parser(func):
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("command")
    p.set_defaults(func=func)
    return p
