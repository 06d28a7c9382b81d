"""The data build: data/raw -> validated observations -> harmonized series -> data/processed.

Nothing is written unless every stage passes: a problem anywhere raises
:class:`~analysis.errors.DataError` listing every problem found, and data/processed is
left exactly as it was. The write phase writes the whole new set beside the old one and
switches it in at once (:mod:`analysis.files`): a reader never sees old and new mixed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polars as pl

from . import harmonize, harmonize_trade
from .datapackage import PUBLISHED, render as render_datapackage, render_readme
from .errors import IssueLog
from .harmonize import labor as labor_panel
from .ingest.defections_abroad import ingest_defections_abroad
from .ingest.defectors import ingest_defectors
from .ingest.events import ingest_event_sources, ingest_events
from .ingest.sources import ingest_sources
from .ingest.trade import ingest_trade
from .ingest.labor import ingest_labor, measures_table
from .paths import PROCESSED, RAW, display
from .provenance import check_tree, orphan_issue, verify_tree
from .files import check_target
from .publish import csv_bytes, parquet_bytes, validate_published, write_tables

Progress = Callable[[str], None]


@dataclass
class Build:
    """The published tables of one build, in memory."""

    tables: dict[str, pl.DataFrame]
    changed: list[Path] = field(default_factory=list)


def _sorted(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    return frame.sort(by, nulls_last=False, maintain_order=True)


def assemble(raw: Path = RAW, progress: Progress = lambda _: None) -> Build:
    """Read, check and harmonize everything under ``raw``; return the published tables."""
    log = IssueLog()
    steps = 4
    t0 = time.perf_counter()

    def step(i: int, text: str) -> None:
        progress(f"[{i}/{steps}] {text} ({time.perf_counter() - t0:.1f}s)")

    step(1, f"checking provenance and reading sources in {display(raw)}")
    check_tree(raw)  # special files, links out of the tree: refused by name before anything is read
    log.extend(orphan_issue(raw))
    verify_tree(raw, log)
    sources = ingest_sources(raw, log)
    known = set(sources["source_id"].to_list()) if not sources.is_empty() else set()

    step(2, "reading defector arrivals, trade figures, workers abroad, defections from abroad and events")
    defectors = ingest_defectors(raw, known, log)
    events = ingest_events(raw, known, log)
    event_sources = ingest_event_sources(raw, events, known, log)
    trade, trade_disc = ingest_trade(raw, known, log)
    labor = ingest_labor(raw, known, log)
    defections_abroad = ingest_defections_abroad(raw, known, log)
    log.raise_if_any()

    step(3, "choosing preferred figures, listing conflicts, checking sums and running totals, building the host-year panel of workers")
    flagged = harmonize.choose_preferred(defectors.arrivals, sources)
    annual = harmonize.annual_series(flagged)
    conflicts = [
        harmonize.defector_conflicts(flagged, sources),
        harmonize.check_sex_sums(defectors.arrivals, defectors.discrepancies, log),
    ]
    conflicts.append(harmonize.check_subannual_sums(flagged, annual, defectors.discrepancies, log))
    cumulative, cum_conflicts = harmonize.check_cumulative(flagged, defectors.cumulative, defectors.discrepancies, log)
    conflicts.append(cum_conflicts)
    trade_flagged = harmonize_trade.choose_preferred(trade, sources)
    trade_annual = harmonize_trade.annual_table(trade_flagged)
    trade_monthly, month_conflicts = harmonize_trade.monthly_table(trade_flagged)
    conflicts += [
        harmonize_trade.trade_conflicts(trade_flagged, sources),
        harmonize_trade.check_flow_sums(trade, trade_disc, log),
        month_conflicts,
        harmonize_trade.check_months_against_year(trade_monthly, trade_annual),
    ]
    panel = labor_panel.build_panel(labor.workers)
    labor_panel.check_panel(panel, labor.workers, log)
    log.raise_if_any()

    tables = {
        "sources": _sorted(sources, ["source_id"]),
        "defector_arrivals": _sorted(flagged, ["period_end", "period_start", "freq", "sex", "source_id"]),
        "defector_arrivals_annual": annual,
        "defector_cumulative": _sorted(cumulative, ["as_of", "sex", "source_id"]),
        "trade_flows": _sorted(trade_flagged, ["reporter", "partner", "commodity", "freq", "period_start", "period_end", "flow", "agency", "currency", "source_id"]),
        "trade_annual": trade_annual,
        "trade_monthly": trade_monthly,
        "trade_products": harmonize_trade.products_table(trade_flagged),
        "labor_workers": _sorted(labor.workers, ["host", "measure", "period_start", "period_end", "source_id"]),
        "labor_measures": measures_table(),
        "labor_revenue_estimates": _sorted(labor.revenue, ["host", "period_start", "period_end", "source_id", "coverage"]),
        "labor_model_inputs": _sorted(labor.inputs, ["parameter", "host", "period_start", "period_end", "source_id"]),
        "labor_revenue_assumptions": _sorted(labor.assumptions, ["host", "input"]),
        "labor_panel": panel,
        "labor_panel_gaps": labor_panel.panel_gaps(labor.workers, panel),
        "defections_abroad": _sorted(defections_abroad, ["date", "incident_id", "source_id"]),
        "events": events,
        "event_sources": event_sources,
        "conflicts": _sorted(pl.concat(conflicts), ["table", "conflict_type", "key", "basis", "source_id", "value"]),
    }
    tables = {name: frame.select(list(PUBLISHED[name].to_schema().columns)) for name, frame in tables.items()}
    step(4, "validating published tables against their schemas")
    validate_published(tables, PUBLISHED, "data/processed")
    return Build(tables)


def render_files(build: Build) -> dict[str, bytes]:
    """Every file of the published set, by name, rendered in memory (the manifest is added when written)."""
    files: dict[str, bytes] = {}
    for name, frame in build.tables.items():
        files[f"{name}.csv"] = csv_bytes(frame)
        files[f"{name}.parquet"] = parquet_bytes(frame)
    files["datapackage.json"] = render_datapackage(list(build.tables))
    files["README.md"] = render_readme(list(build.tables))
    return files


def build(raw: Path = RAW, out: Path = PROCESSED, progress: Progress = lambda _: None) -> Build:
    """Assemble, then write the whole set beside the old one and switch it in at once (nothing is
    switched when no byte changes; unchanged files keep their timestamps)."""
    check_target(Path(out), writable=False)  # a file named as the output folder is refused before the work
    result = assemble(raw, progress)
    result.changed = write_tables(Path(out), render_files(result))
    progress(f"wrote {len(result.changed)} changed file(s) to {display(out)}" + (" (switched in as one set)" if result.changed else ""))
    return result
