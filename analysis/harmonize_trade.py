"""Trade: from published figures to the preferred annual and monthly series.

Series never mix agencies or currencies: China's customs (GACC), KOTRA's estimates, KITA's
compilations, UN Comtrade and the rest each form their own series, in the currency the
source used. The agency of a figure is whoever compiled it (:data:`AGENCY_RULE`).

For each period of a series the figures of one source are taken, chosen by the trade
precedence rule (:data:`PRECEDENCE_STEPS`, in this order):

1. a final or revised figure before a provisional one;
2. the fullest set of flows (export, import and total before part of them);
3. a page published at the time about that period (by the end of the following year)
   before a later retrospective, which often rounds or revises the figure;
4. official statistics > news reports citing them > research > secondary compilations;
5. the latest publication first (the latest revision);
6. the source id, so the choice is deterministic.

Every trade figure that sources report differently becomes a ``conflicts`` row citing
this rule and the step that decided it (:func:`trade_conflicts`).

Checks:

- within one source and period, exports + imports = total to the rounding the source
  used (the tolerance is half a unit of the last printed digit of each figure, summed); a
  miss stops the build unless ``data/raw/trade/discrepancies.csv`` explains it;
- months derived from year-to-date figures are set beside months reported directly, and
  the twelve months of a year beside its annual figure; a difference beyond the
  tolerance (the rounding tolerance, or ``SUM_TOLERANCE`` of the annual value, whichever
  is larger) is listed in ``conflicts`` (the published figures are not changed).
"""

from __future__ import annotations

import math

import polars as pl

from .errors import Issue, IssueLog
from .harmonize import Step, choose, conflict_rows, conflicts_frame, find_conflicts, source_rank
from .ingest.discrepancies import Discrepancies
from .schemas import LABOUR_LINKED_HS

SERIES = ["reporter", "partner", "commodity", "currency", "agency"]
PERIOD = ["freq", "period_start", "period_end"]
FIGURE = [*SERIES, *PERIOD, "flow"]
SUM_TOLERANCE = 0.005  # 0.5% of the annual value
#: The trade tables' precedence rule, step by step (applied per series and period).
RULE: tuple[Step, ...] = (
    Step("_status", "final or revised before provisional"),
    Step("_missing", "the fullest set of flows (export, import, total)"),
    Step("_retro", "a page published at the time about that period (by the end of the following year) before a later retrospective"),
    Step("_kind", "official > news > research > secondary"),
    Step("_published", "latest publication first", descending=True),
    Step("source_id", "source_id (tie-break)"),
)
PRECEDENCE = "; ".join(step.text for step in RULE)

#: Who a figure is labelled with: whoever compiled it, not whose raw data it rests on.
AGENCY_RULE = (
    "GACC: a figure China's customs released (its releases, its spokesman, or a report quoting the customs figure directly); "
    "KITA: a figure the Korea International Trade Association compiled from China's customs data; "
    "KOTRA: a figure KOTRA compiled (its analysis of China's customs data, reporter CHN, or its estimate of North Korea's trade, reporter PRK); "
    "COMTRADE: a figure China reported to UN Comtrade, read from Comtrade or a report quoting it; "
    "MOFCOM: a figure of China's commerce ministry"
)
_STATUS_RANK = {"final": 0, "revised": 0, "provisional": 1}


def rounding_unit(value: float) -> float:
    """The unit of the last printed digit, inferred from trailing zeros (2,430,000,000 -> 10,000,000),
    assuming at least two significant digits were printed (2,000,000,000 -> 100,000,000)."""
    if value is None or value == 0:
        return 0.0
    value = abs(value)
    if value != math.floor(value):
        return 10.0 ** -len(repr(value).split(".")[1])
    v, unit = int(value), 1
    while v % 10 == 0:
        v //= 10
        unit *= 10
    return float(min(unit, 10 ** max(0, math.floor(math.log10(value)) - 1)))


