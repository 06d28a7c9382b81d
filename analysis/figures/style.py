"""The house style, in one place: colours, fonts, the source line, event markers, labels, alt text, saving.

Every figure of the report goes through :func:`save`, which refuses a figure without a
title, a source line, or an axis label naming its unit (:func:`check`), and returns the
figure's description (:func:`describe`): its title, axes, series and marked events, and
an alt text generated from them.
"""

from __future__ import annotations

import io
import math
import os
import textwrap
from pathlib import Path

import matplotlib

if not os.environ.get("MPLBACKEND"):  # a Jupyter kernel sets its inline backend here; elsewhere, draw off screen
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from matplotlib.transforms import offset_copy  # noqa: E402
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
    "figure.dpi": 120,  # the layout checks measure the figure at the resolution it is saved at
    "savefig.dpi": 120,  # 960 px across an 8-inch figure: sharp on A4 (about 135 px per printed inch) and quick to encode
    "svg.hashsalt": "nkflows",
    "svg.fonttype": "path",
    "text.parse_math": False,  # dollar signs in titles are currency, not mathtext
}


plt.rcParams.update(RC)

#: Words that name a unit (or a unit of time) in an axis label, matched case-insensitively.
#: Every axis label must contain one; a figure with a new unit adds it here.
UNITS = ("persons", "people", "%", "US dollars", "trips", "year", "month", "quarter", "correlation", "ratio", "country code")
EVENT_GID, SOURCE_GID = "nkflows-event", "nkflows-source"
#: A legend longer than this is hard to match to its lines: past it, a figure is drawn as small multiples.
MAX_LEGEND = 8
#: Height of one row of event labels above a panel, in points.
STRIP_ROW = 10


class FigureStyleError(ValueError):
    """A figure that breaks the house style; the message names the figure, the panel and the rule."""


def figure(width: float = 8.0, height: float = 4.8):
    fig, ax = plt.subplots(figsize=(width, height))
    fig.subplots_adjust(left=0.1, right=0.97, top=0.86, bottom=0.17)
    ax.set_axisbelow(True)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years are whole numbers
    return fig, ax


def title(ax, text: str) -> None:
    """The finding, as the figure's title (wrapped to two lines at most)."""
    ax.set_title("\n".join(textwrap.wrap(text, 70)[:2]), loc="left")


def source_line(fig, text: str) -> None:
    width = int(fig.get_figwidth() * 15)  # characters of 7.5-point text that fit the figure's width, with a margin
    fig.text(0.01, 0.01, "\n".join(textwrap.wrap(f"Source: {text}", width)), fontsize=7.5, color="#555555", ha="left", va="bottom",
             gid=SOURCE_GID)


def event_label(events: pd.DataFrame, event_id: str) -> tuple[str, pd.Timestamp] | None:
    """An event's chart label (its ``short_title`` from the events table) and date; None for an unknown id."""
    row = events.loc[events["event_id"] == event_id]
    if row.empty:
        return None
    return str(row["short_title"].iloc[0]), pd.Timestamp(row["date"].iloc[0])


def mark_events(ax, events: pd.DataFrame, event_ids: list[str], *, x_as_year: bool = True) -> None:
    """Dashed vertical lines at the given events, labelled with their ``short_title`` in a strip above the panel.

    Labels never sit on the data: they go in rows above the plotting area, each in the
    lowest row where it does not touch a label already placed (measured by the renderer),
    and the panel's title moves up to make room.
    """
    placed: list[list] = []
    renderer = ax.figure.canvas.get_renderer()
    x0, x1 = ax.get_xlim()
    for event_id in event_ids:
        found = event_label(events, event_id)
        if found is None:
            continue
        name, date = found
        x = date.year + (date.day_of_year - 1) / 365.25 if x_as_year else date
        ax.axvline(x, color=COLORS["event"], linestyle="--", linewidth=0.9, gid=EVENT_GID)
        frac = (x - x0) / (x1 - x0) if x_as_year else 0.0
        ha = "right" if frac > 0.75 else "left"
        text = ax.text(x, 1.0, f"{name} ({date:%b %Y})", transform=ax.get_xaxis_transform(), fontsize=7, color="#444444",
                       va="bottom", ha=ha, gid=EVENT_GID, label=f"_event:{name} ({date:%d %B %Y})", clip_on=False)
        for row in range(12):
            # rows sit a fixed number of points above the panel, so they stay apart however the panel is resized
            text.set_transform(offset_copy(ax.get_xaxis_transform(), fig=ax.figure, y=3 + STRIP_ROW * row, units="points"))
            box = text.get_window_extent(renderer).expanded(1.04, 1.0)
            if len(placed) <= row:
                placed.append([])
            if not any(box.overlaps(other) for other in placed[row]):
                placed[row].append(box)
                break
    rows = sum(1 for r in placed if r)
    if rows:
        ax.set_title(ax.get_title(loc="left"), loc="left", pad=6 + STRIP_ROW * rows)


