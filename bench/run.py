"""``make bench``: time the build and bulk ingestion; write reports/bench.csv and print a table.

1. **The build.** ``make report`` after ``make clean`` and with the published files of
   data/processed removed (saved first and put back if the build fails), then a no-op
   ``make report``; then each command that a full ``make report`` runs (``make -n``),
   one by one from the same clean state, to show where the time goes.
2. **Bulk ingestion.** Synthetic UN Comtrade bulk files in the layout the bulk endpoint
   serves (:mod:`bench.generate_bulk`: gzip, tab-separated, CRLF, the 34 bulk columns)
   of 1, 4 and 10 million rows, drawn once into bench/data/ and reused; on each,
   ``nkflows ingest-bulk``, a chunked pandas reader and DuckDB (:mod:`bench.contenders`)
   extract the North Korea rows to Parquet, and ``inflate-only`` (ISA-L inflating the
   file and discarding the text, one core) measures the floor. The three readers must
   keep the same number of rows, and that number must be what the generator drew (else
   the benchmark stops with an error).

Every command runs as its own process, started by a small launcher
(:mod:`bench.measure`) that measures its wall time and its peak memory: the largest
resident set of the process and of any process it waited for (``os.wait4``). Each
measurement is repeated (bulk: ``--repeat`` rounds of the four commands, inflate-only
first and ingest-bulk right after it, default 3; full build: 3 runs; no-op build: 9) and
``wall_s`` is the fastest run (``wall_max_s`` the slowest): on a shared machine, other
work only ever adds time. Ratios compare tools measured in the same run (machines
differ): ``ratio_vs_pandas`` = pandas' wall time / this tool's (above 1 = faster than
pandas), likewise ``ratio_vs_duckdb``, and ``share_of_inflate`` = inflate-only's wall
time / this tool's (1 = as fast as merely inflating the file), fastest against fastest.
``share_of_inflate_median`` is the same ratio taken within each round (the two commands
ran back to back, under the same load) and then the median over the rounds; the
target for ingest-bulk (0.70 or more) is checked on it. ``mb_per_s`` counts the file as
stored (gzip); ``text_mb`` is its size decompressed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import Measured, byte_compile, measure

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
PROCESSED = ROOT / "data" / "processed"
OUT = ROOT / "reports" / "bench.csv"
SIZES = (1_000_000, 4_000_000, 10_000_000)
SEED = 408
VENV_BIN = Path(sys.executable).parent

PANDAS, DUCKDB, INFLATE = "pandas (read_csv chunks)", "duckdb", "inflate-only (ISA-L, 1 core)"
INGEST = "nkflows ingest-bulk"
TARGETS = {
    "full_build_s": 20.0,
    "noop_build_s": 1.0,
    "speedup_vs_pandas": 5.0,
    "speedup_vs_duckdb": 1.0,
    "peak_rss_mb": 200.0,
    "share_of_inflate": 0.70,
}

COLUMNS = ["benchmark", "tool", "rows", "file_mb", "text_mb", "runs", "wall_s", "wall_max_s", "rows_per_s", "mb_per_s",
           "peak_rss_mb", "ratio_vs_pandas", "ratio_vs_duckdb", "share_of_inflate", "share_of_inflate_median"]


class BenchError(RuntimeError):
    pass


def run(cmd: list[str]) -> Measured:
    """Run ``cmd`` in the repository (through :func:`bench.measure.measure`); stop on failure."""
    m = measure(cmd, cwd=ROOT)
    if m.returncode != 0:
        raise BenchError(f"`{shlex.join(cmd)}` exited {m.returncode}:\n{m.stderr[-2000:]}")
    return m


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- build
def _published() -> list[Path]:
    return sorted(p for p in PROCESSED.iterdir() if p.suffix in (".csv", ".parquet", ".json"))


def _clean(backup: Path) -> None:
    """``make clean`` and remove data/processed's published files (copied to ``backup`` first)."""
    run(["make", "clean"])
    backup.mkdir(parents=True, exist_ok=True)
    for p in _published():
        if not (backup / p.name).exists():
            shutil.copy2(p, backup / p.name)
        p.unlink()


def _restore(backup: Path) -> None:
    for p in backup.iterdir():
        if not (PROCESSED / p.name).exists():
            shutil.copy2(p, PROCESSED / p.name)


