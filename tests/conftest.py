"""Shared fixtures: one in-process build of the real raw data, and throwaway copies of data/raw."""

from __future__ import annotations

import json
import logging
import shutil
import sys
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


@pytest.fixture(scope="session")
def report(built, tmp_path_factory):
    """One ``nkflows fit`` and ``nkflows report`` (HTML and PDF) of that build: (path of report.html, output folder, WeasyPrint's warnings)."""
    from analysis.models.run import fit
    from analysis.report.build import build_report

    _, processed = built
    out = tmp_path_factory.mktemp("reports")
    warnings: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    fit(processed, out)
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


def pytest_terminal_summary(terminalreporter):
    """Print the corruption suite's count (cases tried, cases caught) when it ran."""
    suite = sys.modules.get(f"{__package__}.test_corruption_suite")
    if suite is not None and suite.TALLY["tried"]:
        terminalreporter.write_line(f"corruption suite: {suite.TALLY['tried']} cases tried, {suite.TALLY['caught']} caught")
    attacks = sys.modules.get(f"{__package__}.test_attacks")
    if attacks is not None and attacks.TALLY["tried"]:
        terminalreporter.write_line(f"attack suite: {attacks.TALLY['tried']} cases tried, {attacks.TALLY['held']} held")


@pytest.fixture(scope="session")
def reported(report):
    """The session report as (path of report.html, output folder)."""
    return report[0], report[1]
