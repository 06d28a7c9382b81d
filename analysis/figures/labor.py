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
