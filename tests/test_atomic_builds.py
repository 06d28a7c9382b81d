"""Builds that cannot half-finish, and builds that repeat exactly.

``nkflows build`` and ``nkflows report`` run as separate processes and are stopped at
seeded random moments, some of them while files are being written: by SIGKILL (which no
cleanup code can catch), by SIGTERM and by SIGINT (which must clean up, say so, exit
128 + the signal's number and print no traceback). After every stop, the output folder
is byte for byte *entirely* the set before the run or *entirely* the set the run was
writing (never a mix), every file parses, and ``nkflows validate`` agrees. A full disk
and a read-only file system (a small tmpfs the test mounts, where it may; an injected
failure of fsync or open otherwise) leave the old set, with a message. Runs in fresh
processes (fresh hash seeds) also give byte-identical processed files, result tables,
figures and report.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from analysis.build import build
from analysis.datapackage import PUBLISHED
from analysis.paths import RAW, ROOT
from analysis.files import staged_set
from analysis.models.run import write_results
from analysis.report.build import build_report
from analysis.errors import IssueLog
from analysis.validate import check_manifest, read_published, validate_processed

from .conftest import rewrite

SEED = 20261127
#: Runs per signal and command: one at a random moment of the run, one inside the writing (renames stretched). Every
#: signal meets every phase of both commands; more moments per signal repeated the same phases at several minutes' cost.
BUILD_KILLS = 2
REPORT_KILLS = 2
#: Each run is stopped by one of these, in turn.
SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), hidden ones included."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def staging(out: Path) -> list[Path]:
    """Staging folders beside ``out`` (where a run writes its new set before switching it in)."""
    return [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.stage-")] if out.parent.exists() else []


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "analysis.cli", *args]


#: The CLI with every rename delayed by 60 ms (the renames of the files into the staging folder). The write phase of a build lasts a few
#: milliseconds; stretched, a kill can land at a random point inside it on any machine.
#: Only the timing changes: the code that writes is the real one.
STRETCHED = ("import os, sys, time\n"
             "_replace = os.replace\n"
             "def _slow(src, dst, **kw):\n"
             "    time.sleep(0.06)\n"
             "    _replace(src, dst, **kw)\n"
             "os.replace = _slow\n"
             "from analysis.cli import main\n"
             "sys.exit(main(sys.argv[1:]))\n")


def stretched(args: list[str]) -> list[str]:
    return [sys.executable, "-c", STRETCHED, *args[3:]]


def run(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run_and_stop(args: list[str], out: Path, rng: random.Random, full: float, during_write: bool, sig: int) -> tuple[str, bool, str]:
    """Start ``args`` and send ``sig``: at a random moment of its run, or (``during_write``, with renames
    stretched) at a random point of its writing. Returns when it was stopped, and whether the new set
    was being staged at that moment."""
    proc = subprocess.Popen(stretched(args) if during_write else args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t0 = time.perf_counter()
    if during_write:
        while proc.poll() is None and not staging(out):
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.15))
    else:
        time.sleep(rng.uniform(0.1, 1.0) * full)
    writing = bool(staging(out))
    proc.send_signal(sig)
    stdout, stderr = proc.communicate()
    text = (stdout + stderr).decode("utf-8", "replace")
    name = signal.Signals(sig).name
    when = f"{name} {'as writing began' if during_write else 'at a random moment'} at {time.perf_counter() - t0:.2f}s (exit {proc.returncode})"
    assert "Traceback" not in text, f"{when}: a traceback was printed:\n{text}"
    if sig == signal.SIGKILL or proc.returncode in (0, -sig):
        # killed, or the run had finished (0), or was exiting after its work when the signal came (-sig)
        assert proc.returncode in (-sig, 0), when
        assert sig == signal.SIGKILL or not writing or proc.returncode == 0 or "wrote" in text, f"{when}: {text}"
    else:
        assert proc.returncode == 128 + sig, f"{when}: {text}"
        assert f"interrupted by {name}" in text, f"{when}: {text}"
        assert not staging(out), f"{when}: the staging folder was left behind"
    return when, writing, text


def assert_whole(out: Path, old: dict[str, bytes], new: dict[str, bytes], when: str) -> str:
    """The output is entirely the old set or entirely the new one; every file parses. Returns which."""
    now = tree(out)
    if now not in (old, new):
        from_old = sorted(n for n in now if n in old and now[n] == old[n] and old[n] != new.get(n))
        from_new = sorted(n for n in now if n in new and now[n] == new[n] and new[n] != old.get(n))
        raise AssertionError(f"{when}: the output mixes the old set ({from_old}) and the new one ({from_new}), "
                             f"or holds other files ({sorted(set(now) ^ set(new))})")
    for name in now:
        parse(out / name)
    return "old" if now == old else "new"


def parse(path: Path) -> None:
    """Read a published file the way a user would; raises if it is not whole."""
    suffix = path.suffix
    if suffix == ".csv":
        if path.parent.name in ("tables", "figures", "appendix"):  # result tables, figures' data, the data appendix
            pd.read_csv(path)
        else:
            PUBLISHED[path.stem].validate(read_published(path.parent, path.stem))
    elif suffix == ".parquet":
        pl.read_parquet(path)
    elif suffix == ".json":  # datapackage.json, manifest.json, figures.json
        json.loads(path.read_text(encoding="utf-8"))
    elif suffix == ".svg":
        ET.fromstring(path.read_bytes())
    elif suffix == ".png":
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82"), path
    elif suffix == ".pdf":
        data = path.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), path
    elif suffix == ".html":
        assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), path
    elif suffix == ".md":  # data/processed/README.md ends with the last table's last column row
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# ") and text.endswith("|\n"), path
    else:
        raise AssertionError(f"unexpected output {path}")


def older_raw(dst: Path) -> Path:
    """A copy of data/raw with a few notes and an event title worded differently (a previous snapshot)."""
    shutil.copytree(RAW, dst)
    edits = {"defectors/arrivals.csv": "note", "trade/flows.csv": "note", "labor/workers.csv": "note", "events/events.csv": "title"}
    for rel, column in edits.items():
        rows = list(csv.reader(io.StringIO((dst / rel).read_text(encoding="utf-8"), newline="")))
        j = rows[0].index(column)
        for r in rows[1:]:
            if r[j] and (column == "note" or r[0] == "border-closure-2020"):
                r[j] = f"{r[j]} (earlier wording)" if column == "note" else f"Earlier: {r[j]}"
                if column == "note":
                    break
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        rewrite(dst / rel, buf.getvalue())
    return dst


@pytest.fixture(scope="module")
def states(built, fitted, reported, tmp_path_factory):
    """Old outputs (from the older raw snapshot), new ones (the session build and report), and
    the same build and report run again in fresh processes, with how long each took."""
    base = tmp_path_factory.mktemp("atomic")
    old_processed, old_reports = base / "old_processed", base / "old_reports"
    build(older_raw(base / "old_raw"), old_processed)
    # the older snapshot differs in notes and an event title, which no model reads: fitting it gives the session's result
    # tables byte for byte (checked once: 33 of 33 equal), so they are written, not fitted again; the text, figures'
    # files and PDFs differ
    with staged_set(old_reports) as stage:
        write_results(fitted["results"], stage)
    build_report(old_processed, old_reports)
    again_processed, again_reports = base / "again_processed", base / "again_reports"
    seconds = {
        "build": run(cli("build", "--raw", str(RAW), "--out", str(again_processed))),
        "report": run(cli("report", "--processed", str(again_processed), "--out", str(again_reports))),
    }
    one_processed, one_reports = base / "one_processed", base / "one_reports"
    seconds["report --build"] = run(cli("report", "--build", "--raw", str(RAW), "--processed", str(one_processed), "--out", str(one_reports)))
    return {"old": (old_processed, old_reports), "new": (built[1], reported[1]),
            "again": (again_processed, again_reports), "one": (one_processed, one_reports), "seconds": seconds}


def test_fresh_processes_give_byte_identical_outputs(states):
    """Processed tables, result tables, figures and report text from a new process equal the in-process ones."""
    (processed, reports), (new_processed, new_reports) = states["again"], states["new"]
    assert tree(processed) == tree(new_processed)
    again, first = tree(reports), tree(new_reports)
    assert sorted(again) == sorted(first)
    for name in sorted(first):
        assert again[name] == first[name], f"reports/{name} differs between two runs"


def test_one_process_gives_what_three_give(states):
    """`nkflows report --build` (what `make report` runs from `make clean`: build, fits and report in one process)
    writes the same published tables, result tables, figures and documents as the three stages run one by one."""
    (processed, reports), (new_processed, new_reports) = states["one"], states["new"]
    assert tree(processed) == tree(new_processed)
    one, first = tree(reports), tree(new_reports)
    assert sorted(one) == sorted(first)
    for name in sorted(first):
        assert one[name] == first[name], f"reports/{name} differs between one process and three"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_during_the_data_build_stops_the_build_too(states, tmp_path, sig):
    """A signal to `nkflows report --build` while its data build runs (a process of its own) is passed on: the build
    removes what it was writing, and neither output folder is created or left with a staging folder beside it."""
    processed, out = tmp_path / "processed", tmp_path / "reports"
    proc = subprocess.Popen(cli("report", "--build", "--raw", str(RAW), "--processed", str(processed), "--out", str(out)),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(min(0.6, 0.5 * states["seconds"]["build"]))  # inside the build (it takes about 2 s)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    text = (stdout + stderr).decode("utf-8", "replace")
    assert proc.returncode == 128 + sig, text
    assert f"interrupted by {signal.Signals(sig).name}" in text and "Traceback" not in text, text
    assert not processed.exists() and not out.exists() and not staging(processed) and not staging(out), text
    found = [p.name for p in Path("/proc").glob("[0-9]*") if str(processed).encode() in _cmdline(p)]
    assert not found, f"the data build is still running: {found}"


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:  # the process ended meanwhile
        return b""


def test_a_failed_data_build_stops_the_run_with_its_error(tmp_path, capfd):
    """A data build that fails (here: a raw folder that is not there) ends `nkflows report --build` with the build's own
    error and exit status, before anything is fitted or written."""
    from analysis import cli as cli_module

    processed, out = tmp_path / "processed", tmp_path / "reports"
    code = cli_module.main(["report", "--build", "--raw", str(tmp_path / "no_raw"), "--processed", str(processed), "--out", str(out)])
    assert code == 1
    assert "no_raw" in capfd.readouterr().err  # the build's own message, naming the folder
    assert not processed.exists() and not out.exists()


def test_stopped_build_and_report_leave_the_old_set_or_the_new(states, tmp_path):
    (old_processed, old_reports), (new_processed, new_reports) = states["old"], states["new"]
    rng = random.Random(SEED)
    out = tmp_path / "out"
    steps = [
        ("build", old_processed, new_processed, cli("build", "--raw", str(RAW), "--out", str(out)), BUILD_KILLS),
        ("report", old_reports, new_reports, cli("report", "--processed", str(new_processed), "--out", str(out)), REPORT_KILLS),
    ]
    interrupted, outcomes = 0, []
    for name, old_dir, new_dir, args, kills in steps:
        old, new = tree(old_dir), tree(new_dir)
        assert set(old) == set(new) and sum(old[k] != new[k] for k in new) >= 5  # a per-file switch could mix them
        if name == "build":
            assert validate_processed(old_dir).startswith("valid: ") and validate_processed(new_dir).startswith("valid: ")
        for k in range(kills * len(SIGNALS)):
            sig = SIGNALS[k % len(SIGNALS)]
            for p in [out, *staging(out)]:  # (a SIGKILL leaves its staging folder; the next run clears it)
                shutil.rmtree(p, ignore_errors=True)
            shutil.copytree(old_dir, out)
            during_write = bool((k // len(SIGNALS)) % 2)
            when, writing, text = run_and_stop(args, out, rng, states["seconds"][name], during_write, sig)
            when = f"{name} stopped by {when}"
            which = assert_whole(out, old, new, when)
            outcomes.append(which)
            if sig != signal.SIGKILL and f"(exit {-sig})" in when:  # the signal came as the finished run exited
                assert which == "new", when
            if name == "build":  # validate agrees: the set's manifest matches (the full check ran once per set above)
                log = IssueLog()
                check_manifest(out, log)
                assert not log, f"{when}: {log.issues[:3]}"
            if during_write:
                assert writing, f"{when}: the signal did not land inside the writing"
                interrupted += 1
            if writing and sig != signal.SIGKILL and which == "new":  # the signal came during the switch itself
                assert "already switched in" in text or "(exit 0)" in when, f"{when}: the new set is in place: {text}"
        # after a stop, the next complete run finishes the job and clears what a SIGKILL left beside the set
        run(args)
        assert tree(out) == new and not staging(out)
    assert interrupted == (BUILD_KILLS // 2 + REPORT_KILLS // 2) * len(SIGNALS)
    assert "old" in outcomes


#: The CLI with one write failure injected: ``os.fsync`` fails with ENOSPC (a full disk) on the n-th file,
#: or ``os.open`` of a temporary file fails with EROFS (a read-only file system).
INJECTED = ("import errno, os, sys\n"
            "mode, n = sys.argv[1], int(sys.argv[2])\n"
            "count = [0]\n"
            "_fsync, _open = os.fsync, os.open\n"
            "def fsync(fd):\n"
            "    count[0] += 1\n"
            "    if mode == 'full' and count[0] == n:\n"
            "        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
            "    return _fsync(fd)\n"
            "def open_(path, flags, *a, **k):\n"
            "    if mode == 'ro' and str(path).endswith('.tmp'):\n"
            "        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))\n"
            "    return _open(path, flags, *a, **k)\n"
            "os.fsync, os.open = fsync, open_\n"
            "from analysis.cli import main\n"
            "sys.exit(main(sys.argv[3:]))\n")


def _expect_old(args: list[str], out: Path, old: dict[str, bytes], words: tuple[str, ...]) -> None:
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    text = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in text, text
    for w in words:
        assert w in text, text
    assert tree(out) == old and not staging(out)
    assert validate_processed(out).startswith("valid: ")


def test_full_disk_and_read_only_file_system_leave_the_old_set(states, tmp_path):
    """Injected failures (every run), then a real full disk and a real read-only file system on a small
    tmpfs where the test may mount one (root with CAP_SYS_ADMIN; skipped otherwise)."""
    old_processed = states["old"][0]
    old, new = tree(old_processed), tree(states["new"][0])
    changed = sum(old[f] != new[f] for f in new)  # files written into the staging folder (the rest are linked)
    out = tmp_path / "out"
    rng = random.Random(SEED)
    args = ["build", "--raw", str(RAW), "--out", str(out)]
    for mode, n, words in (("full", rng.randint(1, changed - 1), ("no space left on the device (disk full)",)),
                           ("full", changed, ("no space left on the device (disk full)",)),  # the manifest, last
                           ("ro", 0, ("not allowed to write (Read-only file system)",))):
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(old_processed, out)
        _expect_old([sys.executable, "-c", INJECTED, mode, str(n), *args], out, old, ("cannot write", *words))

    mnt = tmp_path / "mnt"
    mnt.mkdir()
    size = sum(len(v) for v in old.values()) + 256 * 1024
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root): the injected failures above stand in for it")
    try:
        small = mnt / "processed"
        shutil.copytree(old_processed, small)
        free = os.statvfs(mnt)
        (mnt / "filler").write_bytes(b"\0" * max(0, free.f_bavail * free.f_frsize - 48 * 1024))
        _expect_old(cli(*args[:-1], str(small)), small, old, ("cannot write", "disk full"))
        (mnt / "filler").unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        _expect_old(cli(*args[:-1], str(small)), small, old, ("not writable (read-only folder)",))
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_an_output_that_is_a_file_is_refused_before_the_data_build(tmp_path, capsys):
    """`nkflows report --build --out FILE` says so at once: no data is built for a report that cannot be written."""
    from analysis import cli as cli_module

    processed, out = tmp_path / "processed", tmp_path / "reports"
    out.write_text("not a folder\n", encoding="utf-8")
    assert cli_module.main(["report", "--build", "--raw", str(RAW), "--processed", str(processed), "--out", str(out)]) == 1
    assert "reports" in capsys.readouterr().err
    assert not processed.exists()
