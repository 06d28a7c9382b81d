"""The Makefile's stages: a no-op ``make report`` runs nothing, and a change reruns only the stages that depend on it
(a template or figure code: the report alone; model code: fit and report; raw data: all three), in one
``nkflows report`` process (``--build`` when the data stage is stale, ``--no-fit`` when the fits are current).

Each test runs ``make`` (dry run: ``-q``/``-n``, nothing is executed) on a copy of the Makefile in a temporary tree
holding empty files at the paths of the real one, with the stamps newer than every source."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.paths import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

T0 = 1_700_000_000  # the sources' time; the stamps follow, a few seconds apart
SOURCES = ("analysis", "data/raw")


def _set_time(path: Path, when: int) -> None:
    os.utime(path, (when, when))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the Makefile with every source path the real tree has (empty files) and up-to-date stamps."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for top in SOURCES:
        for src in (ROOT / top).rglob("*"):
            if src.is_file() and "__pycache__" not in src.parts:
                dst = tmp_path / src.relative_to(ROOT)
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.touch()
                _set_time(dst, T0)
    for name in ("requirements.lock", "pyproject.toml"):
        (tmp_path / name).touch()
        _set_time(tmp_path / name, T0)
    for i, stamp in enumerate((".venv/.installed", ".build/data", ".build/results", ".build/report"), start=1):
        path = tmp_path / stamp
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        _set_time(path, T0 + 10 * i)
    return tmp_path


def make(tree: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(tree), *args], capture_output=True, text=True)


def stages(plan: str) -> list[str]:
    """The stages the one ``nkflows report`` line of a dry run would run."""
    lines = [line.split() for line in plan.splitlines() if "nkflows report" in line]
    assert len(lines) == 1, plan
    args = lines[0]
    return ["build"] * ("--build" in args) + ["fit"] * ("--no-fit" not in args) + ["report"]


def test_nothing_changed_nothing_runs(tree):
    assert make(tree, "-q", "report").returncode == 0  # -q: exit 0 when the target is up to date
    assert "nkflows" not in make(tree, "-n", "report").stdout


@pytest.mark.parametrize(("changed", "runs"), [
    ("analysis/report/templates/report.html", ["report"]),
    ("analysis/report/templates/print.css", ["report"]),
    ("analysis/figures/style.py", ["report"]),
    ("analysis/models/its.py", ["fit", "report"]),
    ("analysis/schemas.py", ["build", "fit", "report"]),
])
def test_a_change_reruns_only_the_stages_that_depend_on_it(tree, changed, runs):
    path = tree / changed
    assert path.exists(), f"{changed} is not in the tree any more: update this test"
    _set_time(path, T0 + 100)
    assert make(tree, "-q", "report").returncode == 1  # out of date
    assert stages(make(tree, "-n", "report").stdout) == runs


def test_a_raw_file_reruns_every_stage(tree):
    raw = next(p for p in sorted((tree / "data" / "raw").rglob("*")) if p.is_file())
    _set_time(raw, T0 + 100)
    assert stages(make(tree, "-n", "report").stdout) == ["build", "fit", "report"]


def test_clean_report_keeps_the_data_and_the_result_tables(tree):
    plan = make(tree, "-n", "clean-report").stdout
    assert ".build/report" in plan and "reports/figures" in plan and "reports/report.pdf" in plan
    assert "reports/tables" not in plan and "parquet" not in plan and ".build/results" not in plan
    assert "reports/tables" in make(tree, "-n", "clean").stdout


def test_make_data_then_report_builds_nothing_twice(tree):
    """After ``make data`` (the data stamp is current), ``make report`` fits and reports without building again."""
    raw = next(p for p in sorted((tree / "data" / "raw").rglob("*")) if p.is_file())
    _set_time(raw, T0 + 100)
    _set_time(tree / ".build" / "data", T0 + 200)
    assert stages(make(tree, "-n", "report").stdout) == ["fit", "report"]


def test_the_stamps_of_every_stage_are_touched_after_the_one_process(tree):
    _set_time(tree / "analysis" / "models" / "its.py", T0 + 100)
    plan = make(tree, "-n", "report").stdout
    assert "touch .build/data .build/results .build/report" in plan, plan
