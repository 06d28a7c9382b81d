"""Figures on defectors arriving in South Korea."""

from __future__ import annotations

import pandas as pd

from . import points, style

SOURCE = "ROK Ministry of Unification figures as published and reported; preferred series of nkflows (defector_arrivals_annual)"
EVENTS = ["kim-jong-il-death", "border-closure-2020"]


SERIES = {"female": "Women", "male": "Men"}
FIT = "Model fit (all arrivals)"


def arrivals_data(tables: dict[str, pd.DataFrame], fitted: pd.DataFrame) -> pd.DataFrame:
    """What the arrivals chart plots: women and men per year (preferred series) with the figure as printed, and the fit."""
    annual = tables["defector_arrivals_annual"]
    data = annual.loc[annual["male"].notna() & annual["female"].notna() & (annual["year"] >= fitted["year"].min())].sort_values("year")
    arr = tables["defector_arrivals"]
    arr = arr.loc[(arr["freq"] == "A")].assign(year=pd.to_datetime(arr["period_end"]).dt.year)
    printed = arr.drop_duplicates(["year", "sex", "source_id"]).set_index(["year", "sex", "source_id"])["reported_as"]
    lines = points.Disagreements(points.conflict_lines(tables["conflicts"], tables["sources"]))
    rows = []
    for sex, series in SERIES.items():
        for r in data.itertuples():
            year = int(r.year)
            rows.append({"series": series, "mark": "bar", "x": year, "value": getattr(r, sex), "unit": "persons", "source_id": r.source_id,
                         "reported_as": printed.get((year, sex, r.source_id), ""),
                         "sources_disagree": lines.say("defector_arrivals", freq="A", period_start=f"{year}-01-01",
                                                                 period_end=f"{year}-12-31", sex=sex)})
    for r in fitted.itertuples():
        rows.append({"series": FIT, "mark": "line", "x": int(r.year), "value": r.fitted, "unit": "persons (modelled)",
                     "source_id": "model: reports/tables/defector_count_fitted.csv"})
    return points.with_sources(pd.DataFrame(rows), tables["sources"])


def arrivals_by_sex(plotted: pd.DataFrame, events: pd.DataFrame, title: str):
    """Annual arrivals, women and men stacked, with the count model's fit and the events it uses."""
    women = plotted.loc[plotted["series"] == SERIES["female"]].sort_values("x")
    men = plotted.loc[plotted["series"] == SERIES["male"]].sort_values("x")
    fit = plotted.loc[plotted["series"] == FIT].sort_values("x")
    data = pd.DataFrame({"year": women["x"].to_numpy()})
    fig, ax = style.figure()
    ax.bar(women["x"], women["value"], color=style.COLORS["female"], label="Women", width=0.8)
    ax.bar(men["x"], men["value"], bottom=women["value"].to_numpy(), color=style.COLORS["male"], label="Men", width=0.8)
    ax.plot(fit["x"], fit["value"], color="black", linewidth=1.4, label=FIT)
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
