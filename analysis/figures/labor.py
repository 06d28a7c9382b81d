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
    head, rho1, legacy = (world.loc[world["variant"] == v] for v in ("weighted_rho0", "weighted_rho1", "uniform_pooled"))
    ax.vlines(rho1["year"] - 0.12, rho1["p05_usd"], rho1["p95_usd"], color=style.COLORS["band"], linewidth=3,
              label="Model with one common wage and share shock (rho = 1), 5-95%")
    ax.errorbar(head["year"], head["median_usd"], yerr=[head["median_usd"] - head["p05_usd"], head["p95_usd"] - head["median_usd"]],
                fmt="s", color=style.COLORS["all"], capsize=3, label="Model: hosts with a national head count (median, 5-95%; rho = 0)")
    ax.plot(legacy["year"] - 0.3, legacy["median_usd"], "x", color=style.COLORS["model"], alpha=0.7, label="Earlier uniform model (median)")
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
    ax.legend(fontsize=7, loc="lower left")
    style.source_line(fig, SOURCE)
    return fig


PANEL_SOURCE = "nkflows labor_panel (national head counts: official stock first, then estimates; entries and permits never used)"
TRADEOFF_SOURCE = "reports/tables/tradeoff_risk_return.csv and tradeoff_rates.csv (nkflows labor_panel, defections_abroad, events and the revenue model)"
OFFICIAL = ("stock_official", "remaining_2397")


def people_present(panel: pd.DataFrame, events: pd.DataFrame, title: str, ncols: int = 4):
    """Small multiples, one host each (largest first): official series as lines, estimates as ranges, gaps left as gaps.

    Hosts whose every figure is zero (a 2397 report that none remain) are left out of the drawing; the table has them."""
    peak = panel.groupby("host")["central"].max().sort_values(ascending=False)
    order = peak[peak > 0].index.tolist()  # a host that only ever reported none left has nothing to draw
    nrows = max(1, -(-len(order) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(10, 2.1 * nrows + 1.3), squeeze=False)
    fig.subplots_adjust(left=0.08, right=0.98, top=1 - 0.9 / (2.1 * nrows + 1.3), bottom=0.75 / (2.1 * nrows + 1.3) + 0.03, hspace=0.7, wspace=0.38)
    years = range(int(panel["year"].min()), int(panel["year"].max()) + 1) if not panel.empty else range(0)
    deadline = events.loc[events["event_id"] == "repatriation-deadline-2019", "date"]
    for ax, host in zip(axes.flat, order):
        h = panel.loc[panel["host"] == host].set_index("year")
        off = h.loc[h["basis"].isin(OFFICIAL), "central"].reindex(years)  # NaN in a missing year breaks the line
        ax.plot(off.index, off.values, "-o", color=style.COLORS["all"], markersize=3, label="official (line)")
        est = h.loc[h["basis"] == "stock_estimate"]
        ax.vlines(est.index, est["low"], est["high"], color=style.COLORS["male"], linewidth=2, alpha=0.6, label="estimates (range)")
        ax.plot(est.index, est["central"], "o", mfc="none", color=style.COLORS["male"], markersize=4)
        if not deadline.empty:
            ax.axvline(pd.Timestamp(deadline.iloc[0]).year + 0.97, color=style.COLORS["event"], linestyle="--", linewidth=0.8, gid=style.EVENT_GID)
        ax.set_title(host, loc="left", fontsize=9)
        ax.set_xlim(years.start - 0.5, years.stop - 0.5)
        if ax is axes.flat[0]:
            style.mark_events(ax, events, ["repatriation-deadline-2019"])  # labelled once; the other panels repeat the line
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
        ax.tick_params(labelsize=7)
        ax.set_xlabel("Year", fontsize=7)
        ax.set_ylabel("People present", fontsize=7)
    for ax in list(axes.flat)[len(order):]:
        ax.set_axis_off()
    if order:
        axes.flat[0].legend(fontsize=6, loc="upper left")
    style.suptitle(fig, title)
    style.source_line(fig, PANEL_SOURCE + "; dashed line: the UN Security Council 2397 repatriation deadline (events table)")
    return fig


def _rate_axis(ax, top: float) -> None:
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlim(-0.04, max(top, 1.0) * 1.5)  # a little room left of zero, so a zero rate stays visible
    ax.set_xticks([0] + [10.0 ** k for k in range(-1, 6) if 10.0 ** k <= max(top, 1.0) * 1.5])
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,g}")


