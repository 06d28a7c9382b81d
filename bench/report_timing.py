"""``make bench`` (first part): how long the report takes, and where the time goes.

Each measure runs as its own process, ``--repeat`` times (default 3); the table gives the
median wall time and the median CPU time (user + system of the command and every process
it waited for, from ``getrusage``), with the fastest and slowest wall time. On a machine
shared with other work, other work adds wall time but hardly any CPU time: compare CPU
seconds across runs and machines, and read the wall time beside the load average.

The report stage (what the targets of the report are about):

- ``report``: ``make clean-report`` then ``make report``: the report from the published
  tables (data/processed) and the result tables (reports/tables): figures with their data,
  the three documents with the interactive charts, the two PDFs;
- ``html_only``: ``nkflows report --no-fit --no-pdf`` into an empty folder holding the result tables;
- ``noop``: ``make report`` with nothing changed;
- ``template``: ``make report`` after a template changed (the figures are reused).

From ``make clean`` (everything built is removed, Parquet and result tables included):
``clean:total``, ``make report`` running the data build, the fits and the report in one
process (:mod:`analysis.pipeline`).

Then the same whole build from nothing in a fresh process, into empty folders, stage by
stage (``stage:*``, wall and CPU seconds, medians of the same number of runs): imports
beside the data build, the fits, reading the result tables, sentences, figures, HTML, PDFs.
Results go to ``reports/bench_report.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import byte_compile

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
NKFLOWS = str(Path(PY).parent / "nkflows")
TEMPLATE = ROOT / "analysis" / "report" / "templates" / "report.html"
OUT = ROOT / "reports" / "bench_report.csv"
#: The report's targets (wall seconds on two cores). ``clean:total`` is the build from ``make clean``
#: (data, fits and report), held to the same 10 s as the report stage; it is measured unless ``--no-clean``.
TARGETS = {"report": 10.0, "html_only": 5.0, "noop": 1.0, "clean:total": 10.0}
FIELDS = ["measure", "wall_s", "cpu_s", "wall_min_s", "wall_max_s", "runs", "load_1min", "what"]


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one command (its children included); stop with its output if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def summary(measure: str, runs: list[tuple[float, float]], what: str = "") -> dict:
    """One row of the table: median wall and CPU seconds of the runs, the fastest and slowest wall time."""
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    return {"measure": measure, "wall_s": round(statistics.median(walls), 2), "cpu_s": round(statistics.median(cpus), 2),
            "wall_min_s": round(min(walls), 2), "wall_max_s": round(max(walls), 2), "runs": len(runs),
            "load_1min": round(os.getloadavg()[0], 2), "what": what}


def touch_template() -> None:
    """Mark the report template changed: newer than the report's stamp, whatever the clock's resolution."""
    stamp = ROOT / ".build" / "report"
    when = max(time.time_ns(), stamp.stat().st_mtime_ns + 1_000_000_000 if stamp.exists() else 0)
    os.utime(TEMPLATE, ns=(when, when))


def repeated(measure: str, prepare, cmd: list[str], repeat: int, what: str) -> dict:
    runs = []
    for _ in range(repeat):
        prepare()
        runs.append(run(cmd))
    return summary(measure, runs, what)


def from_clean(repeat: int) -> list[dict]:
    """``make clean``, then ``make report``: the data build, the fits and the report, in one process."""
    runs = []
    for _ in range(repeat):
        run(["make", "-s", "clean"])
        runs.append(run(["make", "-s", "report"]))
    return [summary("clean:total", runs, "make clean && make report (data build, fits, report: one process)")]


STAGE_CODE = """
import json, os, sys, time
from analysis.cli import SINGLE_THREADED
for name in SINGLE_THREADED:  # as the command line sets them, before numpy is imported
    os.environ.setdefault(name, "1")
