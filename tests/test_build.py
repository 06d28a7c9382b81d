"""The real build: known figures, reproducibility, staleness of the committed tables, validation."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis.build import build
from analysis.datapackage import PUBLISHED
from analysis.paths import PROCESSED, RAW
from analysis.validate import frictionless_errors, validate_processed

from .conftest import snapshot


def annual(built) -> pl.DataFrame:
    return built[0].tables["defector_arrivals_annual"]


def test_annual_series_covers_2002_2025_with_sex_split(built):
    a = annual(built).filter(pl.col("year").is_between(2002, 2025))
    assert a["year"].to_list() == list(range(2002, 2026))
    assert a["male"].null_count() == 0 and a["female"].null_count() == 0
    assert (a["male"] + a["female"] == a["total"]).all()


def test_known_annual_figures(built):
    a = annual(built)
    row = lambda y: a.filter(pl.col("year") == y).row(0, named=True)  # noqa: E731
    # the MOU statistics page: 2009 peak of 2,914 (662 men, 2,252 women)
    assert (row(2009)["total"], row(2009)["male"], row(2009)["female"]) == (2914, 662, 2252)
    # 2025: first announced as 224, corrected by the MOU to 223 (25 men, 198 women); the revision wins
    assert (row(2025)["total"], row(2025)["male"], row(2025)["female"], row(2025)["status"]) == (223, 25, 198, "revised")
    assert row(2020)["total"] == 229 and row(2021)["total"] == 63 and row(2022)["total"] == 67
    assert row(2019)["female_share"] == round(845 / 1047, 4)
    # the sum of the preferred series 2002-2025
    # 2002-2025 sum = the corrected end-2025 running total (34,537) less the pooled rows to 2001 (947 + 1,043)
    assert a.filter(pl.col("year") >= 2002)["total"].sum() == 34_537 - 947 - 1_043


def test_pooled_rows_and_revisions_kept(built):
    arr = built[0].tables["defector_arrivals"]
    pooled = arr.filter((pl.col("freq") == "P") & pl.col("period_start").is_null() & (pl.col("period_end") == dt.date(1998, 12, 31)) & (pl.col("sex") == "all"))
    assert set(pooled["arrivals"]) == {947}
    early = arr.filter((pl.col("freq") == "P") & (pl.col("period_start") == dt.date(1999, 1, 1)) & (pl.col("period_end") == dt.date(2001, 12, 31)) & (pl.col("sex") == "all"))
    assert 1043 in set(early["arrivals"])
    y2025 = arr.filter((pl.col("period_start") == dt.date(2025, 1, 1)) & (pl.col("freq") == "A") & (pl.col("sex") == "all"))
    assert {224, 223} <= set(y2025["arrivals"])
    assert y2025.filter(pl.col("preferred"))["arrivals"].to_list() == [223]


def test_quarterly_totals_2019_to_2025q1(built):
    arr = built[0].tables["defector_arrivals"].filter((pl.col("freq") == "Q") & (pl.col("sex") == "all"))
    quarters = {(d.year, (d.month - 1) // 3 + 1) for d in arr["period_start"]}
    wanted = {(y, q) for y in range(2019, 2025) for q in range(1, 5)} | {(2025, 1)}
    assert wanted <= quarters


def test_every_disagreement_is_a_conflict(built):
    arr = built[0].tables["defector_arrivals"]
    conf = built[0].tables["conflicts"].filter((pl.col("conflict_type") == "sources_disagree") & (pl.col("table") == "defector_arrivals"))
    n_disagree = arr.group_by("freq", "period_start", "period_end", "sex").agg(pl.col("arrivals").n_unique().alias("n")).filter(pl.col("n") > 1).height
    assert conf["conflict_id"].n_unique() == n_disagree > 50
    assert (conf.group_by("conflict_id").agg(pl.col("chosen").sum())["chosen"] == 1).all()  # one chosen value per conflict
    # 2009: the MOU's later table (2,914) beats its January 2012 table (2,927): both official, the later publication decided
    rows = conf.filter(pl.col("key") == "freq=A;period_start=2009-01-01;period_end=2009-12-31;sex=all")
    assert rows.filter(pl.col("chosen"))["value"].to_list() == ["2914"] and "2927" in rows["value"].to_list()
    assert set(rows["decided_by"]) == {"defector rule, step 5: latest publication first"}


def test_reported_running_totals_checked(built):
    cum = built[0].tables["defector_cumulative"]
    end2025 = cum.filter((pl.col("as_of") == dt.date(2025, 12, 31)) & (pl.col("sex") == "all"))
    assert set(end2025["computed"]) == {34537}
    assert set(end2025["cumulative"]) == {34537, 34538}
    assert cum["computed"].null_count() < cum.height


def test_two_builds_are_byte_identical(built, tmp_path):
    _, out1 = built
    out2 = tmp_path / "second"
    build(RAW, out2)
    assert snapshot(out1) == snapshot(out2)


def test_committed_processed_is_not_stale(built):
    """The staleness check: the committed data/processed/ must be exactly what a build of
    data/raw/ writes (CSV and datapackage.json; Parquet is built, not committed). CI runs it
    with the rest of ``make test``; after changing data/raw/ or the code, run ``make data``
    and commit data/processed/."""
    _, out = built
    fresh, committed = snapshot(out), snapshot(PROCESSED)
    stale = [name for name in [f"{t}.csv" for t in PUBLISHED] + ["datapackage.json"] if committed.get(name) != fresh[name]]
    assert not stale, f"data/processed is stale ({', '.join(stale)}): run `make data` and commit data/processed/"


def test_validate_and_frictionless(built):
    _, out = built
    assert validate_processed(out).startswith("valid: ")
    assert frictionless_errors(out / "datapackage.json") == []


def test_events_needed_by_models_present(built):
    ev = built[0].tables["events"]
    ids = set(ev["event_id"])
    assert {"kim-jong-il-death", "border-closure-2020", "unsc-2397", "repatriation-deadline-2019"} <= ids
    assert ev.filter(pl.col("event_id") == "kim-jong-il-death")["date"].item() == dt.date(2011, 12, 17)
    assert ev.height >= 100
