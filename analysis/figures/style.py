"""The house style, in one place: colours, fonts, the source line, event markers, saving."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

COLORS = {"female": "#b2182b", "male": "#2166ac", "all": "#333333", "model": "#4d4d4d", "band": "#bdbdbd", "event": "#7f7f7f"}
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#e0e0e0",
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "svg.hashsalt": "nkflows",
    "svg.fonttype": "path",
    "text.parse_math": False,  # dollar signs in titles are currency, not mathtext
}


plt.rcParams.update(RC)


def figure(width: float = 8.0, height: float = 4.8):
    fig, ax = plt.subplots(figsize=(width, height))
    fig.subplots_adjust(left=0.1, right=0.97, top=0.86, bottom=0.17)
    ax.set_axisbelow(True)
    return fig, ax


def title(ax, text: str) -> None:
    """The finding, as the figure's title (wrapped to two lines at most)."""
    ax.set_title("\n".join(textwrap.wrap(text, 70)[:2]), loc="left")


def source_line(fig, text: str) -> None:
    fig.text(0.01, 0.01, "\n".join(textwrap.wrap(f"Source: {text}", 150)), fontsize=7.5, color="#555555", ha="left", va="bottom")


def mark_events(ax, events: pd.DataFrame, event_ids: list[str], *, x_as_year: bool = True) -> None:
    """Dashed vertical lines at the given events, labelled with their titles (from the events table)."""
    x0, x1 = ax.get_xlim()
    for i, event_id in enumerate(event_ids):
        row = events.loc[events["event_id"] == event_id]
        if row.empty:
            continue
        date = pd.Timestamp(row["date"].iloc[0])
        x = date.year + (date.day_of_year - 1) / 365.25 if x_as_year else date
        ax.axvline(x, color=COLORS["event"], linestyle="--", linewidth=0.9)
        name = row["title"].iloc[0].split(" (")[0].split(";")[0].split(":")[0]
        label = textwrap.shorten(name, 30, placeholder="…") + f" ({date:%b %Y})"
        right_half = (x - x0) / (x1 - x0) > 0.6 if x_as_year else False
        ax.text(x, 1 - 0.045 * i - 0.01, (label + " ") if right_half else (" " + label), transform=ax.get_xaxis_transform(),
                fontsize=7, color="#444444", va="top", ha="right" if right_half else "left",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.5})


def save(fig, directory: Path, stem: str) -> dict[str, Path]:
    """Write SVG and PNG (deterministic: no timestamps in metadata); return their paths."""
    from ..publish import write_atomic

    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for fmt, meta in (("svg", {"Date": None, "Creator": "nkflows"}), ("png", {"Software": "nkflows"})):
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata=meta)
        path = directory / f"{stem}.{fmt}"
        write_atomic(path, buf.getvalue())
        out[fmt] = path
    plt.close(fig)
    return out


def decimal_year(periods) -> "pd.Index":
    """Period labels ('2019', '2019Q3', '2019-07') as decimal years: a year at its number, shorter periods at their midpoint."""
    out = []
    for label in periods:
        p = pd.Period(str(label))
        if p.freqstr.startswith("Y"):
            out.append(float(p.year))
        else:
            mid = p.start_time + (p.end_time - p.start_time) / 2
            out.append(mid.year + (mid.day_of_year - 1) / 365.25)
    return pd.Index(out, dtype=float)


def millions(ax, log: bool = True) -> None:
    """US dollars shown in millions (log scale by default)."""
    if log:
        ax.set_yscale("log")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v / 1e6:,g}")


def panels(n: int, width: float = 8.0, height: float = 3.0, sharex: bool = True):
    """A column of ``n`` panels in the house style, with room for a title and a source line."""
    fig, axes = plt.subplots(n, 1, figsize=(width, height * n + 1.0), sharex=sharex, squeeze=False)
    axes = list(axes[:, 0])
    fig.subplots_adjust(left=0.12, right=0.97, top=1 - 0.75 / (height * n + 1.0), bottom=0.55 / (height * n + 1.0) + 0.04, hspace=0.25)
    for ax in axes:
        ax.set_axisbelow(True)
    return fig, axes


def suptitle(fig, text: str) -> None:
    """The finding, as the title of a figure with several panels."""
    fig.suptitle("\n".join(textwrap.wrap(text, 80)[:2]), x=0.01, ha="left", fontsize=12, fontweight="bold")


def log_counts(ax) -> None:
    """A log-scale count axis labelled with plain numbers (1,000 rather than 10^3)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,g}")