def gapped(x, y, step: float = 1.0):
    """``x`` and ``y`` with a NaN wherever a period is missing, so a line breaks at a gap instead of joining across it."""
    s = pd.Series(list(y), index=pd.Index(list(x), dtype=float)).sort_index()
    if s.empty:
        return s.index.to_numpy(), s.to_numpy()
    n = int(round((s.index.max() - s.index.min()) / step)) + 1
    full = pd.Index([round(s.index.min() + i * step, 6) for i in range(n)], dtype=float)
    s.index = pd.Index([round(v, 6) for v in s.index], dtype=float)
    s = s[~s.index.duplicated()].reindex(full.union(s.index))
    return s.index.to_numpy(), s.to_numpy(dtype=float)


def drawn_texts(fig) -> list:
    """Every text the figure actually draws: titles, axis and tick labels inside the view, legends, notes, event labels."""
    texts = list(fig.texts) + ([fig._suptitle] if fig._suptitle is not None else [])
    for legend in fig.legends:
        texts += list(legend.get_texts())
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        if ax.axison:
            for axis in (ax.xaxis, ax.yaxis):
                texts += [axis.label, axis.offsetText]
                for tick in axis._update_ticks():
                    texts += [t for t in (tick.label1, tick.label2) if t.get_visible()]
        legend = ax.get_legend()
        if legend is not None:
            texts += list(legend.get_texts())
    return [t for t in dict.fromkeys(texts) if t.get_visible() and t.get_text().strip()]


def text_boxes(fig) -> list[tuple[str, "object"]]:
    """Each drawn text with its box on the rendered canvas (display units)."""
    renderer = fig.canvas.get_renderer()
    return [(" ".join(t.get_text().split()), t.get_window_extent(renderer)) for t in drawn_texts(fig)]


def fit(fig) -> None:
    """Make room for what sits around the panels (titles, event strips, long axis labels): move the panels' edges
    until no text runs off the figure or into the figure's title."""
    fig._nkflows_rendered = False
    for attempt in range(4):
        if attempt == 0:
            fig.draw_without_rendering()  # lays out titles and ticks without painting pixels
        else:  # the panels moved: paint this layout, so that if it fits, the saved image is this render (see png)
            fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        sup = fig._suptitle if fig._suptitle is not None and fig._suptitle.get_text().strip() else None
        boxes = [t.get_window_extent(renderer) for t in drawn_texts(fig) if t is not sup and t.get_gid() != SOURCE_GID]
        if not boxes:
            return
        ceiling = (sup.get_window_extent(renderer).y0 - 3) if sup is not None else fig.bbox.y1 - 2
        over_top = max(b.y1 for b in boxes) - ceiling
        over_left = fig.bbox.x0 + 2 - min(b.x0 for b in boxes)
        if over_top <= 0 and over_left <= 0:
            fig._nkflows_laid_out = True  # the layout just measured is the one that will be saved
            fig._nkflows_rendered = attempt > 0  # ... and its pixels are on the canvas already
            return
        pars = fig.subplotpars
        fig.subplots_adjust(top=pars.top - max(over_top + 4, 0) / fig.bbox.height if over_top > 0 else pars.top,
                            left=pars.left + (over_left + 4) / fig.bbox.width if over_left > 0 else pars.left)


def layout_problems(fig) -> list[str]:
    """Texts that overlap each other or run off the figure (the renderer's boxes), as readable messages."""
    if not getattr(fig, "_nkflows_laid_out", False):
        fig.draw_without_rendering()
    boxes = text_boxes(fig)
    frame = fig.bbox
    problems = []
    for label, box in boxes:
        if box.x0 < frame.x0 - 1 or box.x1 > frame.x1 + 1 or box.y0 < frame.y0 - 1 or box.y1 > frame.y1 + 1:
            problems.append(f"{label!r} runs off the figure")
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1:]:
            inter_w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            inter_h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if inter_w > 1 and inter_h > 1:
                problems.append(f"{a!r} overlaps {b!r}")
    return problems


def _one_line(text: str) -> str:
    return " ".join(text.split())


def figure_title(fig) -> str:
    return _one_line(fig.get_suptitle() or fig.axes[0].get_title(loc="left"))


