"""North Korean workers abroad: ``data/raw/labor/``.

- ``workers.csv``: one row per figure per source and measure (stocks, permits, border
  entries by purpose, visas, quotas, 2397 reports);
- ``revenue_estimates.csv``: published estimates of the state's revenue from them;
- ``model_inputs.csv``: wages, the state's share and payments per worker, as printed;
- ``revenue_assumptions.csv``: for each host and input of the revenue model, the
  distribution, the figure that carries the weight, the pool and the year rule.

Every row of the first three files carries ``scope`` (national, regional, firm, world,
multi_country); the revenue model lets only national figures set a host's bounds.

Row rules beyond the schemas: a row has a value or a bound; value_low <= value <=
value_high; a percentage is at most 100 and has no currency, a money figure has one; a
period's end is not before its start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..errors import IssueLog
from ..rawio import RawTable
from ..schemas import LABOR_MEASURES, LaborModelInputs, LaborRevenueAssumptions, LaborRevenueEstimates, LaborWorkerObservations
from .common import check_source_links, concat, load


@dataclass(frozen=True)
class LaborInputs:
    workers: pl.DataFrame
    revenue: pl.DataFrame
    inputs: pl.DataFrame
    assumptions: pl.DataFrame


def check_bounds(table: RawTable, log: IssueLog) -> None:
    for i, r in enumerate(table.frame.iter_rows(named=True)):
        line = table.lines[i]
        v, lo, hi = r["value"], r["value_low"], r["value_high"]
        if v is None and lo is None and hi is None:
            log.add(table.name, line, "value", "a row needs a value or at least one bound")
        if lo is not None and hi is not None and lo > hi:
            log.add(table.name, line, "value_low", f"value_low must not exceed value_high ({lo:g} > {hi:g})", lo)
        if v is not None and ((lo is not None and v < lo) or (hi is not None and v > hi)):
            log.add(table.name, line, "value", "value must lie between value_low and value_high", v)
        start, end = r.get("period_start"), r.get("period_end")
        if start is not None and end is not None and end < start:
            log.add(table.name, line, "period_end", "period_end is before period_start", end)
        if (start is None) != (end is None):
            log.add(table.name, line, "period_start" if start is None else "period_end", "give both ends of the period or neither")
        if r.get("unit") == "percent":
            for col in ("value", "value_low", "value_high"):
                if r[col] is not None and r[col] > 100:
                    log.add(table.name, line, col, "a percentage must be at most 100", r[col])
            if r.get("currency") is not None:
                log.add(table.name, line, "currency", "a percentage has no currency", r["currency"])
        elif "unit" in r and r.get("currency") is None:
            log.add(table.name, line, "currency", f"a money figure ({r['unit']}) needs its currency")


def check_assumptions(table: RawTable, log: IssueLog) -> None:
    """Each host has a workers row; entries and people_per_entry come together; only people_per_entry is widened."""
    rows = list(table.frame.iter_rows(named=True))
    by_host: dict[str, set[str]] = {}
    for r in rows:
        by_host.setdefault(r["host"], set()).add(r["input"])
    for i, r in enumerate(rows):
        line, inputs = table.lines[i], by_host[r["host"]]
        if "workers" not in inputs and r["input"] != "workers":
            log.add(table.name, line, "input", f"host {r['host']} has inputs but no 'workers' row: the model needs a head count", r["input"])
        partner = {"entries": "people_per_entry", "people_per_entry": "entries"}.get(r["input"])
        if partner and partner not in inputs:
            log.add(table.name, line, "input", f"'{r['input']}' needs a '{partner}' row for the same host (entries are converted to people only through the ratio)", r["input"])
        if r["input"] != "people_per_entry" and r["widen"] is not None and r["widen"] != 1:
            log.add(table.name, line, "widen", "only people_per_entry is widened; every other input has widen 1", r["widen"])


def ingest_labor(raw: Path, known_sources: set[str], log: IssueLog) -> LaborInputs:
    folder = raw / "labor"
    out = {}
    for name, model in (("workers", LaborWorkerObservations), ("revenue_estimates", LaborRevenueEstimates), ("model_inputs", LaborModelInputs)):
        path = folder / f"{name}.csv"
        table = load(path, model, log) if path.exists() else None
        if not path.exists():
            log.add(str(path), None, None, "file is missing")
        if table is not None:
            check_source_links(table, known_sources, log)
            check_bounds(table, log)
        out[name] = concat([table]) if table is not None else pl.DataFrame()
    path = folder / "revenue_assumptions.csv"
    assumptions = load(path, LaborRevenueAssumptions, log) if path.exists() else None
    if not path.exists():
        log.add(str(path), None, None, "file is missing")
    elif assumptions is not None:
        check_assumptions(assumptions, log)
    return LaborInputs(out["workers"], out["revenue_estimates"], out["model_inputs"],
                       concat([assumptions]) if assumptions is not None else pl.DataFrame())


def measures_table() -> pl.DataFrame:
    return pl.DataFrame(
        [{"measure": m, "unit": unit, "definition": text} for m, (unit, text) in LABOR_MEASURES.items()]
    ).sort("measure")
