"""From observations to published series: the precedence rule, conflicts, and checks.

The precedence rule (``PRECEDENCE``), applied to all sources reporting the same period:

1. a final or revised figure beats a provisional one;
2. a source whose own split adds up (male + female = all) beats one whose split does not;
3. a source giving the total beats one that does not, and the full split (male, female
   and all) beats part of it;
4. official statistics beat news reports citing them, which beat research reports,
   which beat secondary compilations;
5. the more recently published source wins (the latest revision);
6. ties are broken by source_id, so the choice is deterministic.

The chosen source supplies all of that period's figures, so a published row never
mixes sexes from different sources. Every (period, sex) for which sources report
different values becomes a ``conflicts`` row naming all values and sources.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..errors import Issue, IssueLog
from ..ingest.discrepancies import Discrepancies
from ..schemas import SOURCE_KINDS

PRECEDENCE = (
    "final or revised before provisional; a split that adds up before one that does not; a total and the full sex split before part of them; "
    "official > news > research > secondary; latest publication first; then source_id"
)
PERIOD = ["freq", "period_start", "period_end"]
_STATUS_RANK = {"final": 0, "revised": 0, "provisional": 1}


def fmt_value(v) -> str:
    """A figure as text: whole numbers without a decimal point."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _fmt_key(row: dict, cols: list[str]) -> str:
    return ";".join(f"{c}={'' if row[c] is None else row[c]}" for c in cols)


def sex_split_gaps(arrivals: pl.DataFrame) -> pl.DataFrame:
    """Per (period, source): male, female and all side by side, with ``consistent``
    False where all three are present and male + female != all."""
    return (
        arrivals.group_by([*PERIOD, "source_id"])
        .agg(
            pl.col("arrivals").filter(pl.col("sex") == "male").first().alias("male"),
            pl.col("arrivals").filter(pl.col("sex") == "female").first().alias("female"),
            pl.col("arrivals").filter(pl.col("sex") == "all").first().alias("all"),
            pl.col("_file").filter(pl.col("sex") == "all").first(),
            pl.col("_line").filter(pl.col("sex") == "all").first(),
        )
        .with_columns(
            pl.when(pl.all_horizontal(pl.col("male", "female", "all").is_not_null()))
            .then(pl.col("male") + pl.col("female") == pl.col("all"))
            .otherwise(True)
            .alias("consistent")
        )
    )


def check_sex_sums(arrivals: pl.DataFrame, disc: Discrepancies, log: IssueLog) -> pl.DataFrame:
    """Within one source and period, male + female must equal all. A documented miss (a
    source that printed an inconsistent split) becomes a conflicts row; any other fails."""
    rows = []
    bad = sex_split_gaps(arrivals).filter(~pl.col("consistent")).sort("_file", "_line")
    for r in bad.iter_rows(named=True):
        key = f"source_id={r['source_id']};" + _fmt_key(r, PERIOD)
        why = disc.explains("sum_mismatch", key, r["all"], r["male"] + r["female"])
        if why is None:
            log.issues.append(Issue(
                r["_file"], r["_line"], "arrivals",
                f"male + female must equal all for the same source and period ({r['male']} + {r['female']} != {r['all']}); "
                f"if the source printed it so, document it in data/raw/defectors/discrepancies.csv with key {key!r}",
                r["all"],
            ))
            continue
        rows.append({
            "table": "defector_arrivals", "key": key, "conflict_type": "sum_mismatch",
            "values": f"{r['all']};{r['male'] + r['female']}", "source_ids": f"{r['source_id']};{r['source_id']} (male + female)",
            "chosen": None, "chosen_source_id": None, "rule": why,
        })
    return conflicts_frame(rows)


def source_rank(sources: pl.DataFrame) -> pl.DataFrame:
    """Per source: ``_kind`` (0 official ... 3 secondary) and ``_published`` (sortable text), for the precedence rule."""
    return sources.select(
        "source_id",
        pl.col("kind").replace_strict({k: i for i, k in enumerate(SOURCE_KINDS)}, return_dtype=pl.Int32).alias("_kind"),
        pl.col("published").fill_null("").alias("_published"),
    )


