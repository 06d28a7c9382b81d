"""The house style: every figure states its finding, labels its axes with units, names its source, marks events, has alt text."""

from __future__ import annotations

import html as htmllib
import json
import re

import pandas as pd
import pytest

from analysis.figures import style

EVENTS = pd.DataFrame({"event_id": ["closure"], "date": ["2020-01-22"], "title": ["Border closes (COVID-19)"]})


def _figure(ylabel: str = "Arrivals (persons per year)", source: bool = True):
    fig, ax = style.figure()
    ax.bar([2018, 2019, 2020, 2021], [1137, 1047, 229, 63], label="All arrivals")
    ax.set_xlabel("Year of arrival")
    ax.set_ylabel(ylabel)
    style.title(ax, "Arrivals fell after the border closed")
    style.mark_events(ax, EVENTS, ["closure"])
    ax.legend()
    if source:
        style.source_line(fig, "a test table")
    return fig


def test_describe_reads_the_figure():
    meta = style.describe(_figure())
    assert meta["title"] == "Arrivals fell after the border closed"
    (panel,) = meta["panels"]
    assert panel["x"] == {"label": "Year of arrival", "scale": "linear", "range": "2018 to 2021"}
    assert panel["y"]["range"] == "0 to 1,140"
    assert panel["series"] == ["All arrivals"] and panel["events"] == ["Border closes (22 January 2020)"]
    assert meta["alt"] == (
        "Arrivals fell after the border closed. Chart with bars. Vertical axis: Arrivals (persons per year), data from 0 to 1,140. "
        "Horizontal axis: Year of arrival, 2018 to 2021. Series: All arrivals. Dashed lines mark: Border closes (22 January 2020). "
        "Source: a test table."
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"ylabel": "Arrivals"}, "the y axis label 'Arrivals' names no unit"), ({"ylabel": ""}, "the y axis has no label"),
     ({"source": False}, "has no source line")],
)
def test_save_refuses_a_figure_that_breaks_the_style(tmp_path, kwargs, message):
    with pytest.raises(style.FigureStyleError, match=re.escape(message)):
        style.save(_figure(**kwargs), tmp_path, "bad")
    assert not list(tmp_path.iterdir())


def test_every_report_figure_follows_the_style(report):
    """Walk the registry the report build writes: title, units on both axes of every panel, source, events, alt text."""
    path, out, _ = report
    registry = json.loads((out / "figures" / "figures.json").read_text(encoding="utf-8"))
    assert len(registry) >= 7
    page = path.read_text(encoding="utf-8")
    alts = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]*)"', page)
    assert len(alts) == len(registry)
    for stem, fig in registry.items():
        assert fig["title"] and fig["source"].startswith("Source: "), stem
        assert any(p["events"] for p in fig["panels"]), f"{stem} marks no event"
        for p in fig["panels"]:
            for axis in ("x", "y"):
                label = p[axis]["label"]
                assert any(u.lower() in label.lower() for u in style.UNITS), f"{stem}: {axis} label {label!r} names no unit"
            assert p["y"]["label"] in fig["alt"] and p["x"]["label"] in fig["alt"]
            assert all(e in fig["alt"] for e in p["events"])
        assert fig["alt"].startswith(fig["title"] + ".")
        assert htmllib.escape(fig["alt"]) in [htmllib.escape(htmllib.unescape(a)) for a in alts], stem
    money = registry["trade_annual_china"]["panels"][0]["y"]
    assert money == {"label": "Million US dollars (log scale)", "scale": "log", "range": money["range"]}
    assert registry["defector_arrivals_by_sex"]["panels"][0]["x"]["range"] == "2002 to 2025"
