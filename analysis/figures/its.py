"""Figures of the interrupted time series of arrivals: fit, counterfactuals, events."""

from __future__ import annotations

import pandas as pd

from . import style
from .defectors import SOURCE

LINESTYLES = ["--", ":", "-."]


def paths(paths: pd.DataFrame, events: pd.DataFrame, model: str, title: str, ylabel: str):
    """Observed counts, the fitted path with its 95% band, and the path without each change."""
    d = paths.loc[paths["model"] == model]
    fitted = d.loc[d["scenario"] == "fitted"]
    x = style.decimal_year(fitted["period"])
    fig, ax = style.figure()
    ax.plot(x, fitted["observed"], marker="o", linestyle="none", color=style.COLORS["all"], label="Observed")
    ax.plot(x, fitted["mean"], color="black", linewidth=1.5, label="Fitted (NB2 with level and slope changes)")
    ax.fill_between(x, fitted["low"], fitted["high"], color=style.COLORS["band"], alpha=0.5, linewidth=0, label="95% interval of the fit")
    ids = [e for e in d["event_id"].dropna().unique()]
    for i, event_id in enumerate(ids):
        cf = d.loc[d["scenario"] == f"without {event_id}"]  # drawn only for the stated horizon after the event
        title_row = events.loc[events["event_id"] == event_id, "title"]
        name = title_row.iloc[0].split(" (")[0] if not title_row.empty else event_id
        ax.plot(style.decimal_year(cf["period"]), cf["mean"].to_numpy(), linestyle=LINESTYLES[i % 3], color=style.COLORS["model"],
                label=f"Without: {name[:45]}")
    style.log_counts(ax)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("Year" if model.endswith("annual") else "Quarter (plotted at its midpoint)")
    style.title(ax, title)
    style.mark_events(ax, events, ids)
    ax.legend(loc="lower left", fontsize=7.5)
    style.source_line(fig, SOURCE + "; model: nkflows its_terms / its_paths")
    return fig