def bench_build(repeat: int) -> list[dict]:
    rows = []
    backup = Path(tempfile.mkdtemp(prefix="nkflows-bench-processed-"))
    try:
        full, noop = [], []
        for i in range(repeat):
            _clean(backup)
            say(f"build: make report from clean ({i + 1}/{repeat})")
            full.append(run(["make", "report"]))
            noop.extend(run(["make", "report"]) for _ in range(3))
        rows.append(_build_row("make report (full, from clean)", full))
        rows.append(_build_row("make report (no-op)", noop))
        _clean(backup)
        steps = [line for line in run(["make", "-n", "report"]).stdout.splitlines()
                 if line.startswith(str(Path(".venv") / "bin")) or line.startswith(".venv/bin")]
        for step in steps:
            say(f"build step: {step}")
            rows.append(_build_row(f"step: {step.removeprefix('.venv/bin/')}", [run(["bash", "-c", step])]))
        run(["make", "report"])  # leave the stamps and reports of a full build
    except BaseException:
        _restore(backup)
        raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)
    return rows


def _build_row(tool: str, runs: list[Measured]) -> dict:
    return {"benchmark": "build", "tool": tool, "runs": len(runs),
            "wall_s": min(r.wall_s for r in runs), "wall_max_s": max(r.wall_s for r in runs),
            "peak_rss_mb": max(r.peak_rss_mb for r in runs)}


# ------------------------------------------------------------------------------ bulk
def _kept(tool: str, run: Measured) -> int:
    if tool == INGEST:  # prints "files: 1, bytes: ..., rows_kept: 4,509"
        fields = dict(part.split(": ") for part in run.stdout.strip().splitlines()[-1].split(", "))
        return int(fields["rows_kept"].replace(",", ""))
    return json.loads(run.stdout.strip().splitlines()[-1])["rows_kept"]


def bench_bulk(sizes: tuple[int, ...], repeat: int) -> list[dict]:
    from bench.generate_bulk import ensure, expected_dprk_lines

    rows = []
    work = Path(tempfile.mkdtemp(prefix="nkflows-bench-out-"))
    try:
        for n in sizes:
            path = DATA / f"bulk_{n}_seed{SEED}.txt.gz"
            say(f"bulk: {path.name} (drawn once, then reused)")
            info = ensure(path, n, SEED, progress=True)
            expected = len(expected_dprk_lines(n, SEED))
            if n == sizes[0]:
                from analysis.ingest.linescan import scanner_name

                say(f"bulk: ingest-bulk searches with its {scanner_name()} counter")
            tools = {  # inflate-only and ingest-bulk back to back in each round, so their ratio sees the same load
                INFLATE: [sys.executable, "-m", "bench.contenders", "inflate", str(path), str(work / "none")],
                INGEST: [str(VENV_BIN / "nkflows"), "ingest-bulk", str(path), "--out", str(work / "nkflows.parquet"), "--quiet"],
                PANDAS: [sys.executable, "-m", "bench.contenders", "pandas", str(path), str(work / "pandas.parquet")],
                DUCKDB: [sys.executable, "-m", "bench.contenders", "duckdb", str(path), str(work / "duckdb.parquet")],
            }
            runs: dict[str, list[Measured]] = {tool: [] for tool in tools}
            for i in range(repeat):  # rounds: a burst of load on the machine hits every tool alike
                for tool, cmd in tools.items():
                    say(f"bulk: {n:,} rows, {tool} (round {i + 1}/{repeat})")
                    runs[tool].append(run(cmd))
            kept = {tool: {_kept(tool, r) for r in rs} for tool, rs in runs.items() if tool != INFLATE}
            if any(k != {expected} for k in kept.values()):
                raise BenchError(f"{path.name}: the tools kept different rows (the generator drew {expected:,} DPRK rows): "
                                 + "; ".join(f"{t}: {sorted(k)}" for t, k in kept.items()))
            best = {tool: min(r.wall_s for r in rs) for tool, rs in runs.items()}
            for tool, rs in runs.items():
                wall = best[tool]
                rows.append({
                    "benchmark": "bulk", "tool": tool, "rows": n, "runs": len(rs),
                    "file_mb": info["bytes"] / 1e6, "text_mb": info["text_bytes"] / 1e6,
                    "wall_s": wall, "wall_max_s": max(r.wall_s for r in rs),
                    "rows_per_s": n / wall, "mb_per_s": info["bytes"] / 1e6 / wall,
                    "peak_rss_mb": max(r.peak_rss_mb for r in rs),
                    "ratio_vs_pandas": best[PANDAS] / wall, "ratio_vs_duckdb": best[DUCKDB] / wall,
                    "share_of_inflate": best[INFLATE] / wall,
                    # the same ratio within each round (inflate-only run just before), then the median of the rounds
                    "share_of_inflate_median": statistics.median(i.wall_s / r.wall_s for i, r in zip(runs[INFLATE], rs)),
                })
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


