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
    assert not log and conf["note"].to_list() == ["misprint", "misprint"]
    assert conf["value"].to_list() == ["10", "9"] and conf["basis"].to_list() == ["reported total", "male + female as reported"]
    assert not conf["chosen"].any() and conf["conflict_id"].n_unique() == 1


def test_conflicts_list_every_value_and_the_choice():
    rows = [("gov", *Y, "A", "all", 1047, "final"), ("news-old", *Y, "A", "all", 1045, "final")]
    conf = harmonize.defector_conflicts(harmonize.choose_preferred(obs(rows), SOURCES), SOURCES)
    assert conf.select("value", "source_id", "basis", "chosen").rows() == [("1047", "gov", "reported", True), ("1045", "news-old", "reported", False)]
    assert conf["conflict_id"].n_unique() == 1 and conf["key"][0] == "freq=A;period_start=2019-01-01;period_end=2019-12-31;sex=all"
    # official beats news: the kind of source decided (step 4), not the date
    assert set(conf["decided_by"]) == {"defector rule, step 4: official > news > research > secondary"}


def test_the_deciding_step_is_the_first_that_separates_the_chosen_value_from_another():
    # both news, both final: the later publication wins (step 5); a third source repeating the chosen value does not matter
    rows = [("news-old", *Y, "A", "all", 1045, "final"), ("news-new", *Y, "A", "all", 1047, "final"), ("blog", *Y, "A", "all", 1047, "final")]
    conf = harmonize.defector_conflicts(harmonize.choose_preferred(obs(rows), SOURCES), SOURCES)
    assert conf.filter(pl.col("chosen"))["source_id"].to_list() == ["news-new"]
    assert set(conf["decided_by"]) == {"defector rule, step 5: latest publication first"}
    # a provisional official figure loses to a final news figure: step 1
    rows = [("gov", *Y, "A", "all", 1047, "provisional"), ("news-old", *Y, "A", "all", 1045, "final")]
    conf = harmonize.defector_conflicts(harmonize.choose_preferred(obs(rows), SOURCES), SOURCES)
    assert set(conf["decided_by"]) == {"defector rule, step 1: final or revised before provisional"}


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
    assert conf["conflict_id"].n_unique() == 1 and set(conf["conflict_type"]) == {"cumulative_mismatch"}
    assert conf.select("value", "source_id", "chosen").rows() == [("602", "news-old", False), ("600", None, True)]
    assert set(conf["decided_by"]) == {"within the published revisions"} and conf["note"][0].endswith("(600-603)")
    assert len(log.issues) == 1 and log.issues[0].line == 3
    assert out["computed"].to_list() == [600, 600]
