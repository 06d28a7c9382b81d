"""Wall time and peak memory of a command, measured from a small launcher process.

Why a launcher: on Linux a process's peak resident set (``ru_maxrss``) starts from the
peak of the process it was forked from, kept across ``exec``. A benchmark or test
process that has imported polars and pandas is a few hundred megabytes, and every
command it starts directly would report at least that. So :func:`measure` starts this
module as a launcher (a bare interpreter of about 10 MB, importing only the standard
library), which starts the command, waits for it with ``os.wait4`` and reports the
command's own wall time and the largest peak of the command and of any process it waited
for (for ``make``: each step).

Linux only (``os.wait4``, ``ru_maxrss`` in KiB).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measured:
    wall_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def byte_compile() -> None:
    """Byte-compile the package and the bench once, before anything is timed.

    pip byte-compiles a package it installs, but not one installed in editable mode (as
    ``make setup`` does); and where ``PYTHONDONTWRITEBYTECODE`` is set, Python never
    writes the compiled files itself, so every command would compile each module it
    imports, every time (about 30 ms for ``ingest-bulk``, more for the report). A stale
    compiled file is never used: Python checks it against its source.
    """
    import compileall

    root = Path(__file__).resolve().parent.parent
    for folder in ("analysis", "bench"):
        compileall.compile_dir(root / folder, quiet=1)


def measure(cmd: list[str], cwd: Path | str | None = None) -> Measured:
    """Run ``cmd`` (a list of arguments) through the launcher; see the module docstring."""
    with tempfile.TemporaryDirectory(prefix="nkflows-measure-") as tmp:
        report = Path(tmp) / "report.json"
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        with open(out, "wb") as fo, open(err, "wb") as fe:
            launcher = subprocess.run([sys.executable, "-I", "-S", __file__, str(report), "--", *cmd],
                                      cwd=cwd, stdout=fo, stderr=fe)
        if not report.exists():
            raise RuntimeError(f"the launcher failed (exit {launcher.returncode}): {err.read_text(errors='replace')[-2000:]}")
        r = json.loads(report.read_text())
        return Measured(r["wall_s"], r["maxrss_kib"] / 1024, r["returncode"],
                        out.read_text(errors="replace"), err.read_text(errors="replace"))


def _launch(argv: list[str]) -> int:
    report, sep, cmd = argv[0], argv[1], argv[2:]
    if sep != "--" or not cmd:
        print("usage: measure.py REPORT.json -- COMMAND ...", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(report, "w") as fh:
        json.dump({"wall_s": wall, "maxrss_kib": usage.ru_maxrss, "returncode": proc.returncode}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(_launch(sys.argv[1:]))
