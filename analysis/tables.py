"""The published tables as pandas DataFrames: how the report and the notebooks read data/processed.

    from analysis import tables
    t = tables.load()                       # every published table, by name
    annual = tables.load_table("defector_arrivals_annual")

Each table is read from the committed CSV files (a fresh clone can use them without
building anything) with the dtypes its schema (:mod:`analysis.schemas`) declares:

- integer columns (counts, years, months) are pandas' nullable ``Int64``, so a missing
  count stays missing (``<NA>``) instead of turning the column into floats;
- date columns are ``datetime64[ms]`` (pandas' date type; the day, no time of day);
- columns with a fixed list of allowed values (``sex``, ``freq``, ``kind``, ``measure``,
  ``reporter``...) are ``category`` with the schema's list as categories, in its order;
- true/false columns are ``bool``; text is ``str``; money and shares are ``float64``.

The tables are read as one set, never a mix of two builds, even while a build switches a
new set in (:mod:`analysis.files`): the folder is opened once and every file is opened
relative to that open folder (``openat``), so a switch in the middle (which moves another
folder into the name) cannot hand the reader files of the new set after files of the old;
and when the set has a ``manifest.json`` each file's bytes are checked against the SHA-256
it lists. A file of the old set removed after the switch, or a hash that differs (a folder
changed file by file rather than switched), means the read was mixed: it is done again
once, from the set now in place, and if the second read is mixed too the load fails with
a message naming the file. A folder without a manifest (the committed CSV files of a
fresh clone, before any build) is read the same way, without the hash check.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pandas as pd

from .datapackage import PUBLISHED
from .errors import DataError, Issue
from .paths import PROCESSED, display
from .validate import read_published

NAMES = tuple(PUBLISHED)


def pandas_dtypes(name: str) -> dict[str, object]:
    """The pandas dtype of each column of a published table, from its pandera model."""
    out: dict[str, object] = {}
    for col, column in PUBLISHED[name].to_schema().columns.items():
        kind = str(column.dtype)
        allowed = next((c.statistics["allowed_values"] for c in column.checks if c.name == "isin"), None)
        if allowed is not None and kind == "String":
            out[col] = pd.CategoricalDtype(list(allowed))
        elif kind == "Int64":
            out[col] = pd.Int64Dtype()
        elif kind == "Date":
            out[col] = "datetime64[ms]"
        elif kind == "Boolean":
            out[col] = pd.BooleanDtype() if column.nullable else bool
        elif kind == "Float64":
            out[col] = "float64"
        else:
            out[col] = pd.StringDtype(na_value=float("nan"))
    return out


MANIFEST = "manifest.json"
_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


class _Mixed(Exception):
    """One read of the set was not of one set: ``rel`` is the file where it showed."""

    def __init__(self, rel: str, why: str):
        self.rel, self.why = rel, why
        super().__init__(f"{rel}: {why}")


def _read_at(folder: int | None, base: Path, rel: str) -> bytes:
    """The bytes of ``rel``, opened relative to the open folder ``folder`` (by path where ``openat`` is missing).
    Anything but a regular file is refused: a reader must not block on a pipe left in the folder."""
    if folder is not None:
        fd = os.open(rel, _FLAGS | getattr(os, "O_NONBLOCK", 0), dir_fd=folder)
    else:
        fd = os.open(base / rel, _FLAGS | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise DataError([Issue(display(base / rel), None, None, "published file is not a regular file; run `nkflows build`")])
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _switched(folder: int | None, base: Path) -> bool:
    """Whether the name ``base`` now holds another folder than the one opened (a set was switched in)."""
    if folder is None:
        return False
    try:
        now, opened = os.stat(base), os.fstat(folder)
    except OSError:
        return True
    return (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino)


def _read_once(base: Path, rels: list[str]) -> dict[str, bytes]:
    """One read of ``rels`` from the set at ``base``; :class:`_Mixed` when the read was not of one set."""
    folder = None
    if os.open in os.supports_dir_fd:
        try:
            folder = os.open(base, _FLAGS | getattr(os, "O_DIRECTORY", 0))
        except FileNotFoundError:
            raise DataError([Issue(display(base), None, None, "folder of published tables is missing; run `make data`")]) from None
        except NotADirectoryError:
            raise DataError([Issue(display(base), None, None, "is not a folder of published tables")]) from None
    try:
        try:
            manifest = json.loads(_read_at(folder, base, MANIFEST).decode("utf-8"))["files"]
            if not isinstance(manifest, dict):
                raise TypeError("'files' is not an object")
        except FileNotFoundError:
            manifest = None  # the committed CSV files of a fresh clone: no hash to check against
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DataError([Issue(display(base / MANIFEST), None, None,
                                   f"manifest is not readable ({exc.__class__.__name__}: {exc}); run `nkflows build`")]) from None
        out = {}
        for rel in rels:
            try:
                data = _read_at(folder, base, rel)
            except FileNotFoundError:
                if _switched(folder, base):
                    raise _Mixed(rel, "it was removed with the old set when a new set was switched in") from None
                raise DataError([Issue(display(base / rel), None, None, "published table is missing; run `make data`")]) from None
            if manifest is not None:
                entry = manifest.get(rel)
                if not isinstance(entry, dict):
                    raise _Mixed(rel, "manifest.json does not list it")
                if len(data) != entry.get("bytes") or hashlib.sha256(data).hexdigest() != entry.get("sha256"):
                    raise _Mixed(rel, "its SHA-256 differs from manifest.json")
            out[rel] = data
        return out
    finally:
        if folder is not None:
            os.close(folder)


def read_set(processed: Path, rels: list[str]) -> dict[str, bytes]:
    """The bytes of the files ``rels`` (names in the folder), all of one published set.

    A mixed read is done again once, from the set now in place; a second mixed read is a
    :class:`DataError` naming the file."""
    base = Path(processed)
    try:
        return _read_once(base, rels)
    except _Mixed:
        pass
    try:
        return _read_once(base, rels)
    except _Mixed as exc:
        raise DataError([Issue(display(base / exc.rel), None, None,
                               f"read twice, and neither read was of one set ({exc.why}): the files are not the set "
                               "manifest.json describes (changed after the build, by hand or by a git checkout of other "
                               "committed CSV files, or changed again during the read); run `nkflows build`, "
                               "then read again")]) from None


def load_table(name: str, processed: Path = PROCESSED) -> pd.DataFrame:
    """One published table. An unknown name or a missing file is an error that says what to do."""
    return load(processed, (name,))[name]


def load(processed: Path = PROCESSED, names: tuple[str, ...] = NAMES) -> dict[str, pd.DataFrame]:
    """The published tables, keyed by name (all of them unless ``names`` says otherwise), all from one set."""
    processed = Path(processed)
    for name in names:
        if name not in PUBLISHED:
            raise DataError([Issue(display(processed / f"{name}.csv"), None, None,
                                   f"no published table is called {name!r}; the tables are: {', '.join(NAMES)}")])
    blobs = read_set(processed, [f"{name}.csv" for name in names])
    return {name: read_published(processed, name, blobs[f"{name}.csv"]).to_pandas().astype(pandas_dtypes(name))
            for name in names}
