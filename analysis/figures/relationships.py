"""Figure of the lagged cross-correlations between the flows' growth rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import style

SOURCE = "nkflows relationships_ccf (year-on-year changes in logs of the annual series in annual_panel)"
NAMES = {"china_prk_trade_total": "China-DPRK trade", "china_imports_from_prk": "China's imports",
         "china_exports_to_prk": "China's exports", "defector_arrivals": "defector arrivals",
         "rus_entries_for_work": "Russia: entries for work", "rus_entries_total": "Russia: all entries",
         "chn_entries_for_work": "China: entries for work"}


def ccf(table: pd.DataFrame, panel: pd.DataFrame, events: pd.DataFrame, event_ids: list[str], title: str):
    """Top: the first pair's growth rates over time, with the events; below: each pair's cross-correlations by lag."""
    pairs = list(dict.fromkeys(zip(table["x"], table["y"])))
    fig, axes = style.panels(len(pairs) + 1, height=1.9, sharex=False)
    top = axes[0]
    for name, color in zip(pairs[0] if pairs else [], (style.COLORS["male"], style.COLORS["female"])):
        s = panel.set_index("year")[name].astype(float)
        s = s.reindex(range(int(s.index.min()), int(s.index.max()) + 1))
        growth = np.log(s).diff() * 100
        top.plot(growth.index, growth, marker="o", markersize=3, color=color, label=f"{NAMES.get(name, name)}: growth")
    top.axhline(0, color="black", linewidth=0.6)
    top.set_ylabel("Change on previous\nyear (% of log)")
    top.set_xlabel("Year")
    style.mark_events(top, events, event_ids)
    top.legend(loc="lower left", fontsize=7)
    for ax, (x, y) in zip(axes[1:], pairs):
        d = table.loc[(table["x"] == x) & (table["y"] == y)]
        colors = [style.COLORS["female"] if o else style.COLORS["band"] for o in d["outside_band"]]
        ax.bar(d["lag"], d["correlation"], color=colors, width=0.5)
        ax.plot(d["lag"], d["band"], color=style.COLORS["event"], linestyle="--", linewidth=0.8)
        ax.plot(d["lag"], -d["band"], color=style.COLORS["event"], linestyle="--", linewidth=0.8)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel("Correlation")
        ax.set_title(f"{NAMES.get(x, x)} (year t) vs {NAMES.get(y, y)} (year t + lag); N = {int(d['n'].min())}-{int(d['n'].max())}",
                     fontsize=8.5, fontweight="normal")
    for ax in axes[1:-1]:
        ax.sharex(axes[-1])
    axes[-1].set_xlabel("Lag in years (positive: the first series leads); dashed: approximate 95% band for zero correlation")
    fig.subplots_adjust(hspace=0.75)
    style.suptitle(fig, title)
    style.source_line(fig, SOURCE)
    return fig
