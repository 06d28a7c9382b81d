"""The precedence rule and the checks, on small tables with known answers."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis import harmonize
from analysis.errors import IssueLog
from analysis.ingest.discrepancies import Discrepancies

Y = (dt.date(2019, 1, 1), dt.date(2019, 12, 31))


def obs(rows):
    frame = pl.DataFrame(
        [{"source_id": s, "period_start": a, "period_end": b, "freq": f, "sex": x, "arrivals": v, "status": st,
          "reported_as": str(v), "note": None, "_file": "t.csv", "_line": i + 2}
         for i, (s, a, b, f, x, v, st) in enumerate(rows)],
        schema_overrides={"note": pl.String},
    )
    return frame


SOURCES = pl.DataFrame({
    "source_id": ["gov", "news-old", "news-new", "blog"],
    "kind": ["official", "news", "news", "secondary"],
    "published": ["2020-01-01", "2020-01-10", "2024-01-10", "2025-01-01"],
})


def test_official_beats_news_and_newest_news_beats_older():
    rows = [("gov", *Y, "A", "all", 1047, "final"), ("news-old", *Y, "A", "all", 1045, "final"),
            ("news-new", *Y, "A", "all", 1046, "final"), ("blog", *Y, "A", "all", 1000, "final")]
    flagged = harmonize.choose_preferred(obs(rows), SOURCES)
    assert flagged.filter(pl.col("preferred"))["source_id"].to_list() == ["gov"]
    flagged = harmonize.choose_preferred(obs(rows[1:]), SOURCES)
    assert flagged.filter(pl.col("preferred"))["source_id"].to_list() == ["news-new"]


def test_final_beats_provisional_and_total_beats_partial():
    rows = [("gov", *Y, "A", "all", 1047, "provisional"), ("news-old", *Y, "A", "all", 1045, "final")]
    assert harmonize.choose_preferred(obs(rows), SOURCES).filter(pl.col("preferred"))["source_id"].to_list() == ["news-old"]
    rows = [("gov", *Y, "A", "male", 200, "final"), ("news-old", *Y, "A", "all", 1045, "final")]
    assert harmonize.choose_preferred(obs(rows), SOURCES).filter(pl.col("preferred"))["source_id"].to_list() == ["news-old"]


def test_inconsistent_split_loses_and_is_an_error_unless_documented():
    rows = [("gov", *Y, "A", "all", 10, "final"), ("gov", *Y, "A", "male", 3, "final"), ("gov", *Y, "A", "female", 6, "final"),
            ("news-old", *Y, "A", "all", 10, "final"), ("news-old", *Y, "A", "male", 4, "final"), ("news-old", *Y, "A", "female", 6, "final")]
    frame = obs(rows)
    flagged = harmonize.choose_preferred(frame, SOURCES)
    assert set(flagged.filter(pl.col("preferred"))["source_id"]) == {"news-old"}
    log = IssueLog()
    harmonize.check_sex_sums(frame, Discrepancies(pl.DataFrame()), log)
    assert len(log.issues) == 1 and log.issues[0].line == 2 and "male + female" in log.issues[0].rule
    key = "source_id=gov;freq=A;period_start=2019-01-01;period_end=2019-12-31"
    doc = Discrepancies(pl.DataFrame({"conflict_type": ["sum_mismatch"], "key": [key], "expected": [10], "observed": [9], "explanation": ["misprint"]}))
    log = IssueLog()
    conf = harmonize.check_sex_sums(frame, doc, log)
    assert not log and conf["rule"].to_list() == ["misprint"]


def test_conflicts_list_every_value_and_the_choice():
    rows = [("gov", *Y, "A", "all", 1047, "final"), ("news-old", *Y, "A", "all", 1045, "final")]
    conf = harmonize.find_conflicts(harmonize.choose_preferred(obs(rows), SOURCES), "defector_arrivals", harmonize.PERIOD + ["sex"], "arrivals")
    row = conf.row(0, named=True)
    assert (row["values"], row["source_ids"], row["chosen"], row["chosen_source_id"]) == ("1047;1045", "gov;news-old", "1047", "gov")


def test_quarters_must_sum_to_the_year():
    q = [(dt.date(2019, m, 1), dt.date(2019, m + 2, 30 if m + 2 in (6, 9) else 31)) for m in (1, 4, 7, 10)]
    rows = [("gov", *Y, "A", "all", 100, "final")] + [("gov", a, b, "Q", "all", 26, "final") for a, b in q]
    flagged = harmonize.choose_preferred(obs(rows), SOURCES)
    annual = harmonize.annual_series(flagged)
    log = IssueLog()
    harmonize.check_subannual_sums(flagged, annual, Discrepancies(pl.DataFrame()), log)
    assert len(log.issues) == 1 and "sum to 104, not the annual 100" in log.issues[0].rule


def test_running_total_within_revision_range():
    rows = [("gov", None, dt.date(2018, 12, 31), "P", "all", 500, "final"), ("gov", *Y, "A", "all", 100, "final"),
            ("news-old", *Y, "A", "all", 103, "final")]
    flagged = harmonize.choose_preferred(obs(rows), SOURCES)
    assert harmonize.running_total(flagged, "all", dt.date(2019, 12, 31)) == (600, 600, 603)
    cum = pl.DataFrame({"source_id": ["news-old", "blog"], "as_of": [dt.date(2019, 12, 31)] * 2, "sex": ["all"] * 2,
                        "cumulative": [602, 650], "reported_as": ["602", "650"], "note": [None, None],
                        "_file": ["c.csv"] * 2, "_line": [2, 3]}, schema_overrides={"note": pl.String})
    log = IssueLog()
    out, conf = harmonize.check_cumulative(flagged, cum, Discrepancies(pl.DataFrame()), log)
    assert conf.height == 1 and conf["conflict_type"].item() == "cumulative_mismatch"
    assert len(log.issues) == 1 and log.issues[0].line == 3
    assert out["computed"].to_list() == [600, 600]
