"""Interactive charts for the HTML report, drawn by plotly.js from a figure's plotted data.

Each chart is a ``<div>`` and a call to ``Plotly.newPlot`` with a JSON figure built here
from the plotted-data frame (:mod:`.points`): hover shows the value with its unit, the
source that printed it, the figure as printed (``reported_as``), the page's address and,
where sources disagree, who printed what. Clicking a point opens its source page. The
legend toggles series; the time axis zooms (drag) and resets (double click).

plotly.js comes from the plotly Python package (``plotly.min.js``) and is inlined once per
page (:func:`script`), so the report works offline as one file. Element ids are the figure
stems, so two builds give the same bytes.
"""

from __future__ import annotations

import html
import json
import math
from functools import lru_cache

import pandas as pd

PALETTE = ["#b2182b", "#2166ac", "#333333", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e"]


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js the plotly package ships (``package_data/plotly.min.js``), read once per process."""
    from importlib.resources import files

    return (files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


def script() -> str:
    """plotly.js and the click-to-open-source handler, as one inline ``<script>`` for the page."""
    return ("<script>" + plotly_js().replace("</script", "<\\/script") + "</script>\n<script>"
            "function nkflowsChart(id, fig){var el=document.getElementById(id);"
            "Plotly.newPlot(el, fig.data, fig.layout, {displaylogo:false, responsive:true, modeBarButtonsToRemove:['select2d','lasso2d']});"
            "el.on('plotly_click', function(ev){var p=ev.points[0]; var url=p && p.customdata && p.customdata[4];"
            "if(url){window.open(url,'_blank','noopener');}});}</script>\n")


def _num(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:,.2f} bn"
    if a >= 1e6:
        return f"{v / 1e6:,.1f} m"
    return f"{v:,.0f}" if a >= 100 or float(v).is_integer() else f"{v:,.3g}"


def _value_text(r) -> str:
    lo, hi = r.value_low, r.value_high
    if pd.notna(r.value) and pd.notna(lo) and pd.notna(hi):
        return f"{_num(r.value)} (range {_num(lo)} to {_num(hi)})"
    if pd.isna(r.value) and pd.notna(lo) and pd.notna(hi):
        return f"{_num(lo)} to {_num(hi)}"
    return _num(r.value)


def _custom(r) -> list[str]:
    source = r.publisher or (r.source_id if str(r.source_id).startswith("model") else r.source_id)
    return [_value_text(r), str(r.unit), f"{source} [{r.source_id}]" if r.publisher else str(source),
            str(r.reported_as or "not a printed figure (derived or modelled)"), str(r.url or ""),
            str(r.sources_disagree or "")]


HOVER = ("<b>%{customdata[0]} %{customdata[1]}</b><br>%{x}<br>Source: %{customdata[2]}<br>As printed: %{customdata[3]}"
         "<br>%{customdata[4]}<br>%{customdata[5]}<extra>%{fullData.name}</extra>")


def _gapped(d: pd.DataFrame, annual: bool) -> pd.DataFrame:
    """Insert an empty row at each missing year, so the line breaks there (nothing is drawn across a gap)."""
    if not annual or d.empty:
        return d
    years = d["x"].astype(float)
    full = range(int(years.min()), int(years.max()) + 1)
    missing = [y for y in full if y not in set(years.round().astype(int))]
    if not missing:
        return d
    blank = pd.DataFrame({"x": [float(y) for y in missing]})
    return pd.concat([d, blank], ignore_index=True).sort_values("x", kind="stable")


def figure_json(stem: str, plotted: pd.DataFrame, title: str, y_title: str, *, log_y: bool = False, annual_x: bool = True,
                barmode: str = "stack", events: list[tuple[float, str]] = ()) -> dict:
    """The plotly figure (data and layout) for one plotted-data frame; panels become stacked subplots.

    ``events`` are (decimal year, label) pairs, drawn as dashed lines labelled with the event's short title.
    """
    panels = [p for p in dict.fromkeys(plotted["panel"].fillna("").tolist())]
    n = max(len(panels), 1)
    data = []
    colours: dict[str, str] = {}
    for i, panel in enumerate(panels):
        axis = "" if i == 0 else str(i + 1)
        for series, d in plotted.loc[plotted["panel"].fillna("") == panel].groupby("series", sort=False):
            colour = colours.setdefault(series, PALETTE[len(colours) % len(PALETTE)])
            mark = d["mark"].iloc[0] or "line"
            d = d.sort_values("x", kind="stable")
            if mark == "line":
                d = _gapped(d, annual_x)
            custom = [_custom(r) if pd.notna(getattr(r, "unit", None)) and r.unit != "" else [""] * 6 for r in d.itertuples()]
            y = [None if pd.isna(v) else float(v) for v in d["value"].fillna(d[["value_low", "value_high"]].mean(axis=1))]
            trace = {"name": series, "legendgroup": series, "showlegend": i == 0 or series not in {t["name"] for t in data},
                     "x": [None if pd.isna(v) else float(v) for v in d["x"]], "y": y, "customdata": custom, "hovertemplate": HOVER,
                     "xaxis": f"x{axis}", "yaxis": f"y{axis}", "marker": {"color": colour}}
            if mark == "bar":
                trace.update(type="bar")
            elif mark == "point":
                trace.update(type="scatter", mode="markers")
            else:
                trace.update(type="scatter", mode="lines+markers", connectgaps=False, line={"color": colour, "width": 2})
            if mark != "bar" and d["value_low"].notna().any():
                lo = (d["value"].fillna(d["value_low"]) - d["value_low"]).fillna(0)
                hi = (d["value_high"] - d["value"].fillna(d["value_high"])).fillna(0)
                trace["error_y"] = {"type": "data", "symmetric": False, "array": [float(v) for v in hi],
                                    "arrayminus": [float(v) for v in lo], "color": colour, "thickness": 1}
            data.append(trace)
    layout = {
        "title": {"text": html.escape(title), "x": 0, "xanchor": "left", "font": {"size": 15}},
        "barmode": barmode, "hovermode": "closest", "height": 420 if n == 1 else 150 * n + 180, "margin": {"l": 70, "r": 20, "t": 70, "b": 50},
        "legend": {"orientation": "h", "y": -0.12, "x": 0}, "font": {"family": "DejaVu Sans, Helvetica, Arial, sans-serif", "size": 12},
        "hoverlabel": {"align": "left"}, "dragmode": "zoom", "plot_bgcolor": "white",
    }
    gap = 0.06
    h = (1 - gap * (n - 1)) / n
    for i, panel in enumerate(panels):
        axis = "" if i == 0 else str(i + 1)
        top = 1 - i * (h + gap)
        layout[f"xaxis{axis}"] = {"domain": [0, 1], "anchor": f"y{axis}", "showgrid": False, "zeroline": False,
                                  **({"matches": "x"} if i else {}), "tickformat": "d" if annual_x else None}
        layout[f"yaxis{axis}"] = {"domain": [top - h, top], "anchor": f"x{axis}", "title": {"text": y_title if n == 1 else panel},
                                  "type": "log" if log_y else "linear", "fixedrange": True, **({"dtick": 1} if log_y else {}), "gridcolor": "#e5e5e5", "rangemode": "tozero"}
    layout["shapes"] = [{"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                         "line": {"color": "#7f7f7f", "width": 1, "dash": "dash"}} for x, _ in events]
    layout["annotations"] = [{"x": x, "xref": "x", "yref": "paper", "y": 1.0 + 0.06 * (i % 3), "text": html.escape(label),
                              "showarrow": False, "xanchor": "left", "yanchor": "bottom", "font": {"size": 10, "color": "#444444"}}
                             for i, (x, label) in enumerate(events)]
    if events:
        layout["margin"]["t"] = 110
    return {"data": data, "layout": layout}


def chart(stem: str, fig: dict) -> str:
    """The chart's container and the call that draws it (the page includes :func:`script` once, before)."""
    payload = json.dumps(fig, separators=(",", ":"), ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
    return (f'<div class="chart" id="chart-{stem}" data-stem="{stem}"></div>\n'
            f'<script>nkflowsChart("chart-{stem}", {payload});</script>')
