"""Defections from abroad: the published table, and bad rows that must stop the build."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from .conftest import rewrite, snapshot
from .test_bad_input import run_build

REL = "defections_abroad/incidents.csv"
HEADER = "incident_id,date,date_precision,host,people,group,outcome,source_id,reported_as,note"
GOOD = "test-incident-2016,2016-04-07,day,CHN,13,restaurant_staff,reached_rok,nwtnews-2016-04-08-restaurant-13,13명,test row"


def test_published_table(built):
    d = built[0].tables["defections_abroad"]
    assert list(d.columns) == HEADER.split(",")
    assert d["incident_id"].n_unique() >= 60
    ningbo = d.filter(pl.col("incident_id") == "ningbo-restaurant-2016")
    # one source places the group in Viet Nam: that row stays, beside the Chinese ones
    assert ningbo.height >= 3 and 13 in set(ningbo["people"]) and "CHN" in set(ningbo["host"])
    assert dt.date(2016, 4, 7) in set(ningbo["date"]) and set(ningbo["outcome"]) == {"reached_rok"}
    assert d["people"].drop_nulls().min() >= 1
    assert d.select(pl.col("date").is_sorted()).item()


CASES = [
    ("group outside its list", GOOD.replace(",restaurant_staff,", ",waiter,"), "group", "isin"),
    ("outcome outside its list", GOOD.replace(",reached_rok,", ",escaped,"), "outcome", "isin"),
    ("people below 1", GOOD.replace(",13,", ",0,"), "people", "greater_than_or_equal_to(1)"),
    ("people not a whole number", GOOD.replace(",13,", ",2.5,"), "people", "whole number"),
    ("month date not the first", GOOD.replace("2016-04-07,day", "2016-04-07,month"), "date", "first day of its month"),
    ("host not a country or region", GOOD.replace(",CHN,", ",XYZ,"), "host", "isin"),
    ("unknown source", GOOD.replace("nwtnews-2016-04-08-restaurant-13", "nobody-2016"), "source_id", "not listed"),
]


@pytest.mark.parametrize("row,column,rule", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_incident_stops_the_build(row, column, rule, raw_copy, processed_copy, capsys):
    path = raw_copy / REL
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    lines.append(row.replace("ningbo-restaurant-2016-04", "test-incident"))
    rewrite(path, "\n".join(lines) + "\n")
    before = snapshot(processed_copy)
    code, err = run_build(raw_copy, processed_copy, capsys)
    assert code == 1
    hit = [m for m in err.splitlines() if f"{REL}, line {len(lines)}, column '{column}'" in m]
    assert hit and rule in hit[0], err
    assert snapshot(processed_copy) == before


def test_sources_that_disagree_on_an_incident_both_stay(raw_copy, processed_copy, capsys):
    """Two sources placing one incident in different hosts: both rows are published; the analysis counts it once."""
    path = raw_copy / REL
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    lines += [GOOD, GOOD.replace(",CHN,", ",VNM,").replace("nwtnews-2016-04-08-restaurant-13", "yonhap-2016-04-10-restaurant-staff-china")]
    rewrite(path, "\n".join(lines) + "\n")
    code, err = run_build(raw_copy, processed_copy, capsys)
    assert code == 0, err
    import polars as pl
    from analysis.models.tradeoff import incidents
    published = pl.read_csv(processed_copy / "defections_abroad.csv", infer_schema_length=0).to_pandas()
    iid = GOOD.split(",")[0]  # the appended row and its copy placed in VNM
    assert set(published.loc[published["incident_id"] == iid, "host"]) >= {"CHN", "VNM"}
    assert (incidents(published)["incident_id"] == iid).sum() == 1
