"""Figures of the forecasts and of their backtest against the naive forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import style

SOURCE = "nkflows forecasts, forecast_history and forecast_accuracy (defector_arrivals_annual; trade_annual, China's customs)"
LABELS = {"defector_arrivals": ("Defectors arriving in South Korea", "Persons per year"),
          "china_prk_trade_total": ("China-DPRK trade, China's customs", "Million US dollars (log)")}


def fan(forecasts: pd.DataFrame, history: pd.DataFrame, accuracy: pd.DataFrame, events: pd.DataFrame, title: str):
    """History, forecasts with 80% and 95% intervals (marking the events the model carries forward), and backtest MASE."""
    fig, axes = style.panels(3, height=2.6, sharex=False)
    for ax, (series, (label, unit)) in zip(axes[:2], LABELS.items()):
        h = history.loc[(history["series"] == series) & history["observed"].notna()]
        f = forecasts.loc[forecasts["series"] == series]
        hx, fx = h["period"].astype(int), f["period"].astype(int)
        ax.plot(hx, h["observed"], marker="o", markersize=3, color=style.COLORS["all"], label=f"{label} (observed)")
        ax.fill_between(fx, f["low95"], f["high95"], color=style.COLORS["band"], alpha=0.4, linewidth=0, label="95% prediction interval")
        ax.fill_between(fx, f["low80"], f["high80"], color=style.COLORS["band"], alpha=0.8, linewidth=0, label="80% prediction interval")
        ax.plot(fx, f["median"], marker="o", markersize=3, linestyle="--", color=style.COLORS["female"], label="Forecast (median)")
        if "US dollars" in unit:
            style.millions(ax)
        else:
            style.log_counts(ax)
        ax.set_ylabel(unit)
        ax.set_xlabel("Year")
        style.mark_events(ax, events, [e for e in f["changes_used"].iloc[0].split(";") if e][-2:])
        ax.legend(loc="lower left", fontsize=7)
    ax = axes[2]
    width = 0.2
    for i, (series, (label, _)) in enumerate(LABELS.items()):
        a = accuracy.loc[accuracy["series"] == series]
        pos = a["horizon"].to_numpy() + (i - 0.5) * 2 * width
        ax.bar(pos - width / 2, a["mase_model"], width, color=style.COLORS["female"] if i == 0 else style.COLORS["male"], label=f"{label}: model")
        ax.bar(pos + width / 2, a["mase_naive"], width, color=style.COLORS["band"], edgecolor=style.COLORS["female"] if i == 0 else style.COLORS["male"],
               label=f"{label}: naive (last value)")
    ax.set_xticks(np.arange(1, accuracy["horizon"].max() + 1))
    ax.set_xlabel("Forecast horizon (years ahead), rolling-origin backtest")
    ax.set_ylabel("MASE (ratio; lower is better)")
    ax.legend(loc="upper left", fontsize=6.5, ncol=2)
    fig.subplots_adjust(hspace=0.6)
    style.suptitle(fig, title)
    style.source_line(fig, SOURCE)
    return fig