def xlabel(ax) -> str:
    """The panel's x label, or that of a panel sharing its x axis (a column of panels is labelled once, at the bottom)."""
    own = _one_line(ax.get_xlabel())
    if own:
        return own
    return next((_one_line(o.get_xlabel()) for o in ax.get_shared_x_axes().get_siblings(ax) if o is not ax and o.get_xlabel()), "")


def _panels(fig) -> list:
    return [ax for ax in fig.axes if ax.axison]


def check(fig, stem: str) -> None:
    """Raise :class:`FigureStyleError` unless the figure has a title, a source line and labelled axes with units."""
    problems = []
    if not fig.axes or not figure_title(fig):
        problems.append("has no title (style.title or fig.suptitle): the title states the finding")
    if not any(t.get_gid() == SOURCE_GID and t.get_text() for t in fig.texts):
        problems.append("has no source line (style.source_line)")
    for i, ax in enumerate(_panels(fig), start=1):
        for axis in ("x", "y"):
            label = _one_line(getattr(ax, f"get_{axis}label")())
            if not label and axis == "x":  # panels sharing an x axis are labelled once, under the bottom panel
                label = xlabel(ax)
            if not label:
                problems.append(f"panel {i}: the {axis} axis has no label")
            elif not any(u.lower() in label.lower() for u in UNITS):
                problems.append(f"panel {i}: the {axis} axis label {label!r} names no unit (one of {', '.join(UNITS)}; extend style.UNITS for a new one)")
        legend = ax.get_legend()
        if legend is not None and len(legend.get_texts()) > MAX_LEGEND:
            problems.append(f"panel {i}: the legend has {len(legend.get_texts())} entries (at most {MAX_LEGEND}: draw small multiples instead)")
    for legend in fig.legends:
        if len(legend.get_texts()) > MAX_LEGEND:
            problems.append(f"the figure legend has {len(legend.get_texts())} entries (at most {MAX_LEGEND}: draw small multiples instead)")
    problems += layout_problems(fig)
    if problems:
        raise FigureStyleError(f"figure {stem!r} " + "; ".join(problems))


def _kind(ax) -> str:
    from matplotlib.container import BarContainer, ErrorbarContainer

    kinds = []
    if any(isinstance(c, BarContainer) for c in ax.containers):
        kinds.append("bars")
    styles = {line.get_linestyle() for line in ax.get_lines() if line.get_label() and not line.get_label().startswith("_")}
    if styles - {"None", ""}:
        kinds.append("lines")
    if {"None", ""} & styles:
        kinds.append("points")
    if any(isinstance(c, ErrorbarContainer) for c in ax.containers) or ax.collections:
        kinds.append("ranges")
    return "chart with " + (" and ".join([", ".join(kinds[:-1]), kinds[-1]] if len(kinds) > 1 else kinds) or "no data")


def _num(value: float) -> str:
    r = float(f"{value:.3g}")
    return f"{r:,.0f}" if abs(r) >= 100 else f"{r:g}"


def _range(ax, axis: str) -> str:
    """The span of the data on one axis, as the axis shows it (years as years, money through the axis formatter)."""
    from matplotlib.container import BarContainer

    lo, hi = (ax.dataLim.intervalx if axis == "x" else ax.dataLim.intervaly)
    label = (xlabel(ax) if axis == "x" else ax.get_ylabel()).lower()  # a panel without its own x label shares its neighbour's
    if axis == "x" and any(t in label for t in ("year", "month", "quarter")):
        bars = [p for c in ax.containers if isinstance(c, BarContainer) for p in c.patches]
        half = bars[0].get_width() / 2 if bars else 0.0
        return f"{math.floor(lo + half + 1e-6)} to {math.floor(hi - half + 1e-6)}"
    fmt = getattr(ax, f"{axis}axis").get_major_formatter()
    if type(fmt).__name__ == "FuncFormatter":
        first, last = fmt(float(f'{lo:.3g}'), 0), fmt(float(f'{hi:.3g}'), 0)
        names = [t.get_text() for t in getattr(ax, f"get_{axis}ticklabels")() if t.get_text()]
        if not (first or last) and names:  # named rows (set_yticks with labels) that the formatter cannot place: list the ends
            return f"{len(names)} rows, {names[-1]} (top) to {names[0]} (bottom)" if axis == "y" else f"{len(names)} categories, {names[0]} to {names[-1]}"
        return f"{first} to {last}"
    return f"{_num(lo)} to {_num(hi)}"


