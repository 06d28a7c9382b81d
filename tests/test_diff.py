"""nkflows diff: the published tables at a git ref against the work tree, by key."""

from __future__ import annotations

import subprocess

import polars as pl
import pytest

from analysis import cli
from analysis.diff import compare, diff_against, render_markdown, render_text

HEADER = "year,male,female,total,female_share,status,source_id\n"


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                   check=True, capture_output=True)


@pytest.fixture()
def repo(tmp_path):
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    (processed / "defector_arrivals_annual.csv").write_text(
        HEADER + "2010,591,1811,2402,0.754,final,a\n2011,795,1911,2706,0.7062,final,a\n2012,404,1098,1502,0.731,final,a\n")
    (processed / "labor_measures.csv").write_text("measure,unit,definition\nstock_official,persons,x\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "0.1.0")
    # the revision: 2011 revised, 2012 removed, 2013 added, one new table
    (processed / "defector_arrivals_annual.csv").write_text(
        HEADER + "2010,591,1811,2402,0.754,final,a\n2011,819,1918,2737,0.7008,revised,b\n2013,,,1514,,final,c\n")
    (processed / "events.csv").write_text("event_id,date\nx,2020-01-01\n")
    return tmp_path, processed


def test_added_removed_and_changed_by_key(repo):
    _, processed = repo
    diffs = {d.name: d for d in diff_against("HEAD", processed)}
    annual = diffs["defector_arrivals_annual"]
    assert annual.added["year"].to_list() == ["2013"] and annual.removed["year"].to_list() == ["2012"]
    assert [(k, c["total"]) for k, c in annual.changed] == [({"year": "2011"}, ("2706", "2737"))]
    assert set(annual.changed[0][1]) == {"male", "female", "total", "female_share", "status", "source_id"}  # 2010 is not changed
    assert diffs["labor_measures"].unchanged
    assert diffs["events"].rows_before is None and diffs["events"].rows_after == 1
    assert set(diffs) == {"defector_arrivals_annual", "labor_measures", "events"}  # tables in neither version are left out


def test_text_and_markdown_list_every_change_to_a_preferred_series(repo):
    _, processed = repo
    diffs = diff_against("HEAD", processed)
    text = render_text(diffs, "HEAD")
    assert "defector_arrivals_annual: 3 -> 3 rows, 1 added, 1 removed, 1 changed" in text
    assert "  ~ year=2011: male: 795 -> 819; female: 1911 -> 1918; total: 2706 -> 2737" in text
    assert "  - year=2012: male=404" in text and "  + year=2013: total=1514" in text
    md = render_markdown(diffs, "HEAD")
    assert "- `labor_measures`: unchanged" in md and "- `events`: new table (1 rows)" in md
    assert "| changed | year=2011 | male: 795 -> 819; female: 1911 -> 1918; total: 2706 -> 2737;" in md
    assert "| added | year=2013 | total=1514, status=final, source_id=c |" in md


def test_a_missing_key_column_makes_every_row_new():
    before = pl.DataFrame({"year": ["2010"], "total": ["1"]})
    after = pl.DataFrame({"yr": ["2010"], "total": ["1"]})
    d = compare("defector_arrivals_annual", before, after, ["year"])
    assert d.added.height == 1 and d.removed.height == 1 and d.columns_added == ["yr"] and d.columns_removed == ["year"]


def test_cli_diff_formats_and_errors(repo, capsys):
    _, processed = repo
    assert cli.main(["diff", "HEAD", "--processed", str(processed), "--format", "markdown", "--table", "defector_arrivals_annual"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Data revisions against `HEAD`") and "labor_measures" not in out
    assert cli.main(["diff", "v9.9.9", "--processed", str(processed)]) == 2
    assert "'v9.9.9' is not a commit, branch or tag" in capsys.readouterr().err


def test_rows_are_listed_in_key_order_with_numbers_as_numbers():
    before = pl.DataFrame({"year": ["2020"], "month": ["1"], "total_usd": ["5"]})
    after = pl.DataFrame({"year": ["2020"] * 3, "month": ["1", "10", "2"], "total_usd": ["5", "7", "6"]})
    d = compare("trade_monthly", before, after, ["year", "month"])
    assert d.added["month"].to_list() == ["2", "10"]