def trade_ranks(flows: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """One row per (series, period, source) with the columns of ``RULE``, sorted by it."""
    per_source = (
        flows.group_by([*SERIES, *PERIOD, "source_id"])
        .agg(
            pl.col("status").replace_strict(_STATUS_RANK, return_dtype=pl.Int32).max().alias("_status"),
            (3 - pl.col("flow").n_unique()).cast(pl.Int32).alias("_missing"),
        )
        .join(source_rank(sources), on="source_id", how="left")
        .with_columns(
            # published by the end of the year after the period: 0; later, or undated: 1
            pl.when(pl.col("_published").str.slice(0, 4).cast(pl.Int32, strict=False) <= pl.col("period_end").dt.year() + 1)
            .then(0).otherwise(1).cast(pl.Int32).alias("_retro"),
        )
    )
    return choose(per_source, [*SERIES, *PERIOD], RULE)


def choose_preferred(flows: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    per_source = trade_ranks(flows, sources)
    chosen = (
        per_source.group_by([*SERIES, *PERIOD], maintain_order=True).first()
        .select([*SERIES, *PERIOD, "source_id"]).with_columns(pl.lit(True).alias("preferred"))
    )
    return flows.join(chosen, on=[*SERIES, *PERIOD, "source_id"], how="left").with_columns(pl.col("preferred").fill_null(False))


def wide(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Export, import and total side by side (with rounding units), one row per ``keys``."""
    val = lambda f: pl.col("value").filter(pl.col("flow") == f).first()  # noqa: E731
    return frame.group_by(keys).agg(
        val("export").alias("exports"), val("import").alias("imports"), val("total").alias("total"),
        pl.col("_file").first(), pl.col("_line").filter(pl.col("flow") == "total").first(),
        pl.col("status").first(),
    )


def check_flow_sums(flows: pl.DataFrame, disc: Discrepancies, log: IssueLog) -> pl.DataFrame:
    """Within one source and period, exports + imports must equal the total to the source's rounding."""
    rows = []
    w = wide(flows, [*SERIES, *PERIOD, "source_id"]).drop_nulls(["exports", "imports", "total"]).sort("_file", "_line")
    for r in w.iter_rows(named=True):
        tol = 0.5 * sum(rounding_unit(r[c]) for c in ("exports", "imports", "total"))
        gap = r["exports"] + r["imports"] - r["total"]
        if abs(gap) <= tol + 1e-6:
            continue
        key = f"source_id={r['source_id']};" + ";".join(f"{c}={r[c]}" for c in [*SERIES, *PERIOD])
        why = disc.explains("sum_mismatch", key, round(r["total"]), round(r["exports"] + r["imports"]))
        if why is None:
            log.issues.append(Issue(
                r["_file"], r["_line"], "value",
                f"exports + imports must equal total to the rounding the source used ({r['exports']:,.0f} + {r['imports']:,.0f} = "
                f"{r['exports'] + r['imports']:,.0f}, total {r['total']:,.0f}, tolerance {tol:,.0f}); if the source printed it so, "
                f"document it in data/raw/trade/discrepancies.csv with key {key!r}",
                r["total"],
            ))
            continue
        rows += conflict_rows("trade_flows", key, "sum_mismatch",
                              [(round(r["total"]), r["source_id"], "reported total"),
                               (round(r["exports"] + r["imports"]), r["source_id"], "exports + imports as reported")],
                              None, "documented in discrepancies.csv", why)
    return conflicts_frame(rows)


def trade_conflicts(flagged: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    return find_conflicts(flagged, "trade_flows", FIGURE, "value", trade_ranks(flagged, sources), [*SERIES, *PERIOD], RULE, "trade")


def products_table(flagged: pl.DataFrame) -> pl.DataFrame:
    """``trade_products``: the preferred annual US-dollar figures of the labour-linked HS lines.

    One row per year, reporter, partner, flow, HS line and agency, from the source the
    precedence rule chose for that series and year. Monthly and year-to-date figures are
    not annual totals and are left out; a year no source reports has no row.
    """
    pref = flagged.filter(
        pl.col("preferred") & (pl.col("freq") == "A") & (pl.col("currency") == "USD")
        & pl.col("commodity").is_in(list(LABOUR_LINKED_HS))
    )
    return (
        pref.select(
            pl.col("period_start").dt.year().cast(pl.Int64).alias("year"),
            "reporter", "partner", "flow",
            pl.col("commodity").alias("hs_code"),
            pl.col("commodity").replace_strict(LABOUR_LINKED_HS, return_dtype=pl.String).alias("description"),
            pl.col("value").alias("value_usd"),
            "agency", "source_id",
        )
        .sort("hs_code", "reporter", "partner", "flow", "agency", "year")
    )


def annual_table(flagged: pl.DataFrame) -> pl.DataFrame:
    """One row per (year, reporter, partner, agency) in USD, commodity TOTAL, from the chosen source."""
    pref = flagged.filter(pl.col("preferred") & (pl.col("freq") == "A") & (pl.col("commodity") == "TOTAL") & (pl.col("currency") == "USD"))
    w = wide(pref, ["reporter", "partner", "agency", "period_start", "source_id"])
    w = w.with_columns(
        pl.col("period_start").dt.year().cast(pl.Int64).alias("year"),
        (pl.col("total").is_null() & pl.col("exports").is_not_null() & pl.col("imports").is_not_null()).alias("total_derived"),
    ).with_columns(
        pl.when(pl.col("total_derived")).then(pl.col("exports") + pl.col("imports")).otherwise(pl.col("total")).alias("total")
    )
    return (
        w.rename({"exports": "exports_usd", "imports": "imports_usd", "total": "total_usd"})
        .select("year", "reporter", "partner", "agency", "exports_usd", "imports_usd", "total_usd", "total_derived", "status", "source_id")
        .sort("reporter", "partner", "agency", "year")
    )


def _month_rows(pref: pl.DataFrame) -> pl.DataFrame:
    return pref.with_columns(
        pl.col("period_end").dt.year().cast(pl.Int64).alias("year"),
        pl.col("period_end").dt.month().cast(pl.Int64).alias("month"),
    )


_MONTHLY_SCHEMA = {
    "year": pl.Int64, "month": pl.Int64, "reporter": pl.String, "partner": pl.String, "agency": pl.String,
    "exports_usd": pl.Float64, "imports_usd": pl.Float64, "total_usd": pl.Float64, "basis": pl.String, "source_id": pl.String,
}


def monthly_table(flagged: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Preferred monthly series: months reported directly, and months derived from
    consecutive year-to-date figures (YTD(m) - YTD(m-1); January's YTD is January).
    Returns the table and the conflicts between reported and derived months."""
    base = flagged.filter(pl.col("preferred") & (pl.col("commodity") == "TOTAL") & (pl.col("currency") == "USD"))
    keys = ["reporter", "partner", "agency", "year", "month", "flow"]
    reported = _month_rows(base.filter(pl.col("freq") == "M")).select(*keys, "value", "source_id").with_columns(pl.lit("reported").alias("basis"))
    ytd = _month_rows(base.filter(pl.col("freq") == "YTD")).select(*keys, "value", "source_id")
    prev = ytd.with_columns((pl.col("month") + 1).alias("month")).rename({"value": "prev_value", "source_id": "prev_source"})
    derived = (
        ytd.join(prev, on=keys, how="left")
        .filter((pl.col("month") == 1) | pl.col("prev_value").is_not_null())
        .with_columns(
            (pl.col("value") - pl.col("prev_value").fill_null(0)).alias("value"),
            pl.when(pl.col("month") == 1).then(pl.col("source_id"))
            .otherwise(pl.concat_str(pl.col("source_id"), pl.lit(";"), pl.col("prev_source"))).alias("source_id"),
        )
        .select(*keys, "value", "source_id")
        .with_columns(pl.lit("derived_from_ytd").alias("basis"))
    )
    both = reported.join(derived, on=keys, how="inner", suffix="_derived")
    rows = []
    for r in both.sort(keys).iter_rows(named=True):
        tol = 0.5 * (rounding_unit(r["value"]) + 2 * rounding_unit(r["value_derived"] + 0.0))
        if abs(r["value"] - r["value_derived"]) > max(tol, SUM_TOLERANCE * abs(r["value"])):
            rows += conflict_rows(
                "trade_monthly", ";".join(f"{k}={r[k]}" for k in keys), "sum_mismatch",
                [(round(r["value"]), r["source_id"], "reported month"),
                 (round(r["value_derived"]), r["source_id_derived"].split(";")[0], "difference of year-to-date figures"
                  + (f" (with {r['source_id_derived'].split(';')[1]})" if ";" in r["source_id_derived"] else ""))],
                0, "a month reported directly before one derived from year-to-date figures",
                "the difference exceeds the rounding tolerance")
    combined = pl.concat([reported, derived.join(reported.select(keys), on=keys, how="anti")])
    if combined.is_empty():  # no monthly or year-to-date figures at all
        return pl.DataFrame(schema=_MONTHLY_SCHEMA), conflicts_frame(rows)
    table = (
        combined.pivot(on="flow", index=["reporter", "partner", "agency", "year", "month"], values=["value", "basis", "source_id"], aggregate_function="first")
    )
    out = table.select(
        "year", "month", "reporter", "partner", "agency",
        *(pl.col(f"value_{f}").alias(f"{n}_usd") if f"value_{f}" in table.columns else pl.lit(None, dtype=pl.Float64).alias(f"{n}_usd")
          for f, n in (("export", "exports"), ("import", "imports"), ("total", "total"))),
        pl.concat_list([pl.col(c) for c in table.columns if c.startswith("basis_")]).list.drop_nulls().list.unique().list.sort().list.join(";").alias("basis"),
        pl.concat_list([pl.col(c) for c in table.columns if c.startswith("source_id_")]).list.drop_nulls().list.unique().list.sort().list.join(";").alias("source_id"),
    ).sort("reporter", "partner", "agency", "year", "month")
    return out, conflicts_frame(rows)


def check_months_against_year(monthly: pl.DataFrame, annual: pl.DataFrame) -> pl.DataFrame:
    """Where all twelve months of a year are present, compare their sum with the annual figure."""
    rows = []
    full = (
        monthly.group_by("reporter", "partner", "agency", "year")
        .agg(pl.len().alias("n"), *(pl.col(c).sum().alias(c) for c in ("exports_usd", "imports_usd", "total_usd")),
             *(pl.col(c).null_count().alias(f"{c}_nulls") for c in ("exports_usd", "imports_usd", "total_usd")))
        .filter(pl.col("n") == 12)
    )
    joined = full.join(annual, on=["reporter", "partner", "agency", "year"], suffix="_annual")
    for r in joined.sort("reporter", "partner", "agency", "year").iter_rows(named=True):
        for c in ("exports_usd", "imports_usd", "total_usd"):
            whole = r[f"{c}_annual"]
            if whole is None or r[f"{c}_nulls"]:
                continue
            if abs(r[c] - whole) > SUM_TOLERANCE * whole:
                rows += conflict_rows(
                    "trade_monthly", f"reporter={r['reporter']};partner={r['partner']};agency={r['agency']};year={r['year']};column={c}",
                    "sum_mismatch", [(round(whole), r["source_id"], "annual figure"), (round(r[c]), None, "sum of the 12 monthly figures")],
                    0, "listed, not decided: both are published as reported",
                    f"twelve months differ from the annual figure by more than {SUM_TOLERANCE:.1%}")
    return conflicts_frame(rows)

