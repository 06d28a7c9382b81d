"""Figures of the interrupted time series of arrivals: fit, counterfactuals, events."""

from __future__ import annotations

import pandas as pd

from . import style
from .defectors import SOURCE

LINESTYLES = ["--", ":", "-."]
#: A path without a change is drawn for this many years after the event, no further: past it the
#: counterfactual is an extrapolation of a trend the data no longer inform (the quarterly one would
#: otherwise reach 18,000 arrivals a quarter by 2025, six times the annual record).
HORIZON_YEARS = 3


def counterfactual_end(events: pd.DataFrame, event_id: str) -> float:
    """The last decimal year a path without ``event_id`` is drawn to (the event's date plus :data:`HORIZON_YEARS`)."""
    date = pd.Timestamp(events.loc[events["event_id"] == event_id, "date"].iloc[0])
    return date.year + (date.day_of_year - 1) / 365.25 + HORIZON_YEARS


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
        found = style.event_label(events, event_id)
        name = found[0] if found else event_id
        ax.plot(style.decimal_year(cf["period"]), cf["mean"].to_numpy(), linestyle=LINESTYLES[i % 3], color=style.COLORS["model"],
                label=f"Without {name} (drawn {HORIZON_YEARS} years on)")
    style.log_counts(ax)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("Year" if model.endswith("annual") else "Quarter (plotted at its midpoint)")
    style.title(ax, title)
    style.mark_events(ax, events, ids)
    ax.legend(loc="lower left", fontsize=7.5)
    style.source_line(fig, SOURCE + "; model: nkflows its_terms / its_paths")
    return fig
