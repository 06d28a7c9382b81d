"""Figures on defectors arriving in South Korea."""

from __future__ import annotations

import pandas as pd

from . import style

SOURCE = "ROK Ministry of Unification figures as published and reported; preferred series of nkflows (defector_arrivals_annual)"
EVENTS = ["kim-jong-il-death", "border-closure-2020"]


def arrivals_by_sex(annual: pd.DataFrame, fitted: pd.DataFrame, events: pd.DataFrame, title: str):
    """Annual arrivals, women and men stacked, with the count model's fit and the events it uses."""
    data = annual.loc[annual["male"].notna() & annual["female"].notna() & (annual["year"] >= fitted["year"].min())].sort_values("year")
    fig, ax = style.figure()
    ax.bar(data["year"], data["female"], color=style.COLORS["female"], label="Women", width=0.8)
    ax.bar(data["year"], data["male"], bottom=data["female"], color=style.COLORS["male"], label="Men", width=0.8)
    ax.plot(fitted["year"], fitted["fitted"], color="black", linewidth=1.4, label="Negative binomial fit (all)")
    ax.set_ylabel("Defectors arriving in South Korea (persons per year)")
    ax.set_xlabel("Year of arrival")
    style.title(ax, title)
    ax.set_xlim(data["year"].min() - 0.8, data["year"].max() + 0.8)
    style.mark_events(ax, events, EVENTS)
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.75))
    style.source_line(fig, SOURCE)
    return fig


def female_share(annual: pd.DataFrame, trend: pd.DataFrame, events: pd.DataFrame, title: str):
    data = annual.loc[annual["female_share"].notna() & (annual["year"] >= trend["year"].min())].sort_values("year")
    fig, ax = style.figure()
    ax.plot(data["year"], data["female_share"] * 100, marker="o", color=style.COLORS["female"], label="Women as % of arrivals")
    ax.plot(trend["year"], trend["fitted_share"] * 100, color=style.COLORS["model"], linestyle="-", linewidth=1.2, label="Logistic trend (quasi-binomial)")
    ax.set_ylim(0, 100)
    ax.set_ylabel("Women as % of arrivals")
    ax.set_xlabel("Year of arrival")
    style.title(ax, title)
    style.mark_events(ax, events, EVENTS)
    ax.legend(loc="lower left")
    style.source_line(fig, SOURCE)
    return fig