# ---------------------------------------------------------------------------- output
def _fmt(v: object, col: str) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, float):
        if col.startswith(("ratio", "share")):
            return f"{v:.2f}"
        if col in ("rows_per_s",):
            return f"{v:.0f}"
        return f"{v:.3f}" if col.startswith("wall") else f"{v:.1f}"
    return str(v)


def write_csv(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([_fmt(r.get(c), c) for c in COLUMNS])
    os.replace(tmp, path)


def verdicts(rows: list[dict]) -> list[str]:
    """One line per target: the measured value, the target, met or missed."""
    out = []

    def line(ok: bool, text: str) -> None:
        out.append(f"{'met   ' if ok else 'MISSED'} {text}")

    for r in rows:
        if r["benchmark"] == "build" and r["tool"].startswith("make report (full"):
            line(r["wall_max_s"] < TARGETS["full_build_s"], f"full build {r['wall_s']:.2f} s (slowest of {r['runs']}: {r['wall_max_s']:.2f} s) < {TARGETS['full_build_s']:.0f} s")
        if r["benchmark"] == "build" and r["tool"] == "make report (no-op)":
            line(r["wall_max_s"] < TARGETS["noop_build_s"], f"no-op build {r['wall_s']:.3f} s (slowest of {r['runs']}: {r['wall_max_s']:.3f} s) < {TARGETS['noop_build_s']:.0f} s")
    ours = [r for r in rows if r["benchmark"] == "bulk" and r["tool"] == INGEST]
    for r in ours:
        n = f"{r['rows']:,} rows:"
        line(r["ratio_vs_pandas"] >= TARGETS["speedup_vs_pandas"], f"{n} ingest-bulk {r['ratio_vs_pandas']:.1f}x pandas' throughput (target >= 5x)")
        line(r["ratio_vs_duckdb"] >= TARGETS["speedup_vs_duckdb"], f"{n} ingest-bulk {r['ratio_vs_duckdb']:.2f}x DuckDB's throughput (target >= 1x)")
        line(r["peak_rss_mb"] <= TARGETS["peak_rss_mb"], f"{n} ingest-bulk peak memory {r['peak_rss_mb']:.0f} MB <= 200 MB")
        line(r["share_of_inflate_median"] >= TARGETS["share_of_inflate"],
             f"{n} ingest-bulk at {r['share_of_inflate_median']:.0%} of inflate-only speed (median of {r['runs']} rounds, each run right after "
             f"inflate-only; {r['share_of_inflate']:.0%} fastest against fastest; target >= 70%)")
    if len(ours) >= 2:
        lo, hi = ours[0], ours[-1]
        growth = hi["peak_rss_mb"] - lo["peak_rss_mb"]
        line(growth < 0.1 * lo["peak_rss_mb"] + 16,
             f"ingest-bulk peak memory {lo['peak_rss_mb']:.0f} MB at {lo['rows']:,} rows, {hi['peak_rss_mb']:.0f} MB at {hi['rows']:,} rows (does not grow with the file)")
    return out


def table(rows: list[dict]) -> str:
    cols = ["benchmark", "tool", "rows", "file_mb", "runs", "wall_s", "wall_max_s", "rows_per_s", "mb_per_s", "peak_rss_mb", "ratio_vs_pandas",
            "ratio_vs_duckdb", "share_of_inflate", "share_of_inflate_median"]
    cells = [cols] + [[_fmt(r.get(c), c) for c in cols] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    return "\n".join("  ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))) for row in cells)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Benchmark the build and UN Comtrade bulk ingestion.")
    p.add_argument("--only", choices=["build", "bulk"], help="run one of the two benchmarks")
    p.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="bulk file sizes in rows (default 1, 4 and 10 million)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each tool on each bulk file, in rounds; the fastest is kept and ratios to inflate-only "
                   "are also taken round by round, their median reported (default 3; the full build runs 3 times)")
    p.add_argument("--out", type=Path, default=OUT)
    a = p.parse_args(argv)
    byte_compile()  # time the commands as an installed package runs them
    t0 = time.perf_counter()
    load = os.getloadavg()[0]
    rows: list[dict] = []
    try:
        if a.only in (None, "build"):
            rows += bench_build(3)
        if a.only in (None, "bulk"):
            rows += bench_bulk(tuple(a.sizes), a.repeat)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    write_csv(rows, a.out)
    print(table(rows))
    print()
    print("\n".join(verdicts(rows)))
    print(f"\n{len(os.sched_getaffinity(0))} cores; load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; "
          f"{time.perf_counter() - t0:.0f} s in all. Wrote {a.out.relative_to(ROOT) if a.out.is_relative_to(ROOT) else a.out}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
