"""Figures of the break search: segment means, break dates with bands, nearest events."""

from __future__ import annotations

import pandas as pd

from . import style

SOURCE = ("Arrivals: ROK Ministry of Unification via nkflows defector_arrivals_annual; trade: China's customs (GACC) via "
          "nkflows trade_monthly; break search: nkflows breaks_*")


def breaks(segments: pd.DataFrame, found: pd.DataFrame, events: pd.DataFrame, panels: list[tuple[str, str, str]], title: str):
    """One panel per series: observations, segment means, shaded confidence bands, nearest events."""
    fig, axes = style.panels(len(panels), height=3.2)
    for ax, (series, label, unit) in zip(axes, panels):
        s = segments.loc[segments["series"] == series]
        x = style.decimal_year(s["period"])
        ax.plot(x, s["observed"], marker="o", markersize=3, linestyle="none", color=style.COLORS["all"], label=label)
        ax.step(x, s["segment_mean"], where="mid", color=style.COLORS["female"], linewidth=1.4, label="Segment mean (geometric)")
        b = found.loc[found["series"] == series]
        for _, r in b.iterrows():
            lo, hi = style.decimal_year([r["band_low"]])[0], style.decimal_year([r["band_high"]])[0]
            ax.axvspan(lo - 0.02, hi + 0.02, color=style.COLORS["band"], alpha=0.35, linewidth=0)
        if unit.startswith("USD"):
            style.millions(ax)
            ax.set_ylabel("Million US dollars\nper month (log)")
        else:
            style.log_counts(ax)
            ax.set_ylabel("Persons per year (log)")
        style.mark_events(ax, events, list(dict.fromkeys(b["nearest_event_id"])))
        ax.legend(loc="lower left", fontsize=7)
    axes[-1].set_xlabel("Year (shaded: 95% confidence band of each break date)")
    style.suptitle(fig, title)
    style.source_line(fig, SOURCE)
    return fig
