"""Figures on North Korean workers abroad and the revenue model."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from . import style

SOURCE = "published figures in nkflows labor_workers, labor_model_inputs and labor_revenue_estimates; model: reports/tables/labor_revenue_*.csv"
HOSTS = ["RUS", "CHN", "KWT", "QAT", "MNG", "POL", "ARE"]
HOST_COLORS = dict(zip(HOSTS, plt.get_cmap("tab10").colors))


def _year(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["period_end"]).dt.year


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
        if ax is axes.flat[0]:
            ax.set_xlim(years.start - 0.5, years.stop - 0.5)
            style.mark_events(ax, events, ["repatriation-deadline-2019"])
        elif not deadline.empty:
            ax.axvline(pd.Timestamp(deadline.iloc[0]).year + 0.97, color=style.COLORS["event"], linestyle="--", linewidth=0.8)
        ax.set_title(host, loc="left", fontsize=9)
        ax.set_xlim(years.start - 0.5, years.stop - 0.5)
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


def risk_return(rr: pd.DataFrame, rates: pd.DataFrame, events: pd.DataFrame, title: str):
    """Left: each host by revenue per worker (median, 5-95%) against defection incidents per 10,000 worker-years
    (Garwood 95%). Right: the same rate for all hosts with a head count, by period, with the events that bound the periods."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 5.2), gridspec_kw={"width_ratios": [1.6, 1]})
    fig.subplots_adjust(left=0.08, right=0.98, top=0.84, bottom=0.17, wspace=0.3)
    d = rr.dropna(subset=["per_worker_median_usd"])
    x = d["per_worker_median_usd"]
    y = d["incidents_per_10k"].fillna(0)
    ax.errorbar(x, y, xerr=[x - d["per_worker_p05_usd"], d["per_worker_p95_usd"] - x],
                yerr=[y - d["incidents_per_10k_low"].fillna(0), d["incidents_per_10k_high"].fillna(0) - y],
                fmt="o", color=style.COLORS["all"], ecolor=style.COLORS["band"], capsize=2,
                label="host (incidents in the rate); bars: 5-95% revenue per worker, 95% exact Poisson rate")
    for i, r in enumerate(d.sort_values("per_worker_median_usd").itertuples(index=False)):
        y0 = r.incidents_per_10k if r.incidents_per_10k == r.incidents_per_10k else 0
        ax.annotate(f"{r.host} ({r.incidents_in_rate})", (r.per_worker_median_usd, y0), textcoords="offset points",
                    xytext=(3, 5 + 10 * (i % 4)), fontsize=7)
    ax.set_xlim(left=0)
    ax.set_yscale("symlog", linthresh=0.1)
    ax.set_ylim(bottom=-0.04)  # a little room under zero, so a zero rate's revenue bar stays visible
    top = ax.get_ylim()[1]
    ax.set_yticks([0] + [10.0 ** k for k in range(-1, 6) if 10.0 ** k <= top])
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,g}")
    ax.set_xlabel("State's take per worker, US dollars a year (wage x 12 x share)")
    ax.set_ylabel("Defection incidents per 10,000 worker-years")
    ax.set_title("By host, all years", loc="left", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
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
    ax2.set_xlabel("Year (period)")
    ax2.set_ylabel("Defection incidents per 10,000 worker-years")
    ax2.set_title("By period", loc="left", fontsize=10)
    style.mark_events(ax2, events, ["unsc-2371", "repatriation-deadline-2019", "border-closure-2020"])
    ax2.legend(fontsize=7, loc="center right")
    style.suptitle(fig, title)
    style.source_line(fig, TRADEOFF_SOURCE)
    return fig


def workers(labor: pd.DataFrame, events: pd.DataFrame, title: str):
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.8), gridspec_kw={"width_ratios": [1.4, 1]})
    fig.subplots_adjust(left=0.09, right=0.98, top=0.84, bottom=0.17, wspace=0.28)
    w = labor.loc[labor["period_end"].notna()].copy()
    w["year"] = _year(w)
    for host in HOSTS:
        h = w.loc[w["host"] == host]
        off = h.loc[h["measure"] == "stock_official"].groupby("year")["value"].max().dropna()
        if not off.empty:
            ax.plot(off.index, off.values, "-o", color=HOST_COLORS[host], label=f"{host} official")
        est = h.loc[h["measure"] == "stock_estimate"]
        if not est.empty:
            lo = est[["value", "value_low"]].min(axis=1)
            hi = est[["value", "value_high"]].max(axis=1)
            mid = est["value"].fillna((lo + hi) / 2)
            ax.errorbar(est["year"], mid, yerr=[(mid - lo).fillna(0), (hi - mid).fillna(0)], fmt="o", mfc="none",
                        color=HOST_COLORS[host], alpha=0.7, label=f"{host} estimates")
        rem = h.loc[h["measure"] == "remaining_2397"]
        if not rem.empty:
            ax.plot(rem["year"], rem["value"], "X", color=HOST_COLORS[host], markersize=8, label=f"{host} still present (2397 report)")
        sent = h.loc[h["measure"] == "repatriated_2397"]
        sent = sent.assign(v=sent["value"].fillna(sent["value_low"]).fillna(sent["value_high"])).dropna(subset=["v"])
        if not sent.empty:
            ax.plot(sent["year"], sent["v"], "v", color=HOST_COLORS[host], markersize=7, label=f"{host} sent home (2397 report)")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.set_ylabel("People present (log scale)")
    ax.set_xlabel("Year")
    ax.set_title("People present, by host", loc="left", fontsize=10)
    style.mark_events(ax, events, ["repatriation-deadline-2019"])
    ax.legend(fontsize=6, ncol=2, loc="lower left")
    r = w.loc[(w["host"] == "RUS") & (pd.to_datetime(w["period_start"]).dt.month == 1) & (pd.to_datetime(w["period_end"]).dt.month == 12)
              & (pd.to_datetime(w["period_start"]).dt.year == w["year"])]
    for measure, color in (("entries_total", style.COLORS["all"]), ("entries_for_study", style.COLORS["female"]), ("entries_for_work", style.COLORS["male"])):
        d = r.loc[r["measure"] == measure].groupby("year")["value"].max().dropna()
        ax2.plot(d.index, d.values, "-o", color=color, label=measure.replace("_", " "))
    ax2.set_ylabel("Border entries into Russia per year (trips)")
    ax2.set_xlabel("Year")
    ax2.set_title("Russia: FSB entries by declared purpose", loc="left", fontsize=10)
    ax2.legend(fontsize=7, loc="upper left")
    fig.suptitle("\n".join(__import__("textwrap").wrap(title, 90)), x=0.01, ha="left", fontweight="bold", fontsize=12)
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
