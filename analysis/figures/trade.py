"""Figures on North Korea's trade (China's customs view first)."""

from __future__ import annotations

import pandas as pd

from .. import selectors
from . import points, style

SOURCE = "China's customs (GACC) and KOTRA figures as published and reported; nkflows trade_annual, trade_monthly, trade_flows"
EVENTS = ["unsc-2270", "unsc-2371", "unsc-2397", "border-closure-2020"]
HS_LABELS = {"61+62": "Clothing (HS 61-62)", "61": "Knitted clothing (HS 61)", "62": "Woven clothing (HS 62)",
             "6704": "Wigs, false eyelashes (HS 6704)", "67": "Wigs, feathers, artificial flowers (HS 67)",
             "91": "Watches (HS 91)", "03": "Seafood (HS 03)", "2701": "Coal (HS 2701)", "2601": "Iron ore (HS 2601)"}


def _millions(ax) -> None:
    style.millions(ax)


ANNUAL_SERIES = [  # (column, series label, mark, agency, reporter, partner, flow)
    ("total_usd", "Total trade (China's own figures)", "line", "GACC", "CHN", "PRK", "total"),
    ("exports_usd", "China's exports to the DPRK", "point", "GACC", "CHN", "PRK", "export"),
    ("imports_usd", "China's imports from the DPRK", "point", "GACC", "CHN", "PRK", "import"),
    ("total_usd", "KOTRA estimate (adds crude oil)", "line", "KOTRA", "PRK", "CHN", "total"),
]


def _printed(flows: pd.DataFrame) -> pd.Series:
    f = flows.loc[(flows["freq"] == "A") & (flows["currency"] == "USD")].copy()
    f["year"] = pd.to_datetime(f["period_end"]).dt.year
    return f.drop_duplicates(["year", "reporter", "partner", "flow", "commodity", "source_id"]).set_index(
        ["year", "reporter", "partner", "flow", "commodity", "source_id"])["reported_as"]


def annual_data(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """What the annual trade chart plots: China's customs totals and flows, and KOTRA's estimate, each with its source."""
    annual = tables["trade_annual"]
    printed = _printed(tables["trade_flows"])
    lines = points.Disagreements(points.conflict_lines(tables["conflicts"], tables["sources"]))
    rows = []
    for col, series, mark, agency, reporter, partner, flow in ANNUAL_SERIES:
        if agency == "GACC":  # China's own figures: its customs releases, else KITA's, KOTRA's or Comtrade's compilation of them
            d = selectors.china_customs_rows(annual, col)
        else:
            d = annual.loc[(annual["agency"] == agency) & (annual["reporter"] == reporter) & (annual["partner"] == partner) & annual[col].notna()]
        for r in d.sort_values("year").itertuples():
            year = int(r.year)
            agency = r.agency
            rows.append({"series": series, "mark": mark, "x": year, "value": getattr(r, col), "unit": "US dollars", "source_id": r.source_id,
                         "reported_as": printed.get((year, reporter, partner, flow, "TOTAL", r.source_id), ""),
                         "sources_disagree": lines.say("trade_flows", reporter=reporter, partner=partner, commodity="TOTAL",
                                                                 agency=agency, freq="A", period_start=f"{year}-01-01", flow=flow)})
    return points.with_sources(pd.DataFrame(rows), tables["sources"])


def annual_china(plotted: pd.DataFrame, events: pd.DataFrame, title: str):
    """Lines break where a year is missing (China's customs published no total for 2004-05 and 2016 in the sources read)."""
    fig, ax = style.figure()
    looks = {ANNUAL_SERIES[0][1]: dict(marker="o", color=style.COLORS["all"]),
             ANNUAL_SERIES[1][1]: dict(marker="^", linestyle="none", color=style.COLORS["male"]),
             ANNUAL_SERIES[2][1]: dict(marker="v", linestyle="none", color=style.COLORS["female"]),
             ANNUAL_SERIES[3][1]: dict(linestyle="--", color=style.COLORS["band"], marker=".")}
    for series, look in looks.items():
        d = plotted.loc[plotted["series"] == series]
        x, y = style.gapped(d["x"], d["value"]) if look.get("linestyle") != "none" else (d["x"], d["value"])
        ax.plot(x, y, label=series, **look)
    _millions(ax)
    ax.set_ylabel("Million US dollars (log scale)")
    ax.set_xlabel("Year")
    style.title(ax, title)
    style.mark_events(ax, events, EVENTS)
    ax.legend(loc="lower left", fontsize=8)
    style.source_line(fig, SOURCE)
    return fig


def monthly_china(monthly: pd.DataFrame, events: pd.DataFrame, title: str):
    fig, ax = style.figure()
    m = monthly.loc[(monthly["agency"] == "GACC") & (monthly["reporter"] == "CHN") & (monthly["partner"] == "PRK")].copy()
    m["t"] = m["year"] + (m["month"] - 0.5) / 12
    m = m.sort_values("t")
    for col, color, label in (("exports_usd", style.COLORS["male"], "China's exports"), ("imports_usd", style.COLORS["female"], "China's imports"), ("total_usd", style.COLORS["all"], "Total")):
        d = m.loc[m[col].notna() & (m[col] > 0)]
        ax.plot(d["t"], d[col], marker="o", markersize=3.5, linestyle="none", color=color, label=label)
    _millions(ax)
    ax.set_ylabel("Million US dollars per month (log scale)")
    ax.set_xlabel("Month (points only where a figure was published or derived)")
    style.title(ax, title)
    style.mark_events(ax, events, ["unsc-2371", "unsc-2397", "border-closure-2020"])
    ax.legend(loc="lower left", fontsize=8)
    style.source_line(fig, SOURCE)
    return fig


def products_data(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """What the product-lines chart plots: China's imports from the DPRK by HS line, one point per year published."""
    flows = tables["trade_flows"]
    p = flows.loc[flows["preferred"] & (flows["freq"] == "A") & (flows["currency"] == "USD") & (flows["reporter"] == "CHN")
                  & (flows["flow"] == "import") & flows["commodity"].isin(list(HS_LABELS))].copy()
    p["year"] = pd.to_datetime(p["period_start"]).dt.year
    p = p.sort_values(["commodity", "year", "value", "source_id"], ascending=[True, True, False, True]).drop_duplicates(["commodity", "year"])
    rows = [{"series": HS_LABELS[r.commodity], "mark": "line", "x": int(r.year), "value": r.value, "unit": "US dollars",
             "source_id": r.source_id, "reported_as": r.reported_as} for r in p.itertuples()]
    order = {label: i for i, label in enumerate(HS_LABELS.values())}
    frame = pd.DataFrame(rows).sort_values(["series", "x"], key=lambda c: c.map(order) if c.name == "series" else c, kind="stable")
    return points.with_sources(frame, tables["sources"])


def product_lines(plotted: pd.DataFrame, events: pd.DataFrame, title: str):
    """One line per HS line; a line breaks at each year with no published figure."""
    fig, ax = style.figure()
    for series, d in plotted.groupby("series", sort=False):
        x, y = style.gapped(d["x"], d["value"])
        ax.plot(x, y, marker="o", label=series)
    _millions(ax)
    ax.set_ylabel("China's imports from the DPRK, million US dollars (log)")
    ax.set_xlabel("Year")
    style.title(ax, title)
    style.mark_events(ax, events, ["unsc-2371", "unsc-2375"])
    ax.legend(loc="lower left", fontsize=7.5)
    style.source_line(fig, SOURCE)
    return fig
