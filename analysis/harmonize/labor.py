"""People present by host and year (``labor_panel``), by a written rule from ``labor_workers``.

The rule, applied to each host country and calendar year (the year of a figure's
``period_end``; a figure without a date is not used):

1. Only figures of ``national`` scope count: a region's, a firm's, a group of hosts' or
   the world's figure never stands for a host.
2. Only people-present measures count, one measure per row, in this order of
   precedence: ``stock_official`` (a host's own register), then ``remaining_2397`` (a
   host's report to the UN Security Council), then ``stock_estimate`` (anyone's
   estimate). The first measure with a figure in the year is the row's ``basis``; the
   others are not mixed in. Entries, permits, visas and quotas count documents or trips,
   not people, and are never added to stocks or turned into them here.
3. ``central`` is the median of the basis figures' point values (a range without a
   point counts by its midpoint, a one-sided bound by itself); ``low`` and ``high`` are
   the lowest and highest of the values and stated bounds.
4. A host-year without a national people-present figure has no row: it is a gap, and
   stays one.
"""

from __future__ import annotations

import polars as pl

from ..errors import IssueLog
from ..schemas import PANEL_BASES, REGIONS

SCOPE = "national"


def _point() -> pl.Expr:
    return (
        pl.when(pl.col("value").is_not_null()).then(pl.col("value"))
        .when(pl.col("value_low").is_not_null() & pl.col("value_high").is_not_null()).then((pl.col("value_low") + pl.col("value_high")) / 2)
        .otherwise(pl.coalesce("value_low", "value_high"))
    )


def candidates(workers: pl.DataFrame) -> pl.DataFrame:
    """The figures the rule may use: national, people present, dated, in a country."""
    return (
        workers.filter(
            (pl.col("scope") == SCOPE) & pl.col("measure").is_in(PANEL_BASES)
            & pl.col("period_end").is_not_null() & ~pl.col("host").is_in(list(REGIONS))
        )
        .with_columns(
            pl.col("period_end").dt.year().cast(pl.Int64).alias("year"),
            pl.col("measure").replace_strict({m: i for i, m in enumerate(PANEL_BASES)}, return_dtype=pl.Int64).alias("_rank"),
            _point().alias("_point"),
            pl.min_horizontal("value", "value_low", "value_high").alias("_low"),
            pl.max_horizontal("value", "value_low", "value_high").alias("_high"),
        )
    )


def build_panel(workers: pl.DataFrame) -> pl.DataFrame:
    """Apply the rule; one row per host and year with a national people-present figure."""
    cand = candidates(workers)
    if cand.is_empty():
        return pl.DataFrame(schema={"host": pl.String, "year": pl.Int64, "low": pl.Float64, "central": pl.Float64, "high": pl.Float64,
                                    "basis": pl.String, "n_sources": pl.Int64, "source_ids": pl.String})
    best = cand.group_by("host", "year").agg(pl.col("_rank").min().alias("_best"))
    chosen = cand.join(best, on=["host", "year"]).filter(pl.col("_rank") == pl.col("_best"))
    return (
        chosen.group_by("host", "year")
        .agg(
            pl.col("_low").min().alias("low"),
            pl.col("_point").median().alias("central"),
            pl.col("_high").max().alias("high"),
            pl.col("measure").unique().sort().str.join(";").alias("basis"),
            pl.col("source_id").n_unique().cast(pl.Int64).alias("n_sources"),
            pl.col("source_id").unique().sort().str.join(";").alias("source_ids"),
        )
        .with_columns(pl.col("low").cast(pl.Float64), pl.col("central").cast(pl.Float64), pl.col("high").cast(pl.Float64))
        .sort("host", "year")
    )


def check_panel(panel: pl.DataFrame, workers: pl.DataFrame, log: IssueLog) -> None:
    """Each row rests on exactly one people-present measure, and only on national figures.

    A row that breaks this is reported at the raw rows behind it (file, line, column and
    rule), so the build stops with something a user can fix.
    """
    dated = workers.filter(pl.col("period_end").is_not_null()).with_columns(pl.col("period_end").dt.year().cast(pl.Int64).alias("year"))
    for row in panel.iter_rows(named=True):
        measures = row["basis"].split(";")
        behind = dated.filter((pl.col("host") == row["host"]) & (pl.col("year") == row["year"])
                              & pl.col("source_id").is_in(row["source_ids"].split(";")) & pl.col("measure").is_in(measures))
        where = [(r.get("_file", "labor_workers"), r.get("_line"), r) for r in behind.iter_rows(named=True)] or [("labor_panel", None, None)]
        if len(measures) != 1 or measures[0] not in PANEL_BASES:
            for file, line, _ in where:
                log.add(file, line, "measure", f"labor_panel {row['host']} {row['year']}: a panel row rests on one people-present measure "
                        f"({', '.join(PANEL_BASES)}), never a mix and never entries or permits", row["basis"])
            continue
        bounds = {row["low"], row["high"]}
        for file, line, r in where:
            # a sub-national figure of a source that also gives the national one is fine unless it is a bound
            if r is not None and r["scope"] != SCOPE and bounds & {r["value"], r["value_low"], r["value_high"]}:
                log.add(file, line, "scope", f"labor_panel {row['host']} {row['year']}: a {r['scope']} figure cannot set a national head count", r["scope"])


#: Years the panel is expected to cover for the main hosts; each missing host-year gets a stated reason.
GAP_YEARS = range(2010, 2026)
GAP_HOSTS = ("RUS", "CHN")


def panel_gaps(workers: pl.DataFrame, panel: pl.DataFrame, hosts: tuple[str, ...] = GAP_HOSTS, years: range = GAP_YEARS) -> pl.DataFrame:
    """Each host-year of ``hosts`` x ``years`` without a panel row, with what the data do hold for it."""
    have = set(zip(panel["host"].to_list(), panel["year"].to_list()))
    dated = workers.filter(pl.col("period_end").is_not_null()).with_columns(pl.col("period_end").dt.year().cast(pl.Int64).alias("year"))
    rows = []
    for host in hosts:
        for year in years:
            if (host, year) in have:
                continue
            w = dated.filter((pl.col("host") == host) & (pl.col("year") == year))
            people = w.filter(pl.col("measure").is_in(PANEL_BASES))
            other = sorted(set(w.filter(~pl.col("measure").is_in(PANEL_BASES))["measure"].to_list()))
            if not people.is_empty():
                scopes = sorted(set(people["scope"].to_list()))
                reason = f"people-present figures only of {', '.join(scopes)} scope, which never stand for the host"
            elif other:
                reason = f"only {', '.join(other)}: not counts of people present (trips, documents, quotas), never turned into them"
            else:
                reason = "no published figure of any measure found"
            rows.append({"host": host, "year": year, "reason": reason, "measures_available": ";".join(sorted(set(w["measure"].to_list()))) or None})
    return pl.DataFrame(rows, schema={"host": pl.String, "year": pl.Int64, "reason": pl.String, "measures_available": pl.String})
