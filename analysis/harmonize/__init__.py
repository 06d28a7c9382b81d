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
different values becomes a conflict in ``conflicts``: one row per value and source, the
chosen one marked, and the step of the rule that decided named (``decided_by``).

The conflict machinery is generic: ``Step`` is one step of a table's precedence rule,
``choose`` applies a table's steps, ``find_conflicts`` lists the disagreements under the
rule it is given and names the step that decided each.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import polars as pl

from ..errors import Issue, IssueLog
from ..ingest.discrepancies import Discrepancies
from ..schemas import SOURCE_KINDS

@dataclass(frozen=True)
class Step:
    """One step of a precedence rule: sources are ordered by ``column`` (ascending unless ``descending``)."""

    column: str
    text: str
    descending: bool = False


#: The defector tables' precedence rule, step by step (applied per period to every source reporting it).
RULE: tuple[Step, ...] = (
    Step("_status", "final or revised before provisional"),
    Step("_inconsistent", "a sex split that adds up before one that does not"),
    Step("_missing", "the total and the full sex split before part of them"),
    Step("_kind", "official > news > research > secondary"),
    Step("_published", "latest publication first", descending=True),
    Step("source_id", "source_id (tie-break)"),
)
PRECEDENCE = "; ".join(step.text for step in RULE)
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
        rows += conflict_rows("defector_arrivals", key, "sum_mismatch",
                              [(r["all"], r["source_id"], "reported total"), (r["male"] + r["female"], r["source_id"], "male + female as reported")],
                              None, "documented in discrepancies.csv", why)
    return conflicts_frame(rows)


def source_rank(sources: pl.DataFrame) -> pl.DataFrame:
    """Per source: ``_kind`` (0 official ... 3 secondary) and ``_published`` (sortable text), for the precedence rule."""
    return sources.select(
        "source_id",
        pl.col("kind").replace_strict({k: i for i, k in enumerate(SOURCE_KINDS)}, return_dtype=pl.Int32).alias("_kind"),
        pl.col("published").fill_null("").alias("_published"),
    )


def choose(per_source: pl.DataFrame, group: list[str], rule: tuple[Step, ...]) -> pl.DataFrame:
    """``per_source`` (one row per group and source, with the rule's columns) sorted by the rule: the first row of each group is chosen."""
    return per_source.sort([*group, *(s.column for s in rule)], descending=[False] * len(group) + [s.descending for s in rule], nulls_last=False)


def defector_ranks(arrivals: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """One row per (period, source) with the columns of ``RULE``, sorted by it."""
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
    )
    return choose(per_source, PERIOD, RULE)