def risk_return(rr: pd.DataFrame, rates: pd.DataFrame, events: pd.DataFrame, title: str):
    """Risk against return, host by host: top left, the state's take per worker (median, 5-95%); top right, on the
    same rows, defection incidents per 10,000 worker-years (Garwood 95%), with the incidents behind each rate.
    Bottom: the rate for all hosts with a head count, period by period, with the events that bound the periods."""
    d = rr.dropna(subset=["per_worker_median_usd"]).sort_values(["per_worker_median_usd", "host"]).reset_index(drop=True)
    fig = plt.figure(figsize=(10, 7.6))
    grid = fig.add_gridspec(2, 2, height_ratios=[max(len(d), 3) * 0.32 + 1, 2.2], left=0.1, right=0.97, top=0.9, bottom=0.09,
                            hspace=0.65, wspace=0.08)
    ax, axr, ax2 = fig.add_subplot(grid[0, 0]), None, fig.add_subplot(grid[1, :])
    axr = fig.add_subplot(grid[0, 1], sharey=ax)
    y = list(range(len(d)))
    x = d["per_worker_median_usd"]
    ax.errorbar(x, y, xerr=[x - d["per_worker_p05_usd"], d["per_worker_p95_usd"] - x], fmt="o", color=style.COLORS["all"],
                ecolor=style.COLORS["band"], capsize=2)
    ax.set_yticks(y, d["host"].tolist(), fontsize=8)
    ax.set_xlim(left=0)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.set_xlabel("State's take per worker, US dollars a year")
    ax.set_ylabel("Host (ISO 3166 country code)")
    ax.set_title("Return: revenue per worker (median, 5-95%)", loc="left", fontsize=10)
    rate = d["incidents_per_10k"].fillna(0)
    axr.errorbar(rate, y, xerr=[rate - d["incidents_per_10k_low"].fillna(0), d["incidents_per_10k_high"].fillna(0) - rate],
                 fmt="s", color=style.COLORS["female"], ecolor=style.COLORS["band"], capsize=2)
    _rate_axis(axr, float(d["incidents_per_10k_high"].fillna(0).max()) if len(d) else 1.0)
    for yy, k in zip(y, d["incidents_in_rate"]):
        axr.annotate(f"{int(k)}", (1.0, yy), xycoords=("axes fraction", "data"), xytext=(-4, 0), textcoords="offset points",
                     ha="right", va="center", fontsize=7, color="#444444")
    axr.tick_params(labelleft=False)
    axr.set_ylabel("Host (same rows, country code)", fontsize=7)
    axr.set_xlabel("Defection incidents per 10,000 worker-years")
    axr.set_title("Risk: defection rate, 95% exact (incidents at right)", loc="left", fontsize=9)
    a = rates.loc[(rates["host"] == "ALL") & (rates["worker_years"] > 0)].copy()
    bounds = a["period"].str.split("-", expand=True).astype(int) if not a.empty else pd.DataFrame(columns=[0, 1])
    mid = (bounds[0] + bounds[1] + 1) / 2 if not a.empty else pd.Series(dtype=float)
    ax2.errorbar(mid, a["incidents_per_10k"], xerr=(bounds[1] + 1 - bounds[0]) / 2 if not a.empty else None,
                 yerr=[a["incidents_per_10k"] - a["incidents_per_10k_low"], a["incidents_per_10k_high"] - a["incidents_per_10k"]],
                 fmt="s", color=style.COLORS["all"], ecolor=style.COLORS["band"], capsize=2, label="all hosts with a head count (95% exact Poisson)")
    ax2.set_yscale("symlog", linthresh=0.1)
    ax2.set_ylim(bottom=-0.04)
    top2 = ax2.get_ylim()[1]
    ax2.set_yticks([0] + [10.0 ** k for k in range(-1, 6) if 10.0 ** k <= top2])
    ax2.yaxis.set_major_formatter(lambda v, _: f"{v:,g}")
    if not a.empty:
        ax2.set_xlim(float(bounds[0].min()) - 0.5, float(bounds[1].max()) + 1.5)
    ax2.set_xlabel("Year (period)")
    ax2.set_ylabel("Incidents per 10,000 worker-years")
    ax2.set_title("All hosts, by period", loc="left", fontsize=10)
    style.mark_events(ax2, events, ["repatriation-deadline-2019"])
    ax2.legend(fontsize=7, loc="upper left")
    style.suptitle(fig, title)
    style.source_line(fig, TRADEOFF_SOURCE)
    return fig
