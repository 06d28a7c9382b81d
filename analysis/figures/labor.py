"""Figures on North Korean workers abroad and the revenue model."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.ticker import LogLocator
import pandas as pd

from . import points, style

SOURCE = "published figures in nkflows labor_workers, labor_model_inputs and labor_revenue_estimates; model: reports/tables/labor_revenue_*.csv"
HOSTS = ["RUS", "CHN", "KWT", "QAT", "MNG", "POL", "ARE"]
HOST_COLORS = dict(zip(HOSTS, plt.get_cmap("tab10").colors))


def _year(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["period_end"]).dt.year


HOST_NAMES = {"RUS": "Russia", "CHN": "China", "KWT": "Kuwait", "QAT": "Qatar", "MNG": "Mongolia", "POL": "Poland", "ARE": "UAE"}
MEASURES = {  # measure: (series label, mark)
    "stock_official": ("Official count", "line"),
    "stock_estimate": ("Published estimate (range)", "point"),
    "remaining_2397": ("Still present (2397 report)", "point"),
    "repatriated_2397": ("Sent home (2397 report)", "point"),
}
FSB = {"entries_total": "All entries", "entries_for_work": "Entries for work", "entries_for_study": "Entries for study"}
FSB_PANEL = "Russia: FSB entries"


def workers_data(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """What the workers chart plots: per host, people present by measure; and Russia's FSB entries by purpose."""
    labor = tables["labor_workers"]
    w = labor.loc[labor["period_end"].notna()].copy()
    w["year"] = _year(w)
    rows = []
    for host in HOSTS:
        h = w.loc[w["host"] == host]
        for measure, (series, mark) in MEASURES.items():
            d = h.loc[(h["measure"] == measure) & (h["value"].notna() | h["value_low"].notna() | h["value_high"].notna())]
            if measure == "stock_official":  # one figure per year (the largest printed), drawn as a line
                d = d.sort_values(["year", "value", "source_id"], ascending=[True, False, True]).drop_duplicates("year")
            for r in d.sort_values(["year", "source_id"]).itertuples():
                rows.append({"panel": HOST_NAMES[host], "series": series, "mark": mark, "x": int(r.year), "value": r.value,
                             "value_low": r.value_low, "value_high": r.value_high, "unit": "people", "source_id": r.source_id,
                             "reported_as": r.reported_as})
    start = pd.to_datetime(w["period_start"])
    end = pd.to_datetime(w["period_end"])
    r = w.loc[(w["host"] == "RUS") & (start.dt.month == 1) & (end.dt.month == 12) & (start.dt.year == w["year"])]
    for measure, series in FSB.items():
        d = r.loc[(r["measure"] == measure) & r["value"].notna()]
        d = d.sort_values(["year", "value", "source_id"], ascending=[True, False, True]).drop_duplicates("year")
        for x in d.itertuples():
            rows.append({"panel": FSB_PANEL, "series": series, "mark": "line", "x": int(x.year), "value": x.value, "unit": "trips",
                         "source_id": x.source_id, "reported_as": x.reported_as})
    return points.with_sources(pd.DataFrame(rows), tables["sources"])


