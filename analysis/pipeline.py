"""The stale stages of data -> results -> report, run by one process (what ``make report`` runs).

The Makefile names the three stages and what each depends on. When the report is stale it
runs ``nkflows report`` once, with ``--build`` when the published tables are stale too and
``--no-fit`` when the result tables are not. One process instead of three imports pandas,
pandera and the rest once, not three times; and the data build, which needs none of the slow
imports of the later stages (statsmodels, matplotlib, WeasyPrint), runs as its own process
(``nkflows build``) while this one imports them.

The result tables and the documents are switched in as one set
(:func:`analysis.files.staged_set`): a report never sits beside result tables it was not
built from, and an error or a signal leaves ``reports/`` as it was. The data build switches
in ``data/processed`` on its own, as ``nkflows build`` does, before anything is fitted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable


class StageFailed(Exception):
    """A stage run as its own process failed; it has said why on stderr. ``exit_code`` is its exit status."""

    def __init__(self, stage: str, exit_code: int):
        self.stage = stage
        self.exit_code = exit_code
        super().__init__(f"{stage} failed (exit status {exit_code})")


def start_build(raw: Path, processed: Path) -> subprocess.Popen:
    """``nkflows build --raw RAW --out PROCESSED`` as a process of its own; its progress and errors go to stderr."""
    import ctypes  # noqa: F401  (imported before the fork: the child, between fork and exec, only calls it)
    import functools

    from .files import die_with_parent

    cmd = [sys.executable, "-m", "analysis.cli", "build", "--raw", str(raw), "--out", str(processed)]
    try:
        err = sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):  # a stream with no file behind it (a notebook, a test's capture)
        err = 2
    # the build ends with this process if this one is killed outright (as the worker processes do)
    return subprocess.Popen(cmd, stdout=err, preexec_fn=functools.partial(die_with_parent, os.getpid()) if hasattr(os, "fork") else None)


def stop(child: subprocess.Popen) -> None:
    """Stop the child and wait for it: SIGTERM, whatever stopped this process. Once started, the child removes what it
    was writing; still starting (before its handlers are in place), it ends quietly, where a SIGINT would print a
    KeyboardInterrupt traceback from inside Python's start-up."""
    import signal

    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
    child.wait()


def run(processed: Path, out: Path, *, raw: Path | None = None, fit: bool = True, pdf: bool = True,
        progress: Callable[[str], None] = lambda _: None, timings: dict[str, float] | None = None) -> Path:
    """Build the published tables from ``raw`` (unless None), fit every model (unless ``fit`` is false: the result
    tables in ``out``/tables are used) and write the documents; return report.html's path.

    ``timings`` (if given) receives the wall and CPU seconds of each stage (see :func:`analysis.report.build.write_documents`)."""
    from .files import check_target, staged_set
    from .timing import cpu_seconds, stopwatch

    timings = timings if timings is not None else {}
    t0, c0 = time.perf_counter(), cpu_seconds()
    out = Path(out)
    check_target(out, writable=False)  # an --out that names a file is refused before anything is built or fitted
    child = start_build(raw, processed) if raw is not None else None
    try:
        if fit:  # what the fits need, while the data build runs; the report's libraries load while the models fit
            from .models import run as models
            from .tables import load
        else:
            _import_report(pdf)
        timings["imports"], timings["cpu:imports"] = time.perf_counter() - t0, cpu_seconds() - c0
        if child is not None:
            code = child.wait()
            if code != 0:
                raise StageFailed("nkflows build", code)
            # wall seconds until the build ended (it ran beside the imports); its CPU, read once it has been waited for
            timings["build"], timings["cpu:build"] = time.perf_counter() - t0, cpu_seconds() - c0 - timings["cpu:imports"]
    except BaseException:  # an error, or a signal (Interrupted): the build stops too
        if child is not None:
            stop(child)
        raise
    if not fit:
        from .report.build import build_report

        return build_report(processed, out, progress, pdf=pdf, timings=timings)
    with staged_set(out) as stage:  # result tables and documents: one set
        shown = lambda text: progress(text.replace(str(stage), str(out)))  # noqa: E731
        lap = stopwatch(timings)
        tables = load(processed)
        models.fit_into(tables, stage, shown, meanwhile=lambda: _import_report(pdf))
        lap("fit")
        from .report.build import write_report

        path = write_report(processed, stage, shown, pdf=pdf, timings=timings, tables=tables)
    return out / path.relative_to(stage)


def _import_report(pdf: bool) -> None:
    """The report's libraries (matplotlib, jinja2; WeasyPrint for the PDFs), imported once: the workers it forks inherit them."""
    from .report import build  # noqa: F401

    if pdf:
        import weasyprint  # noqa: F401
