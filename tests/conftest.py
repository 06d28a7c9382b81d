"""Shared fixtures: one in-process build of the real raw data, one fit of every model on it, one report, and throwaway
copies of data/raw. Session fixtures are shared read-only by every test file; a test that changes a table copies it first.

With ``-n 2`` (pytest-xdist, what ``make test`` runs) each worker process has its own session fixtures. Tests that must not
run beside each other share an ``xdist_group`` (set in :func:`pytest_collection_modifyitems` below), and the counts the
corruption and attack suites print are gathered from the workers for the terminal summary."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from analysis.build import build
from analysis.paths import PROCESSED, RAW
from analysis.provenance import sha256, sidecar_path


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The published tables of one build of data/raw, written to a temporary folder."""
    out = tmp_path_factory.mktemp("processed")
    result = build(RAW, out)
    return result, out


class Reads(dict):
    """The published tables, noting which ones a model family reads (any iteration over them counts as reading all)."""

    def __init__(self, tables):
        super().__init__(tables)
        self.read: set[str] = set()

    def __getitem__(self, name):
        self.read.add(name)
        return super().__getitem__(name)

    def get(self, name, default=None):
        self.read.add(name)
        return super().get(name, default)

    def __contains__(self, name):
        self.read.add(name)
        return super().__contains__(name)

    def _all(self):
        self.read.update(super().keys())

    def __iter__(self):
        self._all()
        return super().__iter__()

    def keys(self):
        self._all()
        return super().keys()

    def values(self):
        self._all()
        return super().values()

    def items(self):
        self._all()
        return super().items()


@contextmanager
def families_from(outputs: dict[str, dict]):
    """Inside the block, ``fit_all`` uses the given outputs for the families named in ``outputs`` and fits the others."""
    from analysis.models import run

    real = run.FAMILIES
    run.FAMILIES = [(name, (lambda _t, out=outputs[name]: {k: v.copy() for k, v in out.items()}) if name in outputs else family)
                    for name, family in real]
    try:
        yield
    finally:
        run.FAMILIES = real


@pytest.fixture(scope="session")
def fitted(built):
    """Every model fitted once on the published tables of that build, as ``nkflows fit`` does (the same loader, the same
    ``fit_all``): {"tables", "results", "outputs" (each family's own tables), "reads" (the published tables each family read)}.
    Read-only: copy a table before changing it."""
    from analysis.models import run
    from analysis.tables import load

    _, processed = built
    tables = load(processed)
    seen = Reads(tables)
    outputs, reads = {}, {}
    for name, family in run.FAMILIES:  # the families in fit_all's order, on one shared mapping, as fit_all runs them
        seen.read = set()
        outputs[name] = family(seen)
        reads[name] = frozenset(seen.read)
    with families_from(outputs):
        results = run.fit_all(tables)
    return {"tables": tables, "results": results, "outputs": outputs, "reads": reads}


@pytest.fixture(scope="session")
def report(built, fitted, tmp_path_factory):
    """``nkflows fit`` (the session's fitted result tables, validated and written as ``fit`` writes them) and
    ``nkflows report`` (HTML and PDF) of that build: (path of report.html, output folder, WeasyPrint's warnings).
    test_atomic_builds checks that a fresh ``nkflows fit``/``report`` process writes these files byte for byte."""
    from analysis.files import staged_set
    from analysis.models.run import write_results
    from analysis.report.build import build_report

    _, processed = built
    out = tmp_path_factory.mktemp("reports")
    warnings: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    with staged_set(out) as stage:
        write_results(fitted["results"], stage)
    try:
        path = build_report(processed, out)
    finally:
        logger.removeHandler(handler)
    return path, out, warnings


@pytest.fixture
def raw_copy(tmp_path) -> Path:
    dst = tmp_path / "raw"
    shutil.copytree(RAW, dst)
    return dst


@pytest.fixture
def processed_copy(tmp_path) -> Path:
    """A copy of the published tables that a test may edit: without the build's manifest.json, which would
    (rightly) refuse an edited table before the rule under test is reached."""
    dst = tmp_path / "processed"
    shutil.copytree(PROCESSED, dst, ignore=shutil.ignore_patterns("manifest.json"))
    return dst


def rewrite(path: Path, text: str | bytes, *, update_sidecar: bool = True) -> None:
    """Replace a raw file's content; by default re-record its hash so that the rule under test, not the hash check, fires."""
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    if update_sidecar:
        side = sidecar_path(path)
        meta = json.loads(side.read_text(encoding="utf-8"))
        meta["sha256"] = sha256(path)
        side.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


#: The suites that count their cases: module, and the word for a case that behaved.
TALLIES = {"corruption suite": ("test_corruption_suite", "caught"), "attack suite": ("test_attacks", "held")}
_WORKER_TALLIES = pytest.StashKey[list]()


def _tallies() -> dict[str, dict[str, int]]:
    """This process's counts, for the suites that ran here."""
    found = {}
    for suite, (module, _) in TALLIES.items():
        mod = sys.modules.get(f"{__package__}.{module}")
        if mod is not None and mod.TALLY["tried"]:
            found[suite] = dict(mod.TALLY)
    return found


def pytest_configure(config):
    config.stash[_WORKER_TALLIES] = []


def pytest_sessionfinish(session):
    """In an xdist worker, hand this worker's counts to the controller (which prints them)."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["nkflows_tallies"] = json.dumps(_tallies())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    node.config.stash[_WORKER_TALLIES].append(json.loads(getattr(node, "workeroutput", {}).get("nkflows_tallies", "{}")))


def pytest_terminal_summary(terminalreporter, config):
    """Print the corruption suite's count (cases tried, cases caught) and the attack suite's, summed over the workers."""
    total: dict[str, dict[str, int]] = {}
    for part in [_tallies(), *config.stash.get(_WORKER_TALLIES, [])]:
        for suite, counts in part.items():
            for key, n in counts.items():
                total.setdefault(suite, {}).setdefault(key, 0)
                total[suite][key] += n
    for suite, (_, word) in TALLIES.items():
        if total.get(suite, {}).get("tried"):
            terminalreporter.write_line(f"{suite}: {total[suite]['tried']} cases tried, {total[suite][word]} {word}")


#: Tests that must not run beside each other under xdist share a group (one worker runs them one after another): the
#: kills at seeded moments and the signals sent after set delays (their moments are timed on this machine), and the
#: peak-memory measurement of the bulk reader.
TIMED = {"test_atomic_builds", "test_attacks", "test_bulk_streaming"}
#: Files whose tests can be spread one by one over the workers (no module fixture worth computing twice).
SPREAD = {"test_notebooks"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Put every test in an xdist group (used by ``--dist loadgroup``): the timed ones together, the rest by file, so that
    a module fixture is computed once; notebooks spread out."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if getattr(item, "module", None) else ""
        if any(True for _ in item.iter_markers("xdist_group")) or module in SPREAD:
            continue
        item.add_marker(pytest.mark.xdist_group("timed" if module in TIMED else module))


@pytest.fixture(scope="session")
def reported(report):
    """The session report as (path of report.html, output folder)."""
    return report[0], report[1]
