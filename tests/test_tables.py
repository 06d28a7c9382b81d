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


# -- one set, even while a build switches a new set in ----------------------------------------------

from analysis import files, publish  # noqa: E402

NAMES2 = ("events", "sources")
OLD = {f"{n}.csv": (tables.PROCESSED / f"{n}.csv").read_bytes() for n in NAMES2}
NEW = {"events.csv": OLD["events.csv"].replace(b"Russia-DPRK treaty of friendship", b"Russia-DPRK TREATY of friendship", 1),
       "sources.csv": OLD["sources.csv"].replace(b"Why the North Korea", b"Why the NEW North Korea", 1)}


def which(t: dict[str, pd.DataFrame]) -> tuple[str, str]:
    """Which set each table came from: ('old', 'old') or ('new', 'new') is one set; anything else a mix."""
    events = "new" if t["events"]["title"].str.contains("TREATY").any() else "old"
    sources = "new" if t["sources"]["title"].str.contains("NEW North Korea").any() else "old"
    return events, sources


def publish_set(folder, content, manifest=True):
    if manifest:
        return publish.write_tables(folder, content)
    return files.write_set(folder, content)


def switch_after_first_file(monkeypatch, folder, sets, manifest=True):
    """The loader's per-file read runs a real set switch (to the next of ``sets``) after each first table read."""
    real, reads = tables._read_at, []

    def read_at(fd, base, rel):
        data = real(fd, base, rel)
        reads.append(rel)
        if rel == "events.csv" and sets:
            publish_set(folder, sets.pop(0), manifest)
        return data
    monkeypatch.setattr(tables, "_read_at", read_at)
    return reads


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2-exchange", "two-renames"])
def test_a_switch_between_two_files_never_gives_a_mix(tmp_path, monkeypatch, exchange):
    """The switch lands after events.csv was read from the old set: the read is done again from the new
    set, never sources.csv of the new set returned beside events.csv of the old."""
    if not exchange:
        monkeypatch.setenv("NKFLOWS_NO_EXCHANGE", "1")
    folder = tmp_path / "processed"
    publish_set(folder, OLD)
    reads = switch_after_first_file(monkeypatch, folder, [NEW])
    assert which(tables.load(folder, NAMES2)) == ("new", "new")
    # the old folder was removed after the switch: sources.csv was not found in it, so the set was read again
    assert reads == ["manifest.json", "events.csv", "manifest.json", "events.csv", "sources.csv"]


@pytest.mark.parametrize("manifest", [True, False], ids=["with-manifest", "without-manifest"])
def test_the_open_folder_keeps_the_old_set_until_it_is_removed(tmp_path, monkeypatch, manifest):
    """While the old folder still exists after the switch (its removal held back), every file comes from it:
    a reader that opened files by path would take sources.csv from the new set (a mix, even without a manifest)."""
    folder = tmp_path / "processed"
    publish_set(folder, OLD, manifest)
    kept = []
    monkeypatch.setattr(files.shutil, "rmtree", lambda p, **kw: kept.append(p))
    reads = switch_after_first_file(monkeypatch, folder, [NEW], manifest)
    assert which(tables.load(folder, NAMES2)) == ("old", "old")
    assert reads.count("events.csv") == 1 and len(kept) == 1  # one read sufficed; the old set was switched out
    monkeypatch.undo()
    assert which(tables.load(folder, NAMES2)) == ("new", "new")


def test_without_a_manifest_a_removed_old_set_is_read_again(tmp_path, monkeypatch):
    folder = tmp_path / "processed"
    publish_set(folder, OLD, manifest=False)
    reads = switch_after_first_file(monkeypatch, folder, [NEW], manifest=False)
    assert which(tables.load(folder, NAMES2)) == ("new", "new")
    assert reads.count("events.csv") == 2


def test_a_second_mixed_read_fails_naming_the_file(tmp_path, monkeypatch):
    folder = tmp_path / "processed"
    publish_set(folder, OLD)
    switch_after_first_file(monkeypatch, folder, [NEW, OLD])
    with pytest.raises(DataError, match=r"sources\.csv: read twice, and neither read was of one set \(it was removed "
                                        r"with the old set when a new set was switched in\).*run `nkflows build`"):
        tables.load(folder, NAMES2)


def test_a_file_changed_in_place_is_refused_by_its_hash(tmp_path, monkeypatch):
    """A folder changed file by file (not switched as a set): the same open folder, but sources.csv no longer
    matches manifest.json; both reads see it, so the load fails and names the file."""
    folder = tmp_path / "processed"
    publish_set(folder, OLD)
    files.write_atomic(folder / "sources.csv", NEW["sources.csv"])
    with pytest.raises(DataError, match=r"sources\.csv: read twice, .*its SHA-256 differs from manifest\.json"):
        tables.load(folder, NAMES2)
    assert (folder / "sources.csv").read_bytes() == NEW["sources.csv"]  # the reader reports; it changes nothing


def test_a_file_changed_in_place_with_its_manifest_during_the_read(tmp_path, monkeypatch):
    """An older writer that replaced sources.csv and then manifest.json in place while the reader was between
    files: the first read is mixed (hash), the second is whole and new."""
    folder = tmp_path / "processed"
    publish_set(folder, OLD)
    real, reads = tables._read_at, []

    def read_at(fd, base, rel):
        data = real(fd, base, rel)
        reads.append(rel)
        if reads == ["manifest.json", "events.csv"]:
            content = {"events.csv": OLD["events.csv"], "sources.csv": NEW["sources.csv"]}
            files.write_atomic(folder / "sources.csv", content["sources.csv"])
            files.write_atomic(folder / "manifest.json", publish.manifest_bytes(content))
        return data
    monkeypatch.setattr(tables, "_read_at", read_at)
    assert which(tables.load(folder, NAMES2)) == ("old", "new")  # the set now in place is that one, whole
    assert reads == ["manifest.json", "events.csv", "sources.csv", "manifest.json", "events.csv", "sources.csv"]
