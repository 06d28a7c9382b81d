"""Figures of the monthly trade model: fitted paths with interventions, and the STL decomposition."""

from __future__ import annotations

import pandas as pd

from . import style
from .trade import SOURCE

LABELS = {"exports_usd": "China's exports to the DPRK", "imports_usd": "China's imports from the DPRK"}


def fitted(paths: pd.DataFrame, events: pd.DataFrame, event_ids: list[str], title: str):
    fig, axes = style.panels(2, height=3.0)
    for ax, (series, label) in zip(axes, LABELS.items()):
        d = paths.loc[paths["series"] == series]
        x = style.decimal_year(d["month"])
        ax.fill_between(x, d["low"], d["high"], color=style.COLORS["band"], alpha=0.45, linewidth=0, label="95% interval (one step ahead)")
        ax.plot(x, d["fitted"], color=style.COLORS["model"], linewidth=1.1, label="Model (seasonality, steps, AR(1))")
        ax.plot(x, d["observed"], marker="o", markersize=3, linestyle="none", color=style.COLORS["female"] if "imports" in series else style.COLORS["male"],
                label=f"{label} (published months)")
        style.millions(ax)
        ax.set_ylabel("Million US dollars\nper month (log)")
        style.mark_events(ax, events, event_ids)
        ax.legend(loc="lower left", fontsize=7)
    axes[-1].set_xlabel("Month")
    style.suptitle(fig, title)
    style.source_line(fig, SOURCE + "; model: nkflows trade_monthly_effects / trade_monthly_fitted")
    return fig


def stl(decomposition: pd.DataFrame, events: pd.DataFrame, event_ids: list[str], title: str):
    d = decomposition
    x = style.decimal_year(d["month"])
    fig, axes = style.panels(4, height=1.7)
    observed = ~d["interpolated"].astype(bool)
    axes[0].plot(x, d["log_value"], color=style.COLORS["band"], linewidth=0.8)
    axes[0].plot(x[observed], d.loc[observed, "log_value"], marker="o", markersize=2.5, linestyle="none", color=style.COLORS["all"], label="Published month")
    axes[0].plot(x[~observed], d.loc[~observed, "log_value"], marker="o", markersize=2.5, linestyle="none", markerfacecolor="white",
                 color=style.COLORS["all"], label="Interpolated (model step)")
    axes[0].set_ylabel("log US dollars")
    axes[0].legend(loc="lower left", fontsize=7)
    for ax, col, label in zip(axes[1:], ("trend", "seasonal", "remainder"), ("Trend\n(log US dollars)", "Seasonal\n(log US dollars)", "Remainder\n(log US dollars)")):
        ax.plot(x, d[col], color=style.COLORS["all"], linewidth=1)
        ax.set_ylabel(label)
    style.mark_events(axes[0], events, event_ids)
    axes[-1].set_xlabel("Month")
    style.suptitle(fig, title)
    style.source_line(fig, SOURCE + "; STL (robust, period 12) on nkflows trade_monthly_stl")
    return fig
