"""Documented misses of the consistency checks.

A check that fails stops the build, unless the miss is written down here with its
explanation (for example: a later revision of the annual figure that the quarterly
figures were never updated for). A documented miss is published in ``conflicts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandera.polars as pa
import polars as pl

from ..errors import IssueLog
from ..schemas import CONFLICT_TYPES, SOURCE_ID
from .common import check_source_links, load


class DiscrepancyRecords(pa.DataFrameModel):
    """Raw table: one documented, explained check miss."""

    conflict_type: str = pa.Field(isin=[c for c in CONFLICT_TYPES if c != "sources_disagree"])
    key: str = pa.Field(str_length={"min_value": 1})
    expected: int = pa.Field(ge=0)
    observed: int = pa.Field(ge=0)
    explanation: str = pa.Field(str_length={"min_value": 10})
    source_id: str = pa.Field(str_matches=SOURCE_ID)

    class Config:
        strict = True
        unique = ["conflict_type", "key", "expected", "observed"]


@dataclass(frozen=True)
class Discrepancies:
    frame: pl.DataFrame

    def explains(self, conflict_type: str, key: str, expected: int, observed: int) -> str | None:
        if self.frame.is_empty():
            return None
        hit = self.frame.filter(
            (pl.col("conflict_type") == conflict_type) & (pl.col("key") == key)
            & (pl.col("expected") == expected) & (pl.col("observed") == observed)
        )
        return None if hit.is_empty() else hit["explanation"][0]


def ingest_discrepancies(path: Path, known_sources: set[str], log: IssueLog) -> Discrepancies:
    if not path.exists():
        return Discrepancies(pl.DataFrame())
    table = load(path, DiscrepancyRecords, log)
    if table is None:
        return Discrepancies(pl.DataFrame())
    check_source_links(table, known_sources, log)
    return Discrepancies(table.frame)
