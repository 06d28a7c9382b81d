"""The specification curve: every stated effect under every specification, the headline marked.

Drawn from the result tables ``headline_effects`` and ``specification_curve`` only (it fits
nothing). One row per effect; grey dots and bars are the alternatives' estimates and 95%
intervals, the black diamond the headline. Ratios on a log axis (1 = no change).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from ..models import spec
from . import style

SOURCE = "nkflows headline_effects / specification_curve (models: analysis/models/spec.py)"


def curve(headline: pd.DataFrame, curve: pd.DataFrame, title: str):
    fig, ax = style.figure(height=0.45 * len(headline) + 1.6)
    rows = headline.reset_index(drop=True)
    for i, h in rows.iterrows():
        c = curve.loc[(curve["flow"] == h["flow"]) & (curve["event_ids"] == h["event_ids"]) & (curve["scale"] != "test") & ~curve["headline"]]
        jitter = np.linspace(-0.25, 0.25, len(c)) if len(c) > 1 else np.zeros(len(c))
        y = len(rows) - 1 - i
        ax.errorbar(c["estimate"], y + jitter, xerr=[c["estimate"] - c["ci_low"], c["ci_high"] - c["estimate"]], fmt="o", markersize=2.5,
                    color=style.COLORS["band"], elinewidth=0.6, label="Alternative specifications" if i == 0 else None)
        ax.errorbar([h["estimate"]], [y], xerr=[[h["estimate"] - h["ci_low"]], [h["ci_high"] - h["estimate"]]], fmt="D", markersize=5,
                    color=style.COLORS["all"], elinewidth=1.4, label="Headline (95% interval)" if i == 0 else None)
    ax.axvline(1.0, color=style.COLORS["event"], linewidth=0.8, linestyle="--")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator([0.01, 0.1, 1, 10, 100]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(range(len(rows)), [f"{spec.FLOW_NAMES.get(h['flow'], h['flow'])}: {h['label']}" for _, h in rows.iloc[::-1].iterrows()],
                  fontsize=7)
    ax.set_xlabel("Ratio after / without the event (log)")
    ax.set_ylabel("Effect (ratio, by flow and event)", fontsize=7)
    ax.grid(axis="x", color="#e0e0e0")
    fig.subplots_adjust(left=0.42)
    style.title(ax, title)
    ax.legend(loc="lower right", fontsize=7)
    style.source_line(fig, SOURCE)
    return fig
