"""The labour-linked product lines of China's imports from North Korea (nkflows trade_products).

One panel per line group (clothing, wigs and watches, raw materials and electricity); each
agency's series is drawn on its own, and a year with no figure is a gap in the line, never
a zero or an interpolation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import style

SOURCE = ("UN Comtrade (China's reports), China's customs (GACC) and KITA figures as reported; "
          "nkflows trade_products (years without a figure are gaps)")
#: Panels: (title, HS lines).
GROUPS = (
    ("Clothing (HS 61, 62)", ["61", "62", "61+62"]),
    ("Wigs and eyelashes, watches (HS 6704, 67, 91)", ["6704", "67", "91"]),
    ("Coal, iron ore, seafood, electricity (HS 2701, 2601, 03, 2716)", ["2701", "2601", "03", "2716"]),
)
_MARKERS = {"COMTRADE": "o", "GACC": "s", "KITA": "^", "KOTRA": "v", "ITC": "D"}
_LINES = {"COMTRADE": "-", "GACC": "--", "KITA": ":", "KOTRA": "-.", "ITC": ":"}


def china_imports(products: pd.DataFrame) -> pd.DataFrame:
    """China's imports from the DPRK (the DPRK's exports as China records them), positive values."""
    p = products.loc[(products["reporter"] == "CHN") & (products["partner"] == "PRK") & (products["flow"] == "import")
                     & (products["value_usd"] > 0)]
    return p.sort_values(["hs_code", "agency", "year"])


def with_gaps(series: pd.DataFrame, years: range) -> pd.DataFrame:
    """One row per year of ``years``; a year without a figure has NaN, so a line breaks there."""
    return series.set_index("year").reindex(list(years))[["value_usd"]].rename_axis("year").reset_index()


def product_lines(products: pd.DataFrame, events: pd.DataFrame, title: str):
    p = china_imports(products)
    years = range(int(p["year"].min()), int(p["year"].max()) + 1) if not p.empty else range(2016, 2025)
    fig, axes = style.panels(len(GROUPS), height=2.6)
    cmap = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a"]
    for ax, (label, codes) in zip(axes, GROUPS):
        drawn = False
        for i, code in enumerate(codes):
            for agency, d in p.loc[p["hs_code"] == code].groupby("agency", sort=True):
                g = with_gaps(d, years)
                desc = d["description"].iloc[0]
                ax.plot(g["year"], g["value_usd"], linestyle=_LINES.get(agency, "-"), marker=_MARKERS.get(agency, "o"),
                        markersize=3.5, color=cmap[i % len(cmap)], label=f"{desc.split(' (')[0]} [{code}], {agency}")
                drawn = True
        style.millions(ax)
        ax.set_ylabel("Million US dollars (log)")
        ax.set_title(label, fontsize=9, loc="left")
        ax.set_xlim(years.start - 0.5, years.stop - 0.5)
        if drawn:
            ax.legend(loc="lower left", fontsize=6.5, ncol=2)
        style.mark_events(ax, events, ["unsc-2371", "unsc-2397", "border-closure-2020"])
    axes[-1].set_xlabel("Year")
    axes[-1].set_xticks(np.arange(years.start, years.stop))
    style.suptitle(fig, title)
    style.source_line(fig, SOURCE)
    return fig


def title(products: pd.DataFrame) -> str:
    p = china_imports(products)
    n_years = p["year"].nunique()
    return (f"China's imports of labour-linked North Korean goods by HS line: {len(p)} annual figures over {n_years} years "
            "(a gap is a year with no figure)")
