"""analysis.tables: the published tables as the notebooks and the report read them."""

from __future__ import annotations

import pandas as pd
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


@pytest.fixture(scope="module")
def loaded():
    return tables.load()


@pytest.mark.parametrize("name", tables.NAMES)
def test_dtypes_follow_the_schema(loaded, name):
    """Each column's pandas dtype is the one its pandera model declares: a float count or a text date is a bug."""
    frame = loaded[name]
    for col, column in tables.PUBLISHED[name].to_schema().columns.items():
        kind, dtype = str(column.dtype), frame[col].dtype
        allowed = next((c.statistics["allowed_values"] for c in column.checks if c.name == "isin"), None)
        if allowed is not None:
            assert isinstance(dtype, pd.CategoricalDtype) and list(dtype.categories) == list(allowed), (name, col, dtype)
        elif kind == "Int64":
            assert dtype == pd.Int64Dtype(), (name, col, dtype)
        elif kind == "Date":
            assert pd.api.types.is_datetime64_dtype(dtype), (name, col, dtype)
        elif kind == "Boolean":
            assert pd.api.types.is_bool_dtype(dtype), (name, col, dtype)
        elif kind == "Float64":
            assert dtype == "float64", (name, col, dtype)
        else:
            assert pd.api.types.is_string_dtype(dtype), (name, col, dtype)


def test_counts_are_nullable_integers_and_years_print_as_integers(loaded):
    annual = loaded["defector_arrivals_annual"]
    assert annual["male"].dtype == "Int64" and annual["male"].isna().any()  # missing stays missing, not NaN in a float column
    assert annual.loc[annual["year"] == 2011, ["male", "female", "total"]].iloc[0].tolist() == [795, 1911, 2706]
    assert "2011.0" not in annual.to_string() and "2011" in annual.to_string()
    arrivals = loaded["defector_arrivals"]
    assert arrivals["arrivals"].dtype == "Int64" and arrivals["period_start"].isna().any()  # the open-ended pooled rows
    assert pd.Timestamp("1998-12-31") in set(arrivals.loc[arrivals["period_start"].isna(), "period_end"])
    assert loaded["trade_monthly"]["month"].dtype == "Int64" and set(loaded["trade_monthly"]["month"]) <= set(range(1, 13))


def test_categories_keep_their_allowed_values(loaded):
    sex = loaded["defector_arrivals"]["sex"]
    assert list(sex.cat.categories) == ["male", "female", "all"] and sex.notna().all()
    assert loaded["sources"]["kind"].value_counts()["official"] > 10
    assert loaded["conflicts"]["chosen"].dtype == bool