def choose_preferred(arrivals: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """Add a boolean ``preferred`` column: True for every row of the chosen source of its period."""
    per_source = defector_ranks(arrivals, sources)
    chosen = per_source.group_by(PERIOD, maintain_order=True).first().select([*PERIOD, "source_id"]).with_columns(pl.lit(True).alias("preferred"))
    out = arrivals.join(chosen, on=[*PERIOD, "source_id"], how="left", nulls_equal=True)
    return out.with_columns(pl.col("preferred").fill_null(False))


def deciding_step(chosen: dict, other: dict, rule: tuple[Step, ...], name: str) -> str:
    """The first step of ``rule`` on which the chosen source and the best-ranked source with another value differ."""
    for i, step in enumerate(rule, 1):
        if chosen.get(step.column) != other.get(step.column):
            return f"{name} rule, step {i}: {step.text}"
    return f"{name} rule: no step separates them"


def find_conflicts(flagged: pl.DataFrame, table: str, key: list[str], value: str,
                   ranks: pl.DataFrame, group: list[str], rule: tuple[Step, ...], rule_name: str) -> pl.DataFrame:
    """Every key whose sources report more than one distinct value: one row per value and source.

    ``ranks`` holds one row per (``group``, source) with the columns of ``rule`` (the table's
    own precedence rule); ``decided_by`` names the step that put the chosen source before the
    best-ranked source reporting another value."""
    rows = []
    rank_cols = [s.column for s in rule if s.column != "source_id"]
    lookup = {(tuple(r[c] for c in group), r["source_id"]): r for r in ranks.select([*group, "source_id", *rank_cols]).iter_rows(named=True)}
    ordered = flagged.sort([*key, "source_id"], nulls_last=False)
    for keyvals, g in ordered.group_by(key, maintain_order=True):
        if g[value].n_unique() < 2:
            continue
        rec = dict(zip(key, keyvals))
        chosen = g.filter(pl.col("preferred"))
        values = [(v, src, "reported") for v, src in zip(g[value].to_list(), g["source_id"].to_list())]
        if chosen.height:
            cval, csrc = chosen[value][0], chosen["source_id"][0]
            gkey = tuple(rec[c] for c in group)
            others = [lookup[(gkey, src)] for v, src, _ in values if v != cval]
            runner_up = choose(pl.DataFrame(others), [], rule).row(0, named=True)
            decided = deciding_step(lookup[(gkey, csrc)], runner_up, rule, rule_name)
            index = [src for _, src, _ in values].index(csrc)
        else:
            decided, index = f"{rule_name} rule: no figure of this key is in the published series", None
        rows += conflict_rows(table, _fmt_key(rec, key), "sources_disagree", values, index, decided, None)
    return conflicts_frame(rows)


def defector_conflicts(flagged: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """Disagreements between sources on a defector figure (period and sex), decided by ``RULE``."""
    return find_conflicts(flagged, "defector_arrivals", [*PERIOD, "sex"], "arrivals", defector_ranks(flagged, sources), PERIOD, RULE, "defector")


CONFLICT_COLUMNS = {
    "conflict_id": pl.String, "table": pl.String, "key": pl.String, "conflict_type": pl.String, "value": pl.String,
    "source_id": pl.String, "basis": pl.String, "chosen": pl.Boolean, "decided_by": pl.String, "note": pl.String,
}


def conflict_id(table: str, conflict_type: str, key: str) -> str:
    """A short stable id of one conflict (the same figure and check give the same id in every build)."""
    return "c" + hashlib.sha1(f"{table}|{conflict_type}|{key}".encode()).hexdigest()[:10]


def conflict_rows(table: str, key: str, conflict_type: str, values: list[tuple[object, str | None, str]],
                  chosen: int | None, decided_by: str, note: str | None) -> list[dict]:
    """The rows of one conflict: one per (value, source, basis); ``chosen`` is the index of the value the published series uses."""
    cid = conflict_id(table, conflict_type, key)
    return [{"conflict_id": cid, "table": table, "key": key, "conflict_type": conflict_type, "value": fmt_value(v),
             "source_id": src, "basis": basis, "chosen": i == chosen, "decided_by": decided_by, "note": note}
            for i, (v, src, basis) in enumerate(values)]


def conflicts_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=CONFLICT_COLUMNS, orient="row")


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
            why, decided = f"{REVISION_RULE} ({low}-{high})", "within the published revisions"
        else:
            why, decided = disc.explains("cumulative_mismatch", key, value, r["cumulative"]), "documented in discrepancies.csv"
        if why is None:
            log.issues.append(Issue(
                r["_file"], r["_line"], "cumulative",
                f"reported running total {r['cumulative']} is outside what the preferred series ({value}) and its published "
                f"revisions ({low}-{high}) allow; if the source misprinted it, document it in "
                f"data/raw/defectors/discrepancies.csv with key {key!r}",
                r["cumulative"],
            ))
            continue
        rows += conflict_rows("defector_cumulative", key, "cumulative_mismatch",
                              [(r["cumulative"], r["source_id"], "reported running total"), (value, None, "running total of the preferred series")],
                              1, decided, why)
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
            rows += conflict_rows("defector_arrivals", key, "sum_mismatch",
                                  [(whole, match["source_id"][0], "preferred annual figure"), (r["sum"], None, f"sum of the preferred {freq} figures")],
                                  0, "documented in discrepancies.csv", why)
    return conflicts_frame(rows)
