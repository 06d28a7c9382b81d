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
"""

from __future__ import annotations

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


def load_table(name: str, processed: Path = PROCESSED) -> pd.DataFrame:
    """One published table. An unknown name or a missing file is an error that says what to do."""
    path = Path(processed) / f"{name}.csv"
    if name not in PUBLISHED:
        raise DataError([Issue(display(path), None, None, f"no published table is called {name!r}; the tables are: {', '.join(NAMES)}")])
    if not path.exists():
        raise DataError([Issue(display(path), None, None, "published table is missing; run `make data`")])
    frame = read_published(Path(processed), name).to_pandas()
    return frame.astype(pandas_dtypes(name))


def load(processed: Path = PROCESSED, names: tuple[str, ...] = NAMES) -> dict[str, pd.DataFrame]:
    """The published tables, keyed by name (all of them unless ``names`` says otherwise)."""
    return {name: load_table(name, processed) for name in names}
