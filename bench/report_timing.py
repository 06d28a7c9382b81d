"""``make bench`` (first part): how long the report takes, and where the time goes.

Measured, each as its own process, wall time and CPU time (user + system of the process
and its children, from ``getrusage``), the fastest of ``--repeat`` runs:

- ``full``: ``make clean`` then ``make report`` (data build, validation, result tables,
  figures, the three documents and the two PDFs);
- ``html_only``: ``nkflows report --no-pdf`` into an empty folder;
- ``noop``: ``make report`` with nothing changed;
- ``template``: ``make report`` after a template changed (the figures are reused).

Then one in-process run of the report into an empty folder, timed stage by stage
(imports, loading the tables, result tables, sentences, figures, HTML, PDFs).
The machine's load average is printed beside: on a shared machine other work adds wall
time, not CPU time. Results go to ``reports/bench_report.csv``.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
NKFLOWS = str(Path(PY).parent / "nkflows")
TEMPLATE = ROOT / "analysis" / "report" / "templates" / "report.html"


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


def touch_template() -> None:
    """Mark the report template changed: newer than the report's stamp, whatever the clock's resolution."""
    stamp = ROOT / ".build" / "report"
    when = max(time.time_ns(), stamp.stat().st_mtime_ns + 1_000_000_000 if stamp.exists() else 0)
    os.utime(TEMPLATE, ns=(when, when))


def best(label: str, prepare, cmd: list[str], repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        prepare()
        runs.append(run(cmd))
    wall, cpu = min(runs)
    return {"measure": label, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "wall_max_s": round(max(r[0] for r in runs), 2),
            "runs": repeat, "load_1min": round(os.getloadavg()[0], 2)}


def stages() -> list[dict]:
    """One report into an empty folder, in a fresh process, timed stage by stage."""
    code = (
        "import time, json, sys; t = time.perf_counter()\n"
        "from analysis.report.build import build_report\n"
        "from pathlib import Path\n"
        "imp = time.perf_counter() - t; timings = {}\n"
        "build_report(Path('data/processed'), Path(sys.argv[1]), timings=timings)\n"
        "print(json.dumps({'imports': imp, **timings}))\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([PY, "-c", code, tmp], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    import json

    timings = json.loads(out.strip().splitlines()[-1])
    return [{"measure": f"stage:{k}", "wall_s": round(v, 2), "cpu_s": "", "wall_max_s": "", "runs": 1,
             "load_1min": round(os.getloadavg()[0], 2)} for k, v in timings.items()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    rows = []
    print("timing the report (this takes a minute or two)...", flush=True)
    rows.append(best("full: make clean && make report", lambda: run(["make", "-s", "clean"]), ["make", "-s", "report"], args.repeat))
    fresh = Path(tempfile.mkdtemp(prefix="nkflows-bench-"))
    try:
        rows.append(best("html_only: nkflows report --no-pdf", lambda: (shutil.rmtree(fresh, ignore_errors=True), fresh.mkdir()),
                         [NKFLOWS, "report", "--no-pdf", "--out", str(fresh)], args.repeat))
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    rows.append(best("noop: make report", lambda: None, ["make", "-s", "report"], args.repeat))
    rows.append(best("template: make report after a template change", touch_template, ["make", "-s", "report"], args.repeat))
    rows += stages()
    out = ROOT / "reports" / "bench_report.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    width = max(len(r["measure"]) for r in rows)
    print(f"{'measure':<{width}}  {'wall s':>7}  {'cpu s':>6}  {'load':>5}")
    for r in rows:
        print(f"{r['measure']:<{width}}  {r['wall_s']:>7}  {r['cpu_s']!s:>6}  {r['load_1min']:>5}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
