"""One published series with the figures behind it, for ``nkflows series``.

For each preferred table (``SERIES``) the figures it is chosen from are the rows of an
observation table: every source's figure for the same period, so the reader sees which
source the series took and where sources disagree.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a few ms at every start)

from .errors import DataError, Issue

if TYPE_CHECKING:
    import polars as pl

#: Preferred tables -> the observation table behind them, the rows of it that count (``filter``),
#: the columns that match a series row (``year`` and ``month`` come from ``period_start``), the
#: column each figure is split by (``part``), the value column and its unit.
SERIES: dict[str, dict] = {
    "defector_arrivals_annual": {
        "figures": "defector_arrivals",
        "filter": {"freq": "A"},
        "match": ["year"],
        "part": "sex",
        "value": "arrivals",
        "unit": "persons",
    },
    "trade_annual": {
        "figures": "trade_flows",
        "filter": {"freq": "A", "commodity": "TOTAL", "currency": "USD"},
        "match": ["year", "reporter", "partner", "agency"],
        "part": "flow",
        "value": "value",
        "unit": "currency",
    },
    "trade_monthly": {
        "figures": "trade_flows",
        "filter": {"freq": "M", "commodity": "TOTAL", "currency": "USD"},
        "match": ["year", "month", "reporter", "partner", "agency"],
        "part": "flow",
        "value": "value",
        "unit": "currency",
    },
}


def _num(v, column: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if column in ("year", "month"):
        return str(v)
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.4g}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _table(frame: pl.DataFrame) -> list[str]:
    cols = frame.columns
    cells = [[_num(v, c) for v, c in zip(row, cols)] for row in frame.iter_rows()]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(cols)]
    line = lambda vals: "  ".join(v.rjust(w) if i < len(cols) - 1 else v for i, (v, w) in enumerate(zip(vals, widths)))  # noqa: E731
    return [line(cols), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def describe(name: str, tables: dict[str, pl.DataFrame], year: int | None = None) -> str:
    """The series ``name`` (every row, or those of ``year``) with, per row, every source's figure and the disagreements."""
    import polars as pl

    spec = SERIES[name]
    series = tables[name]
    if year is not None:
        series = series.filter(pl.col("year") == year)
        if series.is_empty():
            years = tables[name]["year"]
            raise DataError([Issue(f"data/processed/{name}.csv", None, "year",
                                   f"no row for {year}; the series covers {years.min()}-{years.max()}")])
    sources = tables["sources"].select("source_id", "publisher", "url")
    figures = (tables[spec["figures"]].filter(pl.all_horizontal(pl.col(c) == v for c, v in spec["filter"].items()))
               .with_columns(pl.col("period_start").dt.year().cast(pl.Int64).alias("year"),
                             pl.col("period_start").dt.month().cast(pl.Int64).alias("month")))
    out = [f"{name}: {series.height} row{'s' if series.height != 1 else ''}" + (f" for {year}" if year is not None else ""), ""]
    out += _table(series.drop("status", strict=False))
    if year is None:
        disagree = (figures.group_by([*spec["match"], spec["part"]]).agg(pl.col(spec["value"]).n_unique().alias("n"))
                    .filter(pl.col("n") > 1).select(spec["match"]).unique())
        n_dis = series.join(disagree, on=spec["match"], how="semi").height
        out += ["", f"{n_dis} of {series.height} rows have figures that sources report differently; "
                    f"`nkflows series {name} --year YEAR` lists them with their sources."]
        return "\n".join(out) + "\n"
    for row in series.iter_rows(named=True):
        figs = (figures.filter(pl.all_horizontal(pl.col(c) == row[c] for c in spec["match"]))
                .join(sources, on="source_id", how="left")
                .sort(spec["part"], "preferred", "source_id", descending=[False, True, False]))
        label = ", ".join(f"{c}={row[c]}" for c in spec["match"])
        out += ["", f"Figures for {label}, from {figs['source_id'].n_unique()} source(s) (* = the source the series uses):"]
        for part, group in figs.group_by(spec["part"], maintain_order=True):
            values = group[spec["value"]].unique().sort().to_list()
            unit = group["currency"][0] if spec["unit"] == "currency" else spec["unit"]
            verdict = "sources agree" if len(values) == 1 else "sources disagree: " + ", ".join(_num(v) for v in values)
            out.append(f"  {spec['part']}={part[0]} ({unit}): {verdict}")
            for g in group.iter_rows(named=True):
                mark = "*" if g["preferred"] else " "
                out.append(f"   {mark} {_num(g[spec['value']]):>15}  {g['source_id']}  (as printed: {g['reported_as']})")
                out.append(f"     {'':>15}  {g['publisher']}  {g['url']}")
        if figs.is_empty():
            out.append("  (no single figure of this period: the row is derived, see the table's description)")
    return "\n".join(out) + "\n"
