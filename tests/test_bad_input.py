"""Bad raw input: a clear message naming file, line, column and rule; exit 1; data/processed untouched."""

from __future__ import annotations

import codecs

import pytest

from analysis import cli
from analysis.build import build
from analysis.errors import DataError

from .conftest import rewrite, snapshot

ARRIVALS = "defectors/arrivals.csv"
HEADER = "source_id,period_start,period_end,freq,sex,arrivals,status,reported_as,note\n"


def edit_line(raw, rel: str, line: int, old: str, new: str) -> None:
    path = raw / rel
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    rewrite(path, "\n".join(lines))


def line_of(raw, rel: str, needle: str) -> int:
    for i, text in enumerate((raw / rel).read_text(encoding="utf-8").split("\n"), start=1):
        if needle in text:
            return i
    raise LookupError(needle)


def run_build(raw, processed, capsys) -> tuple[int, str]:
    code = cli.main(["build", "--raw", str(raw), "--out", str(processed)])
    return code, capsys.readouterr().err


# Each case: (description, mutation, expected file, expected column, words of the rule)
MOU_2009_ALL = "mou-cn-defectors-stats-2020,2009-01-01,2009-12-31,A,all,2914"


def _edit_2009(old: str, new: str):
    """A mutation of the MOU's 2009 total row: replace ``old`` by ``new``; returns the line changed."""
    def mutate(raw):
        n = line_of(raw, ARRIVALS, MOU_2009_ALL)
        edit_line(raw, ARRIVALS, n, old, new)
        return n
    return mutate


_negative = _edit_2009(",2914,", ",-2914,")
_non_numeric = _edit_2009(",2914,", ",2.9k,")
_unknown_sex = _edit_2009(",all,", ",both,")
_sum_broken = _edit_2009(",2914,", ",2915,")
_unknown_source = _edit_2009("mou-cn-defectors-stats-2020,", "nowhere-listed,")
_bad_date = _edit_2009("2009-12-31", "2009-13-31")
_wrong_span = _edit_2009("2009-12-31", "2009-11-30")


def _duplicate(raw):
    path = raw / ARRIVALS
    lines = path.read_text(encoding="utf-8").split("\n")
    n = line_of(raw, ARRIVALS, MOU_2009_ALL)
    lines.insert(n, lines[n - 1].replace(",2914,", ",2915,"))
    rewrite(path, "\n".join(lines))
    return n + 1


def _missing_url(raw):
    rel = "defectors/sources.csv"
    n = line_of(raw, rel, "mou-cn-defectors-stats-2020,")
    path = raw / rel
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[n - 1].split(",")
    url_at = next(i for i, c in enumerate(cells) if c.startswith("http"))
    cells[url_at] = ""
    lines[n - 1] = ",".join(cells)
    rewrite(path, "\n".join(lines))
    return n


CASES = [
    ("negative count", _negative, ARRIVALS, "arrivals", "greater_than_or_equal_to(0)"),
    ("non-numeric count", _non_numeric, ARRIVALS, "arrivals", "must be a whole number"),
    ("unknown sex", _unknown_sex, ARRIVALS, "sex", "isin"),
    ("male + female != total", _sum_broken, ARRIVALS, "arrivals", "male + female must equal all"),
    ("duplicated key", _duplicate, ARRIVALS, None, "multiple_fields_uniqueness"),
    ("missing URL", _missing_url, "defectors/sources.csv", "url", "value is required"),
    ("figure without its source", _unknown_source, ARRIVALS, "source_id", "not listed in any sources.csv"),
    ("impossible date", _bad_date, ARRIVALS, "period_end", "real calendar date"),
    ("period does not fit freq", _wrong_span, ARRIVALS, "period_end", "not a whole calendar period"),
]


@pytest.mark.parametrize("name,mutate,rel,column,rule", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_caught_and_processed_untouched(name, mutate, rel, column, rule, raw_copy, processed_copy, capsys):
    line = mutate(raw_copy)
    before = snapshot(processed_copy)
    code, err = run_build(raw_copy, processed_copy, capsys)
    assert code == 1
    expected = f"{rel}, line {line}"
    if column:
        expected += f", column '{column}'"
    hits = [ln for ln in err.splitlines() if expected in ln]
    assert hits, f"no message naming {expected!r} in:\n{err}"
    assert any(rule in h for h in hits), f"rule {rule!r} not named in {hits}"
    assert snapshot(processed_copy) == before


def test_every_problem_reported_not_just_the_first(raw_copy, processed_copy):
    _negative(raw_copy)
    n = line_of(raw_copy, ARRIVALS, "mou-cn-defectors-stats-2020,2010-01-01,2010-12-31,A,all")
    edit_line(raw_copy, ARRIVALS, n, ",A,all,", ",A,both,")
    with pytest.raises(DataError) as exc:
        build(raw_copy, processed_copy)
    assert len(exc.value.issues) >= 2


def test_changed_raw_file_is_refused(raw_copy, processed_copy, capsys):
    path = raw_copy / ARRIVALS
    path.write_text(path.read_text(encoding="utf-8").replace(",2914,", ",2913,", 1), encoding="utf-8")  # sidecar not updated
    code, err = run_build(raw_copy, processed_copy, capsys)
    assert code == 1 and "SHA-256 does not match its sidecar" in err and "defectors/arrivals.csv" in err


def test_missing_sidecar_is_refused(raw_copy, processed_copy, capsys):
    (raw_copy / "defectors" / "cumulative.csv.meta.json").unlink()
    code, err = run_build(raw_copy, processed_copy, capsys)
    assert code == 1 and "no provenance sidecar" in err


@pytest.mark.parametrize("content,rule", [
    (b"", "file is empty"),
    (HEADER.encode() + "mou-cn-defectors-stats-2020,2009-01-01,2009-12-31,A,all,2914,final,2\u00a0914\n".encode("utf-16"), "UTF-8"),
    (HEADER.encode() + b'mou-cn-defectors-stats-2020,2009-01-01,2009-12-31,A,all,2914,final,"2,91', "truncated"),
    (HEADER.replace("sex,", "gender,").encode(), "required column is missing"),
    (HEADER.replace("note", "note,extra").encode(), "unknown column"),
    (HEADER.encode(), "no data rows"),
])
def test_malformed_files(content, rule, raw_copy, processed_copy, capsys):
    rewrite(raw_copy / ARRIVALS, content)
    code, err = run_build(raw_copy, processed_copy, capsys)
    assert code == 1 and rule in err and "defectors/arrivals.csv" in err


def test_benign_variations_are_normalized(raw_copy, tmp_path):
    """A byte-order mark, spaces around cells and thousands separators change nothing."""
    path = raw_copy / ARRIVALS
    text = path.read_text(encoding="utf-8")
    assert ",2914,final," in text
    text = text.replace(",2914,final,", ",\" 2,914 \",final,", 1).replace("source_id,", " source_id ,", 1)
    rewrite(path, codecs.BOM_UTF8 + text.encode("utf-8"))
    plain = build(raw_copy.parent / "raw", tmp_path / "a")  # noqa: F841 - must not raise
    from analysis.paths import RAW

    reference = build(RAW, tmp_path / "b")
    assert plain.tables["defector_arrivals"].equals(reference.tables["defector_arrivals"])