def choose_preferred(arrivals: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """Add a boolean ``preferred`` column: True for every row of the chosen source of its period."""
    meta = source_rank(sources)
    split = sex_split_gaps(arrivals).select([*PERIOD, "source_id", (~pl.col("consistent")).cast(pl.Int32).alias("_inconsistent")])
    per_source = (
        arrivals.group_by([*PERIOD, "source_id"])
        .agg(
            pl.col("status").replace_strict(_STATUS_RANK, return_dtype=pl.Int32).max().alias("_status"),
            # a source with the total ranks before one without it; then the fuller split
            ((~(pl.col("sex") == "all").any()).cast(pl.Int32) * 10 + 3 - pl.col("sex").n_unique()).alias("_missing"),
        )
        .join(split, on=[*PERIOD, "source_id"], how="left", nulls_equal=True)
        .join(meta, on="source_id", how="left")
        .sort([*PERIOD, "_status", "_inconsistent", "_missing", "_kind", "_published", "source_id"],
              descending=[False, False, False, False, False, False, False, True, False], nulls_last=False)
    )
    chosen = per_source.group_by(PERIOD, maintain_order=True).first().select([*PERIOD, "source_id"]).with_columns(pl.lit(True).alias("preferred"))
    out = arrivals.join(chosen, on=[*PERIOD, "source_id"], how="left", nulls_equal=True)
    return out.with_columns(pl.col("preferred").fill_null(False))


def find_conflicts(flagged: pl.DataFrame, table: str, key: list[str], value: str) -> pl.DataFrame:
    """One row per key whose sources report more than one distinct value."""
    rows = []
    ordered = flagged.sort([*key, "source_id"], nulls_last=False)
    for keyvals, group in ordered.group_by(key, maintain_order=True):
        if group[value].n_unique() < 2:
            continue
        chosen = group.filter(pl.col("preferred"))
        rec = dict(zip(key, keyvals))
        rows.append({
            "table": table,
            "key": _fmt_key(rec, key),
            "conflict_type": "sources_disagree",
            "values": ";".join(fmt_value(v) for v in group[value].to_list()),
            "source_ids": ";".join(group["source_id"].to_list()),
            "chosen": fmt_value(chosen[value][0]) if chosen.height else None,
            "chosen_source_id": chosen["source_id"][0] if chosen.height else None,
            "rule": PRECEDENCE,
        })
    return conflicts_frame(rows)


def conflicts_frame(rows: list[dict]) -> pl.DataFrame:
    schema = {c: pl.String for c in ["table", "key", "conflict_type", "values", "source_ids", "chosen", "chosen_source_id", "rule"]}
    return pl.DataFrame(rows, schema=schema, orient="row")


def annual_series(flagged: pl.DataFrame) -> pl.DataFrame:
    """The preferred calendar-year figures, wide by sex, with female_share."""
    pref = flagged.filter(pl.col("preferred") & (pl.col("freq") == "A"))
    wide = (
        pref.group_by("period_start")
        .agg(
            pl.col("arrivals").filter(pl.col("sex") == "male").first().alias("male"),
            pl.col("arrivals").filter(pl.col("sex") == "female").first().alias("female"),
            pl.col("arrivals").filter(pl.col("sex") == "all").first().alias("total"),
            pl.col("status").first().alias("status"),
            pl.col("source_id").first().alias("source_id"),
        )
        .with_columns(pl.col("period_start").dt.year().cast(pl.Int64).alias("year"))
    )
    wide = wide.with_columns(
        pl.when(pl.col("total").is_null() & pl.col("male").is_not_null() & pl.col("female").is_not_null())
        .then(pl.col("male") + pl.col("female")).otherwise(pl.col("total")).alias("total")
    )
    return (
        wide.with_columns(
            pl.when(pl.col("total") > 0).then((pl.col("female") / pl.col("total")).round(4)).otherwise(None).alias("female_share")
        )
        .filter(pl.col("total").is_not_null())
        .select("year", "male", "female", "total", "female_share", "status", "source_id")
        .sort("year")
    )


def _chain(pref: pl.DataFrame, start: dt.date | None, end: dt.date) -> list[dict] | None:
    """Preferred rows whose periods tile [start, end] exactly (greedy, longest step first); None on a gap."""
    chain, cursor = [], start
    rows = pref.sort("period_end", descending=True).to_dicts()
    while True:
        step = next((r for r in rows if r["period_start"] == cursor and r["period_end"] <= end), None)
        if step is None:
            return None
        chain.append(step)
        if step["period_end"] == end:
            return chain
        cursor = step["period_end"] + dt.timedelta(days=1)


def revision_ranges(flagged: pl.DataFrame) -> pl.DataFrame:
    """Per (period, sex): the lowest and highest figure any source published as final or
    revised (ignoring sources whose own sex split does not add up). The spread is the
    published evidence of how much a figure was revised."""
    consistent = sex_split_gaps(flagged).select([*PERIOD, "source_id", "consistent"])
    return (
        flagged.join(consistent, on=[*PERIOD, "source_id"], how="left", nulls_equal=True)
        .filter((pl.col("status") != "provisional") & pl.col("consistent"))
        .group_by([*PERIOD, "sex"])
        .agg(pl.col("arrivals").min().alias("low"), pl.col("arrivals").max().alias("high"))
    )


def running_total(flagged: pl.DataFrame, sex: str, as_of: dt.date, ranges: pl.DataFrame | None = None) -> tuple[int, int, int] | None:
    """Preferred arrivals of ``sex`` from the open-start pooled row up to ``as_of``, with the
    lowest and highest running totals the published revisions allow; None on a gap."""
    pref = flagged.filter(pl.col("preferred") & (pl.col("sex") == sex)).select(*PERIOD, "arrivals")
    chain = _chain(pref, None, as_of)
    if chain is None:
        return None
    ranges = revision_ranges(flagged) if ranges is None else ranges
    lookup = {(r["freq"], r["period_start"], r["period_end"]): (r["low"], r["high"])
              for r in ranges.filter(pl.col("sex") == sex).iter_rows(named=True)}
    total = sum(r["arrivals"] for r in chain)
    low = sum(min(lookup.get((r["freq"], r["period_start"], r["period_end"]), (r["arrivals"],) * 2)[0], r["arrivals"]) for r in chain)
    high = sum(max(lookup.get((r["freq"], r["period_start"], r["period_end"]), (r["arrivals"],) * 2)[1], r["arrivals"]) for r in chain)
    return total, low, high


REVISION_RULE = (
    "reported running total lies within the range the published revisions of its years allow "
    "(sum of each year's lowest to highest final figure); the published series uses the preferred figures"
)


def check_cumulative(flagged: pl.DataFrame, cumulative: pl.DataFrame, disc: Discrepancies, log: IssueLog) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Set each reported running total beside the preferred series' own.

    A reported total must equal the preferred running total, or lie within the range
    that the published revisions of the figures allow (then it is listed in conflicts),
    or be documented in discrepancies.csv (a misprint, say); anything else fails.
    """
    ranges = revision_ranges(flagged)
    computed, rows = [], []
    for r in cumulative.sort("as_of", "sex", "source_id").iter_rows(named=True):
        result = running_total(flagged, r["sex"], r["as_of"], ranges)
        computed.append(None if result is None else result[0])
        if result is None or result[0] == r["cumulative"]:
            continue
        value, low, high = result
        key = f"as_of={r['as_of']};sex={r['sex']};source_id={r['source_id']}"
        if low <= r["cumulative"] <= high:
            why = f"{REVISION_RULE} ({low}-{high})"
        else:
            why = disc.explains("cumulative_mismatch", key, value, r["cumulative"])
        if why is None:
            log.issues.append(Issue(
                r["_file"], r["_line"], "cumulative",
                f"reported running total {r['cumulative']} is outside what the preferred series ({value}) and its published "
                f"revisions ({low}-{high}) allow; if the source misprinted it, document it in "
                f"data/raw/defectors/discrepancies.csv with key {key!r}",
                r["cumulative"],
            ))
            continue
        rows.append({
            "table": "defector_cumulative", "key": key, "conflict_type": "cumulative_mismatch",
            "values": f"{r['cumulative']};{value}", "source_ids": f"{r['source_id']};(preferred series)",
            "chosen": str(value), "chosen_source_id": None, "rule": why,
        })
    ordered = cumulative.sort("as_of", "sex", "source_id").drop("_file", "_line")
    out = ordered.with_columns(pl.Series("computed", computed, dtype=pl.Int64)).with_columns(
        (pl.col("cumulative") - pl.col("computed")).alias("difference")
    )
    return out, conflicts_frame(rows)


def check_subannual_sums(flagged: pl.DataFrame, annual: pl.DataFrame, disc: Discrepancies, log: IssueLog) -> pl.DataFrame:
    """Where a year's preferred quarters (or halves) are all present, they must add up to its total."""
    rows = []
    sexes = {"male": "male", "female": "female", "all": "total"}
    for freq, n in (("Q", 4), ("H", 2)):
        parts = flagged.filter(pl.col("preferred") & (pl.col("freq") == freq))
        if parts.is_empty():
            continue
        sums = (
            parts.with_columns(pl.col("period_start").dt.year().cast(pl.Int64).alias("year"))
            .group_by("year", "sex").agg(pl.col("arrivals").sum().alias("sum"), pl.len().alias("n"),
                                         pl.col("_file").first(), pl.col("_line").min())
            .filter(pl.col("n") == n).sort("year", "sex")
        )
        for r in sums.iter_rows(named=True):
            match = annual.filter(pl.col("year") == r["year"])
            if match.is_empty() or match[sexes[r["sex"]]][0] is None:
                continue
            whole = match[sexes[r["sex"]]][0]
            if whole == r["sum"]:
                continue
            key = f"freq={freq};year={r['year']};sex={r['sex']}"
            why = disc.explains("sum_mismatch", key, whole, r["sum"])
            if why is None:
                log.issues.append(Issue(
                    r["_file"], r["_line"], "arrivals",
                    f"preferred {freq} figures for {r['year']} ({r['sex']}) sum to {r['sum']}, not the annual {whole}; "
                    f"document it in data/raw/defectors/discrepancies.csv with key {key!r} if a revision explains it",
                    r["sum"],
                ))
                continue
            rows.append({
                "table": "defector_arrivals", "key": key, "conflict_type": "sum_mismatch",
                "values": f"{whole};{r['sum']}", "source_ids": f"{match['source_id'][0]};(sum of preferred {freq})",
                "chosen": str(whole), "chosen_source_id": match["source_id"][0], "rule": why,
            })
    return conflicts_frame(rows)
