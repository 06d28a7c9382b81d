"""Figures on North Korea's trade (China's customs view first)."""

from __future__ import annotations

import pandas as pd

from . import style

SOURCE = "China's customs (GACC) and KOTRA figures as published and reported; nkflows trade_annual, trade_monthly, trade_flows"
EVENTS = ["unsc-2270", "unsc-2371", "unsc-2397", "border-closure-2020"]
HS_LABELS = {"61+62": "Clothing (HS 61-62)", "61": "Knitted clothing (HS 61)", "62": "Woven clothing (HS 62)",
             "6704": "Wigs, false eyelashes (HS 6704)", "67": "Wigs, feathers, artificial flowers (HS 67)",
             "91": "Watches (HS 91)", "03": "Seafood (HS 03)", "2701": "Coal (HS 2701)", "2601": "Iron ore (HS 2601)"}


def _millions(ax) -> None:
    style.millions(ax)


def annual_china(annual: pd.DataFrame, events: pd.DataFrame, title: str):
    fig, ax = style.figure()
    gacc = annual.loc[(annual["agency"] == "GACC") & (annual["reporter"] == "CHN") & (annual["partner"] == "PRK")].sort_values("year")
    kotra = annual.loc[(annual["agency"] == "KOTRA") & (annual["reporter"] == "PRK") & (annual["partner"] == "CHN")].sort_values("year")
    ax.plot(gacc["year"], gacc["total_usd"], marker="o", color=style.COLORS["all"], label="Total trade (China's customs)")
    ax.plot(gacc["year"], gacc["exports_usd"], marker="^", linestyle="none", color=style.COLORS["male"], label="China's exports to the DPRK")
    ax.plot(gacc["year"], gacc["imports_usd"], marker="v", linestyle="none", color=style.COLORS["female"], label="China's imports from the DPRK")
    ax.plot(kotra["year"], kotra["total_usd"], linestyle="--", color=style.COLORS["band"], marker=".", label="KOTRA estimate, DPRK-China (adds crude oil)")
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


def product_lines(flows: pd.DataFrame, events: pd.DataFrame, title: str):
    fig, ax = style.figure()
    p = flows.loc[flows["preferred"] & (flows["freq"] == "A") & (flows["currency"] == "USD") & (flows["reporter"] == "CHN")
                  & (flows["flow"] == "import") & flows["commodity"].isin(list(HS_LABELS))].copy()
    p["year"] = pd.to_datetime(p["period_start"]).dt.year
    p = p.groupby(["commodity", "year"], as_index=False)["value"].max()
    for code, label in HS_LABELS.items():
        d = p.loc[p["commodity"] == code].sort_values("year")
        if not d.empty:
            ax.plot(d["year"], d["value"], marker="o", label=label)
    _millions(ax)
    ax.set_ylabel("China's imports from the DPRK, million US dollars (log)")
    ax.set_xlabel("Year")
    style.title(ax, title)
    style.mark_events(ax, events, ["unsc-2371", "unsc-2375"])
    ax.legend(loc="lower left", fontsize=7.5)
    style.source_line(fig, SOURCE)
    return fig