from analysis.timing import cpu_seconds
t, c = time.perf_counter(), cpu_seconds()
from pathlib import Path
from analysis import pipeline
timings = {}
pipeline.run(Path(sys.argv[1]) / "processed", Path(sys.argv[1]) / "reports", raw=Path("data/raw"), timings=timings)
timings["total"], timings["cpu:total"] = time.perf_counter() - t, cpu_seconds() - c
print(json.dumps(timings))
"""
STAGES = {"imports": "imports of the fits' libraries (pandas, pandera, statsmodels), beside the data build",
          "build": "data build (nkflows build, its own process) until it ended, counted from the start",
          "fit": "fits in two processes (the report's libraries imported meanwhile), result tables validated and written",
          "results": "read the result tables back", "sentences": "sentences", "figures": "figures: plotted-data CSVs and PNGs",
          "html": "HTML: three documents, interactive charts", "pdf": "PDFs: report and methods annex",
          "total": "the whole run from nothing: data/raw to the PDFs"}


def stages(repeat: int) -> list[dict]:
    """The whole build from nothing (empty folders for data/processed and reports), in a fresh process, timed stage by stage."""
    found: dict[str, list[tuple[float, float]]] = {}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="nkflows-bench-") as tmp:
            done = subprocess.run([PY, "-c", STAGE_CODE, tmp], cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"error: the staged build failed:\n{done.stderr[-2000:]}")
        timings = json.loads(done.stdout.strip().splitlines()[-1])
        for stage in [k for k in timings if not k.startswith("cpu:")]:
            found.setdefault(stage, []).append((timings[stage], timings.get(f"cpu:{stage}", float("nan"))))
    return [summary(f"stage:{k}", v, STAGES.get(k, "")) for k, v in found.items()]


def verdicts(rows: list[dict]) -> list[str]:
    by = {r["measure"]: r for r in rows}
    return [f"{name}: {by[name]['wall_s']} s wall (median), target {limit:g} s: {'met' if by[name]['wall_s'] <= limit else 'MISSED'}"
            for name, limit in TARGETS.items() if name in by]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3, help="runs of each measure (the table gives medians); default 3")
    p.add_argument("--no-clean", action="store_true", help="skip the measures from `make clean` (data build and fits included)")
    args = p.parse_args(argv)
    byte_compile()  # time the commands as an installed package runs them
    print(f"timing the report, {args.repeat} runs of each measure (a few minutes)...", flush=True)
    run(["make", "-s", "report"])  # the published tables and result tables the report stage reads
    rows = [repeated("report", lambda: run(["make", "-s", "clean-report"]), ["make", "-s", "report"], args.repeat,
                     "make clean-report && make report: figures, 3 documents, interactive charts, 2 PDFs")]
    fresh = Path(tempfile.mkdtemp(prefix="nkflows-bench-"))

    def empty_with_tables() -> None:
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.copytree(ROOT / "reports" / "tables", fresh / "tables")

    try:
        rows.append(repeated("html_only", empty_with_tables, [NKFLOWS, "report", "--no-fit", "--no-pdf", "--out", str(fresh)],
                             args.repeat, "nkflows report --no-fit --no-pdf into an empty folder"))
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    rows.append(repeated("noop", lambda: None, ["make", "-s", "report"], args.repeat, "make report, nothing changed"))
    rows.append(repeated("template", touch_template, ["make", "-s", "report"], args.repeat,
                         "make report after a template change (figures reused)"))
    if not args.no_clean:
        rows += from_clean(args.repeat)
        rows += stages(args.repeat)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    width = max(len(r["measure"]) for r in rows)
    print(f"{'measure':<{width}}  {'wall s':>7}  {'cpu s':>6}  {'min':>6}  {'max':>6}  {'load':>5}  what")
    for r in rows:
        print(f"{r['measure']:<{width}}  {r['wall_s']:>7}  {r['cpu_s']:>6}  {r['wall_min_s']:>6}  {r['wall_max_s']:>6}  {r['load_1min']:>5}  {r['what']}")
    print(f"medians of {args.repeat} runs; CPU = user + system, worker processes included")
    for line in verdicts(rows):
        print(line)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
