"""The result tables on disk (reports/tables/): written once validated, read back without validating twice.

``nkflows fit`` validates each table against its result model in :mod:`analysis.schemas`
and writes it (:func:`write_results`), together with ``validated.json``: the SHA-256 of
each file it validated. The report reads the tables (:func:`load_results`) with the
dtypes their models declare; a file whose bytes still match ``validated.json`` is not
checked again, any other (edited by hand, written by an older version, or with no record)
is validated in full, with errors naming the file, the row, the column and the rule.

This module imports no model code (no statsmodels): the report uses it without fitting.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

#: The record of the files ``nkflows fit`` validated, beside them in reports/tables/.
VALIDATED = "validated.json"


def plain_csv(frame: pd.DataFrame) -> bytes:
    """A table as CSV with every number in plain decimal notation (6 significant digits; 1200000000, never 1.2e+09)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = ["" if pd.isna(v) else np.format_float_positional(v, precision=6, unique=False, fractional=False, trim="-")
                        for v in out[col]]
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def result_csv(stem: str, frame: pd.DataFrame) -> bytes:
    """A result table validated against its result model, as the CSV :func:`write_results` writes."""
    from ..schemas import validate_result

    return plain_csv(validate_result(stem, frame))


def write_results(results: dict[str, pd.DataFrame], out: Path, validated: dict[str, bytes] | None = None) -> list[Path]:
    """Validate each table against its result model and write it (atomically) to ``out``/tables/<name>.csv,
    then ``validated.json`` with the hash of each file written. ``validated``: tables already turned into
    CSV by :func:`result_csv` (in the worker that fitted them), written as they are."""
    from ..publish import write_atomic

    validated = validated or {}
    paths, record = [], {}
    for stem, frame in results.items():
        data = validated[stem] if stem in validated else result_csv(stem, frame)
        path = out / "tables" / f"{stem}.csv"
        write_atomic(path, data)
        record[path.name] = _sha256(data)
        paths.append(path)
    write_atomic(out / "tables" / VALIDATED, (json.dumps(dict(sorted(record.items())), indent=1) + "\n").encode("utf-8"))
    return paths


def _validated(folder: Path) -> dict[str, str]:
    try:
        record = json.loads((folder / VALIDATED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def load_results(out: Path) -> dict[str, pd.DataFrame]:
    """Read the result tables written by ``nkflows fit``; a missing one is a clear error.

    Each is read with its model's dtypes; only a file that differs from what the fit validated is validated again."""
    from ..errors import DataError, Issue
    from ..schemas import RESULT_MODELS, coerce_result, read_result

    folder = out / "tables"
    missing = [name for name in RESULT_MODELS if not (folder / f"{name}.csv").exists()]
    if missing:
        raise DataError([Issue(str(folder / f"{name}.csv"), None, None, "result table missing; run `nkflows fit` (or `make results`) first")
                         for name in missing])
    record = _validated(folder)
    results = {}
    for name in RESULT_MODELS:
        path = folder / f"{name}.csv"
        data = path.read_bytes()
        if record.get(path.name) == _sha256(data):
            results[name] = coerce_result(name, data)
        else:
            results[name] = read_result(name, path)
    for path in sorted(folder.glob("*.csv")):
        if path.stem not in results:  # tables without a result model (none expected) are read as they are
            results[path.stem] = pd.read_csv(path)
    return results
