"""The corruption suite: every kind of bad input in the catalogue (tests/corruptions.py),
applied to every raw file the build reads. Each case must end in exit code 1 with a
message naming the file, the line, the column and the rule it expects, and leave the
output folder byte for byte as it was. The session summary prints how many cases were
tried and caught."""

from __future__ import annotations

import codecs
import csv
import io
import json
import shutil

import pytest

from analysis import cli
from analysis.build import assemble
from analysis.paths import PROCESSED, RAW
from analysis.provenance import SIDECAR_SUFFIX, sha256

from . import corruptions
from .conftest import rewrite, snapshot

CASES = corruptions.all_cases()
TALLY = {"tried": 0, "caught": 0}
MINIMUM_CASES = 150


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """One copy of data/raw and data/processed; each case changes a few files and restores them."""
    base = tmp_path_factory.mktemp("corrupt")
    raw, out = base / "raw", base / "processed"
    shutil.copytree(RAW, raw)
    shutil.copytree(PROCESSED, out)
    return raw, out


def _apply(raw, case: corruptions.Case) -> list[str]:
    changed = case.make()
    for rel, data in changed.items():
        path = raw / rel
        if data is None:
            path.unlink()
        else:
            path.write_bytes(data)
    if case.resign:
        for rel, data in changed.items():
            side = raw / (rel + SIDECAR_SUFFIX)
            if data is not None and not rel.endswith(SIDECAR_SUFFIX) and side.exists():
                meta = json.loads(side.read_text(encoding="utf-8"))
                meta["sha256"] = sha256(raw / rel)
                side.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [*changed, *(rel + SIDECAR_SUFFIX for rel in changed)]


def _restore(raw, touched: list[str]) -> None:
    for rel in touched:
        original, path = RAW / rel, raw / rel
        if original.exists():
            path.write_bytes(original.read_bytes())
        elif path.exists():
            path.unlink()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corruption_is_caught(case, scratch, capsys):
    raw, out = scratch
    TALLY["tried"] += 1
    before = snapshot(out)
    touched = _apply(raw, case)
    try:
        code = cli.main(["build", "--raw", str(raw), "--out", str(out)])
    finally:
        _restore(raw, touched)
    err = capsys.readouterr().err
    assert code == 1, f"{case.id}: exit code {code}, expected 1\n{err[-2000:]}"
    where = case.expect.location()
    hits = [line for line in err.splitlines() if where in line]
    assert hits, f"{case.id}: no message at {where!r}; got:\n{err[-3000:]}"
    assert any(case.expect.rule in h for h in hits), f"{case.id}: rule {case.expect.rule!r} not in {hits}"
    assert snapshot(out) == before, f"{case.id}: the output folder changed"
    TALLY["caught"] += 1


def test_catalogue_covers_every_raw_file_and_enough_cases():
    assert corruptions.raw_csvs() == sorted(corruptions.RAW_MODELS), "a raw CSV is missing from tests/corruptions.RAW_MODELS"
    per_file = {rel: sum(c.target == rel for c in CASES) for rel in corruptions.RAW_MODELS}
    # files read with one model (five sources.csv) share its cell-level cases in turn, so each gets fewer
    shared = {rel for rel, m in corruptions.RAW_MODELS.items() if list(corruptions.RAW_MODELS.values()).count(m) > 1}
    assert min(n for rel, n in per_file.items() if rel not in shared) >= 15, per_file
    assert min(n for rel, n in per_file.items() if rel in shared) >= 14, per_file
    kinds = {c.kind for c in CASES}
    assert len(kinds) >= 12, kinds
    assert len(CASES) >= MINIMUM_CASES
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


def _benign(t: corruptions.RawCsv) -> bytes:
    """The file with a byte-order mark, CRLF line ends, spaces around every cell and header
    name, and thousands separators in every whole number of 1,000 or more."""
    kinds = t.kinds()
    numeric = [kinds[h][0] in ("int", "float") for h in t.header]

    def cell(value: str, is_number: bool) -> str:
        if is_number and value.isdigit() and len(value) > 3:
            value = f"{int(value):,}"
        return f" {value} "
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([f" {h} " for h in t.header])
    w.writerows([[cell(v, n) for v, n in zip(row, numeric)] for row in t.rows])
    return codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")


def test_benign_variations_in_every_file_are_normalized(built, tmp_path):
    """Every raw file at once with a BOM, CRLF, padded cells and thousands separators: the
    build succeeds and publishes exactly the same tables."""
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    separators = 0
    for rel in corruptions.RAW_MODELS:
        data = _benign(corruptions.RawCsv.load(rel))
        separators += data.count(b",") - (raw / rel).read_bytes().count(b",")
        rewrite(raw / rel, data)
    assert separators > 1000  # thousands separators really were added
    tables = assemble(raw).tables
    for name, frame in built[0].tables.items():
        assert tables[name].equals(frame), f"{name} differs after benign variations"
