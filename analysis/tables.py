"""The published tables as pandas DataFrames: how the report and the notebooks read data/processed.

    from analysis import tables
    t = tables.load()                       # every published table, by name
    annual = tables.load_table("defector_arrivals_annual")

Each table is read with the dtypes of its schema (:mod:`analysis.schemas`), from the
committed CSV files, so a fresh clone can use them without building anything.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .datapackage import PUBLISHED
from .errors import DataError, Issue
from .paths import PROCESSED, display
from .validate import read_published

NAMES = tuple(PUBLISHED)


def load_table(name: str, processed: Path = PROCESSED) -> pd.DataFrame:
    """One published table. An unknown name or a missing file is an error that says what to do."""
    path = Path(processed) / f"{name}.csv"
    if name not in PUBLISHED:
        raise DataError([Issue(display(path), None, None, f"no published table is called {name!r}; the tables are: {', '.join(NAMES)}")])
    if not path.exists():
        raise DataError([Issue(display(path), None, None, "published table is missing; run `make data`")])
    return read_published(Path(processed), name).to_pandas()


def load(processed: Path = PROCESSED, names: tuple[str, ...] = NAMES) -> dict[str, pd.DataFrame]:
    """The published tables, keyed by name (all of them unless ``names`` says otherwise)."""
    return {name: load_table(name, processed) for name in names}
