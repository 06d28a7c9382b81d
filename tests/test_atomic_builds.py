"""Builds that cannot half-finish, and builds that repeat exactly.

``nkflows build`` and ``nkflows report`` run as separate processes and are killed
(SIGKILL, which no cleanup code can catch) at seeded random moments, some of them while
files are being written. After every kill, each published file must be whole: it parses,
validates, and is byte for byte either the version before the run or the version the
run was writing. Runs in fresh processes (fresh hash seeds) also give byte-identical
processed files, result tables, figures and report.
"""

from __future__ import annotations

import csv
import io
import json
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
from analysis.report.build import build_report
from analysis.validate import read_published

from .conftest import rewrite

SEED = 20261127
BUILD_KILLS = 6
REPORT_KILLS = 3


def tree(folder: Path) -> dict[str, bytes]:
    """Every visible file under ``folder`` (relative path -> bytes). Temporary files are hidden (``.name.*.tmp``)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "analysis.cli", *args]


#: The CLI with every rename delayed by 60 ms. The write phase of a build lasts a few
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


def _state(folder: Path) -> dict[str, int]:
    """Name -> modification time of every file, temporary ones included (a write has begun when this changes)."""
    out = {}
    for p in folder.rglob("*"):
        try:
            out[str(p)] = p.stat().st_mtime_ns
        except FileNotFoundError:  # a temporary file renamed away meanwhile
            out[str(p)] = -1
    return out


def run_and_kill(args: list[str], out: Path, rng: random.Random, full: float, during_write: bool) -> str:
    """Start ``args`` and SIGKILL it: at a random moment of its run, or (``during_write``, with
    renames stretched) at a random point of its writing. Returns when it was killed."""
    before = _state(out)
    proc = subprocess.Popen(stretched(args) if during_write else args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.perf_counter()
    if during_write:
        while proc.poll() is None and _state(out) == before:
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.15))
    else:
        time.sleep(rng.uniform(0.1, 1.0) * full)
    proc.send_signal(signal.SIGKILL)
    code = proc.wait()
    return f"{'as writing began' if during_write else 'at a random moment'} at {time.perf_counter() - t0:.2f}s (exit {code})"


def assert_whole(out: Path, old: dict[str, bytes], new: dict[str, bytes], when: str) -> None:
    now = tree(out)
    assert set(now) == set(new), f"{when}: files appeared or vanished: {set(now) ^ set(new)}"
    stray = [p.name for p in out.rglob("*") if p.name.startswith(".") and not p.name.endswith(".tmp")]
    assert not stray, f"{when}: unexpected hidden files {stray}"
    for name, data in now.items():
        assert data in (old[name], new[name]), f"{when}: {name} is neither the old nor the new version (partial write)"
        parse(out / name)


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
    elif suffix == ".json":
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
def states(built, reported, tmp_path_factory):
    """Old outputs (from the older raw snapshot), new ones (the session build and report), and
    the same build and report run again in fresh processes, with how long each took."""
    base = tmp_path_factory.mktemp("atomic")
    old_processed, old_reports = base / "old_processed", base / "old_reports"
    build(older_raw(base / "old_raw"), old_processed)
    build_report(old_processed, old_reports)
    again_processed, again_reports = base / "again_processed", base / "again_reports"
    seconds = {
        "build": run(cli("build", "--raw", str(RAW), "--out", str(again_processed))),
        "report": run(cli("report", "--processed", str(again_processed), "--out", str(again_reports))),
    }
    return {"old": (old_processed, old_reports), "new": (built[1], reported[1]),
            "again": (again_processed, again_reports), "seconds": seconds}


def test_fresh_processes_give_byte_identical_outputs(states):
    """Processed tables, result tables, figures and report text from a new process equal the in-process ones."""
    (processed, reports), (new_processed, new_reports) = states["again"], states["new"]
    assert tree(processed) == tree(new_processed)
    again, first = tree(reports), tree(new_reports)
    assert sorted(again) == sorted(first)
    for name in sorted(first):
        assert again[name] == first[name], f"reports/{name} differs between two runs"


def test_killed_build_and_report_leave_every_output_whole(states, tmp_path):
    (old_processed, old_reports), (new_processed, new_reports) = states["old"], states["new"]
    rng = random.Random(SEED)
    out = tmp_path / "out"
    steps = [
        ("build", old_processed, new_processed, cli("build", "--raw", str(RAW), "--out", str(out)), BUILD_KILLS),
        ("report", old_reports, new_reports, cli("report", "--processed", str(new_processed), "--out", str(out)), REPORT_KILLS),
    ]
    interrupted = 0
    for name, old_dir, new_dir, args, kills in steps:
        old, new = tree(old_dir), tree(new_dir)
        assert set(old) == set(new) and sum(old[k] != new[k] for k in new) >= 5  # a kill can mix old and new files
        for k in range(kills):
            shutil.rmtree(out, ignore_errors=True)
            shutil.copytree(old_dir, out)
            when = f"{name} killed " + run_and_kill(args, out, rng, states["seconds"][name], during_write=bool(k % 2))
            assert_whole(out, old, new, when)
            now = tree(out)
            mixed = any(now[f] != old[f] for f in now) and any(now[f] != new[f] for f in now)
            temp_left = any(p.name.endswith(".tmp") for p in out.rglob(".*"))
            if k % 2:
                assert mixed or temp_left, f"{when}: the kill did not land inside the writing"
                interrupted += 1
        if name == "build":  # after a kill, the next complete run finishes the job
            run(args)
            assert tree(out) == new
    assert interrupted == BUILD_KILLS // 2 + REPORT_KILLS // 2