def describe(fig) -> dict:
    """The figure as data: title, source, and per panel the axes, series and marked events; plus an alt text."""
    title = figure_title(fig)
    source = next((_one_line(t.get_text()) for t in fig.texts if t.get_gid() == SOURCE_GID), "")
    panels, sentences = [], []
    multi = len(_panels(fig)) > 1
    for i, ax in enumerate(_panels(fig), start=1):
        legend = ax.get_legend()
        p = {
            "title": _one_line(ax.get_title(loc="left")) if multi else "",
            "kind": _kind(ax),
            "x": {"label": xlabel(ax), "scale": ax.get_xscale(), "range": _range(ax, "x")},
            "y": {"label": _one_line(ax.get_ylabel()), "scale": ax.get_yscale(), "range": _range(ax, "y")},
            "series": [t.get_text() for t in legend.get_texts()] if legend else [],
            "events": [t.get_label().removeprefix("_event:") for t in ax.texts if t.get_gid() == EVENT_GID],
        }
        panels.append(p)
        log = lambda a: ", log scale" if p[a]["scale"] == "log" and "log" not in p[a]["label"] else ""  # noqa: E731
        panel = (f"Panel {i}, {p['title']}: " if p["title"] else f"Panel {i}: ") if multi else ""
        text = (f"{panel}{p['kind']}. "
                f"Vertical axis: {p['y']['label']}{log('y')}, data from {p['y']['range']}. "
                f"Horizontal axis: {p['x']['label']}{log('x')}, {p['x']['range']}.")
        if p["series"]:
            text += f" Series: {'; '.join(p['series'])}."
        if p["events"]:
            text += f" Dashed lines mark: {'; '.join(p['events'])}."
        sentences.append(text[0].upper() + text[1:])
    alt = " ".join([f"{title}.", *sentences, source if source.endswith(".") else f"{source}."]).strip()
    return {"title": title, "source": source, "panels": panels, "alt": alt}


def save(fig, directory: Path, stem: str, formats: tuple[str, ...] = ("png",)) -> dict[str, Path]:
    """Check the figure (:func:`check`), write it once per format needed (deterministic: no timestamps); return the paths.

    The documents need one format: PNG, embedded in the HTML annex and laid out in the PDFs
    (the reader's HTML draws its charts interactively from the figures' data).
    """
    from ..publish import write_atomic

    fit(fig)
    rendered = getattr(fig, "_nkflows_rendered", False)  # fit's last layout was painted, and check() only reads it
    check(fig, stem)
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for fmt in formats:
        path = directory / f"{stem}.{fmt}"
        write_atomic(path, png(fig, rendered) if fmt == "png" else _savefig(fig, fmt))
        out[fmt] = path
    plt.close(fig)
    return out


def _savefig(fig, fmt: str) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata={"Date": None, "Creator": "nkflows"} if fmt == "svg" else None)
    return buf.getvalue()


def png(fig, rendered: bool = False) -> bytes:
    """The figure as an opaque RGB PNG at ``savefig.dpi``: no alpha channel (the background is white), so the PDF
    writer embeds it as one image instead of splitting off and re-encoding a transparency mask.

    ``rendered``: the canvas already holds this figure painted at ``savefig.dpi`` (:func:`fit`
    painted the layout it checked last), so its pixels are taken instead of painting again;
    the bytes are the same either way."""
    from PIL import Image, PngImagePlugin

    dpi = plt.rcParams["savefig.dpi"]
    width, height = int(fig.get_figwidth() * dpi), int(fig.get_figheight() * dpi)  # as the Agg renderer sizes its canvas
    if rendered and fig.dpi == dpi:
        pixels = fig.canvas.buffer_rgba()  # fit() painted the layout it checked last (measuring marks the figure stale, so ask the caller)
    else:
        buf = io.BytesIO()
        fig.savefig(buf, format="rgba", dpi=dpi)
        pixels = buf.getbuffer()
    if pixels.nbytes != width * height * 4:
        raise RuntimeError(f"the rendered figure is not {width} x {height} pixels")
    image = Image.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1).convert("RGB")
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "nkflows")
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, dpi=(dpi, dpi))
    return out.getvalue()


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
    ax.yaxis.set_minor_formatter(NullFormatter())


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
    fig.suptitle("\n".join(textwrap.wrap(text, 72)[:2]), x=0.01, ha="left", fontsize=12, fontweight="bold")


def log_counts(ax) -> None:
    """A log-scale count axis labelled with plain numbers (1,000 rather than 10^3)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,g}")
    ax.yaxis.set_minor_formatter(NullFormatter())
