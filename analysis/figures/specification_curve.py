"""The specification curve: every stated effect under every specification, the headline marked.

Drawn from the result tables ``headline_effects`` and ``specification_curve`` only (it fits
nothing). One row per effect; grey dots and bars are the alternatives' estimates and 95%
intervals, the black diamond the headline. Ratios on a log axis (1 = no change).

:func:`curve_data` is the figure's plotted data (one row per drawn estimate, with its
source table); :func:`plot` draws exactly that frame. The x axis is a ratio, not time, so
the figure marks no events (``time_axis=False`` in the figure registry).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from ..models import spec
from . import style

SOURCE = "nkflows headline_effects / specification_curve (models: analysis/models/spec.py)"
COLUMNS = ["effect", "flow", "event_ids", "row_label", "role", "specification", "estimate", "ci_low", "ci_high", "n", "source_id"]


def curve_data(headline: pd.DataFrame, curve: pd.DataFrame) -> pd.DataFrame:
    """What the figure plots: per headline effect (in ``headline_effects`` order) its headline estimate and every
    alternative's estimate with a 95% interval (joint tests, which have no ratio, and alternatives without an
    estimate are not drawn)."""
    rows = []
    for _, h in headline.reset_index(drop=True).iterrows():
        row_label = f"{spec.FLOW_NAMES.get(h['flow'], h['flow'])}: {h['label']}"  # drawn on two lines, flow above event
        c = curve.loc[(curve["flow"] == h["flow"]) & (curve["event_ids"] == h["event_ids"]) & (curve["scale"] != "test")
                      & ~curve["headline"].astype(bool) & curve["estimate"].notna()]
        for _, a in c.iterrows():
            rows.append({"effect": h["effect"], "flow": h["flow"], "event_ids": h["event_ids"], "row_label": row_label, "role": "alternative",
                         "specification": a["specification"], "estimate": a["estimate"], "ci_low": a["ci_low"], "ci_high": a["ci_high"],
                         "n": int(a["n"]), "source_id": "model: reports/tables/specification_curve.csv"})
        rows.append({"effect": h["effect"], "flow": h["flow"], "event_ids": h["event_ids"], "row_label": row_label, "role": "headline",
                     "specification": h["specification"], "estimate": h["estimate"], "ci_low": h["ci_low"], "ci_high": h["ci_high"],
                     "n": int(h["n"]), "source_id": "model: reports/tables/headline_effects.csv"})
    return pd.DataFrame(rows, columns=COLUMNS)


def finding(plotted: pd.DataFrame) -> str:
    """The figure's title: how many effects keep their direction (every estimate below 1, or every one above) over the curve."""
    side = plotted.assign(below=plotted["estimate"] < 1).groupby("effect", sort=False)["below"].agg(["all", "any"])
    kept = int((side["all"] | ~side["any"]).sum())
    return f"{kept} of {len(side)} stated effects keep their direction under every specification; the diamonds are the headlines"


def plot(plotted: pd.DataFrame, title: str):
    """Draw the plotted data of :func:`curve_data`: one row of the chart per effect, top to bottom in table order."""
    effects = list(dict.fromkeys(plotted["effect"]))
    fig, ax = style.figure(height=0.45 * len(effects) + 1.6)
    labels = []
    for i, effect in enumerate(effects):
        d = plotted.loc[plotted["effect"] == effect]
        alt, head = d.loc[d["role"] == "alternative"], d.loc[d["role"] == "headline"]
        y = len(effects) - 1 - i
        labels.append(d["row_label"].iloc[0].replace(": ", ":\n", 1))
        jitter = np.linspace(-0.25, 0.25, len(alt)) if len(alt) > 1 else np.zeros(len(alt))
        ax.errorbar(alt["estimate"], y + jitter, xerr=[alt["estimate"] - alt["ci_low"], alt["ci_high"] - alt["estimate"]], fmt="o",
                    markersize=2.5, color=style.COLORS["band"], elinewidth=0.6, label="Alternative specifications" if i == 0 else None)
        ax.errorbar(head["estimate"], np.full(len(head), y), xerr=[head["estimate"] - head["ci_low"], head["ci_high"] - head["estimate"]],
                    fmt="D", markersize=5, color=style.COLORS["all"], elinewidth=1.4, label="Headline (95% interval)" if i == 0 else None)
    ax.axvline(1.0, color=style.COLORS["event"], linewidth=0.8, linestyle="--")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator([0.01, 0.1, 1, 10, 100]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(range(len(effects)), labels[::-1], fontsize=7)
    ax.set_xlabel("Ratio after / without the event (log)")
    ax.set_ylabel("Effect (ratio, by flow and event)", fontsize=7)
    ax.grid(axis="x", color="#e0e0e0")
    fig.subplots_adjust(left=0.40)
    style.suptitle(fig, title)  # across the figure: the panel starts right of the long effect labels
    ax.legend(loc="lower left", fontsize=7)  # the bottom rows (imports) have no estimate below 0.08
    style.source_line(fig, SOURCE)
    return fig


def curve(headline: pd.DataFrame, curve: pd.DataFrame, title: str):
    """The figure straight from the two result tables (:func:`curve_data`, then :func:`plot`)."""
    return plot(curve_data(headline, curve), title)
