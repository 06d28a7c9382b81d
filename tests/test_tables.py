"""analysis.tables: the published tables as the notebooks and the report read them."""

from __future__ import annotations

import pytest

from analysis import tables
from analysis.errors import DataError


def test_load_reads_every_published_table_with_its_dtypes():
    t = tables.load()
    assert set(t) == set(tables.NAMES)
    annual = t["defector_arrivals_annual"]
    assert annual.loc[annual["year"] == 2009, "total"].item() == 2914
    assert str(annual["year"].dtype).lower().startswith("int")


def test_an_unknown_table_or_a_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(DataError, match="no published table is called 'defectors'; the tables are: sources"):
        tables.load_table("defectors")
    with pytest.raises(DataError, match=r"events\.csv: published table is missing; run `make data`"):
        tables.load_table("events", tmp_path)