def workers(plotted: pd.DataFrame, events: pd.DataFrame, title: str):
    """Small multiples: one panel per host (people present, log scale) and Russia's FSB entries; lines break at missing years."""
    hosts = [HOST_NAMES[h] for h in HOSTS if (plotted["panel"] == HOST_NAMES[h]).any()]
    panels_ = hosts + [FSB_PANEL]
    ncol = 4
    nrow = -(-len(panels_) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(10, 2.6 * nrow + 1.6), sharex=True, squeeze=False)
    fig.subplots_adjust(left=0.08, right=0.98, top=1 - 0.95 / (2.6 * nrow + 1.6), bottom=1.15 / (2.6 * nrow + 1.6), wspace=0.42, hspace=0.55)
    looks = {"Official count": dict(marker="o", color=style.COLORS["all"]),
             "Published estimate (range)": dict(marker="o", mfc="none", linestyle="none", color=style.COLORS["male"]),
             "Still present (2397 report)": dict(marker="X", linestyle="none", color=style.COLORS["female"], markersize=7),
             "Sent home (2397 report)": dict(marker="v", linestyle="none", color="#1b9e77", markersize=6)}
    fsb_looks = {"All entries": style.COLORS["all"], "Entries for work": style.COLORS["male"], "Entries for study": style.COLORS["female"]}
    handles = {}
    for ax, panel in zip(axes.flat, panels_):
        d = plotted.loc[plotted["panel"] == panel]
        ax.set_axisbelow(True)
        if panel == FSB_PANEL:
            for series, colour in fsb_looks.items():
                s = d.loc[d["series"] == series]
                x, y = style.gapped(s["x"], s["value"])
                handles[series] = ax.plot(x, y, "-o", markersize=3, color=colour, label=series)[0]
            ax.set_ylabel("Entries (trips per year)")
            ax.set_title(FSB_PANEL, loc="left", fontsize=9, fontweight="bold")
            ax.yaxis.set_major_formatter(lambda v, _: f"{v / 1000:,.0f}k" if v >= 1000 else f"{v:,.0f}")
        else:
            for series, look in looks.items():
                s = d.loc[d["series"] == series]
                if s.empty:
                    continue
                if series == "Published estimate (range)":
                    lo = s[["value", "value_low"]].min(axis=1)
                    hi = s[["value", "value_high"]].max(axis=1)
                    mid = s["value"].fillna((lo + hi) / 2)
                    handles[series] = ax.errorbar(s["x"], mid, yerr=[(mid - lo).fillna(0), (hi - mid).fillna(0)], label=series,
                                                  alpha=0.8, **look)
                    continue
                y = s["value"].fillna(s["value_low"]).fillna(s["value_high"])
                x, y = style.gapped(s["x"], y) if look.get("linestyle") != "none" else (s["x"], y)
                handles[series] = ax.plot(x, y, label=series, **look)[0]
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
            ax.yaxis.set_major_formatter(lambda v, _: f"{v / 1000:,.0f}k" if v >= 1000 else f"{v:,.0f}")
            ax.yaxis.set_minor_formatter(style.NullFormatter())
            ax.set_ylabel("People present (log)")
            ax.set_title(panel, loc="left", fontsize=9, fontweight="bold")
        ax.grid(axis="y", color="#e0e0e0")
        ax.tick_params(labelsize=7.5)
        ax.xaxis.set_major_locator(style.MaxNLocator(4, integer=True))
        ax.axvline(2019.97, color=style.COLORS["event"], linestyle="--", linewidth=0.8, gid=style.EVENT_GID)
    for ax in list(axes.flat)[len(panels_):]:
        ax.set_visible(False)
        ax.axison = False
    for ax in axes[-1]:
        ax.set_xlabel("Year", fontsize=8)
    found = style.event_label(events, "repatriation-deadline-2019")
    note = f"Dashed line: {found[0]} ({found[1]:%d %b %Y})." if found else ""
    axes.flat[0].text(0, 1.0, "", transform=axes.flat[0].transAxes, gid=style.EVENT_GID,
                      label=f"_event:{found[0]} ({found[1]:%d %B %Y})" if found else "_event:")
    fig.legend(list(handles.values()), list(handles), loc="lower left", bbox_to_anchor=(0.01, 0.03), ncol=4, fontsize=7.5, frameon=False)
    fig.suptitle("\n".join(__import__("textwrap").wrap(title, 95)[:2]), x=0.01, ha="left", fontweight="bold", fontsize=12)
    fig.text(0.01, 1 - 0.62 / (2.6 * nrow + 1.6), note, ha="left", va="bottom", fontsize=8, color="#444444")
    style.source_line(fig, SOURCE)
    return fig


def revenue(world: pd.DataFrame, comparison: pd.DataFrame, events: pd.DataFrame, title: str):
    """Years whose covered hosts include Russia or China (the main hosts) are drawn; the table has every year."""
    fig, ax = style.figure()
    world = world.loc[world["hosts_covered"].str.contains("RUS|CHN") & (world["year"] >= 2000)]
    ax.errorbar(world["year"], world["median_usd"], yerr=[world["median_usd"] - world["p05_usd"], world["p95_usd"] - world["median_usd"]],
                fmt="s", color=style.COLORS["all"], capsize=3, label="Model: hosts with a head count, years covering Russia or China (median, 5-95%)")
    c = comparison.loc[(comparison["currency"] == "USD") & comparison["year"].notna() & (comparison["year"] >= 2000)]
    point = c.loc[c["value"].notna()]
    ax.plot(point["year"] + 0.15, point["value"], "o", color=style.COLORS["female"], alpha=0.7, label="Published estimate")
    rng = c.loc[c["value"].isna() & c["value_low"].notna() & c["value_high"].notna()]
    ax.vlines(rng["year"] + 0.3, rng["value_low"], rng["value_high"], color=style.COLORS["male"], alpha=0.7, label="Published range")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v / 1e6:,g}")
    ax.set_ylabel("Million US dollars a year (log scale)")
    ax.set_xlabel("Year")
    style.title(ax, title)
    ax.set_ylim(top=ax.get_ylim()[1] * 5)  # headroom for the event labels
    style.mark_events(ax, events, ["unsc-2397", "repatriation-deadline-2019"])
    ax.legend(fontsize=8, loc="lower left")
    style.source_line(fig, SOURCE)
    return fig
