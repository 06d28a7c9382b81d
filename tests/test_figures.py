"""The house style: every figure states its finding, labels its axes with units, names its source, marks events by their
short title, has alt text; and the honesty rules: gaps stay gaps, no text overlaps or is cut off, at most eight legend
entries, counterfactual paths stop at their horizon, plotted data in plain decimal notation beside each figure."""

from __future__ import annotations

import html as htmllib
import json
import re

import pandas as pd
import pytest

import matplotlib.pyplot as plt

from analysis.figures import interactive, its, style
from analysis.figures.registry import FIGURES, Context, Figure
from analysis.paths import ROOT

EVENTS = pd.DataFrame({"event_id": ["closure"], "date": ["2020-01-22"], "title": ["The border closes to nearly everyone over COVID-19"],
                       "short_title": ["Border closes"]})


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


TIME_WORDS = ("year", "quarter", "month", "date")


def test_only_a_figure_without_a_time_axis_is_exempt_from_event_marks():
    """The exemption is explicit in the registry entry: a new figure marks events unless it says it has no time axis."""
    assert Figure.__dataclass_fields__["time_axis"].default is True
    assert {stem for stem, f in FIGURES.items() if not f.time_axis} == {"specification_curve"}


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
    assert sorted(registry) == sorted(FIGURES)
    pages = path.read_text(encoding="utf-8") + (out / "methods.html").read_text(encoding="utf-8")
    alts = re.findall(r'<img[^>]* src="data:image/png;base64,[^"]+" alt="([^"]*)"', pages)
    assert len(alts) == len(registry)
    for stem, fig in registry.items():
        assert fig["title"] and fig["source"].startswith("Source: "), stem
        if FIGURES[stem].time_axis:
            assert any(p["events"] for p in fig["panels"]), f"{stem} marks no event"
        else:  # exempt from the event marks only where no axis is time
            assert not any(p["events"] for p in fig["panels"]), stem
            assert not any(t in p[a]["label"].lower() for p in fig["panels"] for a in ("x", "y") for t in TIME_WORDS), stem
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
    # every event is labelled by its short title from the events table, never by a clipped long title
    shorts = set(pd.read_csv(ROOT / "data" / "processed" / "events.csv")["short_title"])
    labels = {e.rsplit(" (", 1)[0] for fig in registry.values() for p in fig["panels"] for e in p["events"]}
    assert labels and labels <= shorts, labels - shorts
    assert not any("…" in fig["alt"] for fig in registry.values())


# ---------------------------------------------------------------------------------------------- honesty rules

@pytest.fixture(scope="module")
def ctx(fitted):
    """The figures' context from the session's fit of every model (conftest), on copies of its tables."""
    from analysis.report.build import readings

    tables = {name: t.copy() for name, t in fitted["tables"].items()}
    results = {name: t.copy() for name, t in fitted["results"].items()}
    return Context(tables, results, readings(tables, results))


def _draw(ctx, stem):
    spec = FIGURES[stem]
    frame = spec.data(ctx)
    fig = spec.draw(ctx, frame)
    style.fit(fig)
    return fig, frame


def _line(fig, label):
    return next(line for ax in fig.axes for line in ax.get_lines() if line.get_label() == label)


def test_gapped_breaks_a_line_at_each_missing_year():
    x, y = style.gapped([2003, 2006, 2007, 2002], [3.0, 6.0, 7.0, 2.0])
    assert list(x) == [2002, 2003, 2004, 2005, 2006, 2007]
    assert [v if v == v else None for v in y] == [2.0, 3.0, None, None, 6.0, 7.0]


@pytest.mark.parametrize(("stem", "label", "missing"), [
    # China's own total now covers 2000-2025 (GACC, else KITA's, KOTRA's or MOFCOM's figure); KOTRA's estimate still has gaps
    ("trade_annual_china", "KOTRA estimate (adds crude oil)", [2003, 2004, 2009, 2011, 2012, 2013, 2014, 2018]),
    ("labor_workers", "All entries", None),
])
def test_report_lines_do_not_cross_missing_years(ctx, stem, label, missing):
    """China's customs total has no figure for 2004-05 and 2016, and the FSB entries skip years: the lines must break there."""
    fig, frame = _draw(ctx, stem)
    line = _line(fig, label)
    xs, ys = line.get_xdata(), line.get_ydata()
    present = {int(x) for x, y in zip(xs, ys) if y == y}
    plotted_years = set(frame.loc[frame["series"] == label, "x"].astype(int))
    assert present == plotted_years  # nothing drawn that is not in the plotted data
    gaps = [y for y in range(min(present), max(present) + 1) if y not in present]
    if missing is not None:
        assert gaps == missing
    assert gaps, "the test needs a series with a gap"
    for year in gaps:  # a NaN point sits in each gap, so matplotlib lifts the pen
        assert any(int(x) == year and y != y for x, y in zip(xs, ys)), year
    chart = interactive.figure_json(stem, frame, "t", "y")
    trace = next(t for t in chart["data"] if t["name"] == label)
    assert [x for x, y in zip(trace["x"], trace["y"]) if y is None] == [float(y) for y in gaps]
    assert all(t.get("connectgaps") is False for t in chart["data"] if t.get("mode") == "lines+markers")


def test_no_text_overlaps_or_runs_off_any_figure(ctx):
    for stem in FIGURES:
        fig, _ = _draw(ctx, stem)
        assert style.layout_problems(fig) == [], stem
        plt.close(fig)


def test_the_layout_check_sees_an_overlap_and_a_clipped_label():
    fig, ax = style.figure()
    ax.plot([0, 1], [0, 1])
    ax.text(0.5, 0.5, "first label", transform=ax.transAxes)
    ax.text(0.52, 0.5, "second label", transform=ax.transAxes)
    fig.text(0.97, 0.5, "a note that runs off the right edge")
    problems = style.layout_problems(fig)
    assert "'first label' overlaps 'second label'" in problems
    assert "'a note that runs off the right edge' runs off the figure" in problems


def test_at_most_eight_legend_entries(ctx, tmp_path):
    for stem in FIGURES:
        fig, _ = _draw(ctx, stem)
        legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
        assert all(len(leg.get_texts()) <= style.MAX_LEGEND for leg in legends), stem
        plt.close(fig)
    fig = _figure()
    ax = fig.axes[0]
    for i in range(9):
        ax.plot([2018, 2021], [i, i], label=f"series {i}")
    ax.legend()
    with pytest.raises(style.FigureStyleError, match="the legend has 10 entries"):
        style.save(fig, tmp_path, "crowded")


def test_workers_are_small_multiples_by_host(ctx):
    fig, frame = _draw(ctx, "labor_workers")
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()]
    assert {"Russia", "China", "Kuwait"} <= set(titles) and len(titles) >= 6
    assert frame["panel"].nunique() == len(titles)


def test_counterfactual_paths_stop_at_their_horizon(ctx):
    events = ctx.tables["events"]
    for stem in ("its_annual", "its_quarterly"):
        fig, _ = _draw(ctx, stem)
        paths = [line for line in fig.axes[0].get_lines() if line.get_label().startswith("Without ")]
        assert paths, stem
        for line in paths:
            assert f"drawn {its.HORIZON_YEARS} years on" in line.get_label()
            name = line.get_label().removeprefix("Without ").split(" (drawn")[0]
            event_id = events.loc[events["short_title"] == name, "event_id"].iloc[0]
            assert max(line.get_xdata()) <= its.counterfactual_end(events, event_id) + 1e-9, (stem, name)
        plt.close(fig)
    # the result table itself stops each path at the horizon the specification file states (8 quarters here)
    paths = ctx.results["its_paths"]
    q = paths.loc[(paths["model"] == "its_quarterly") & (paths["scenario"] == "without border-closure-2020")]
    assert 2021.9 < style.decimal_year(q["period"]).max() <= its.counterfactual_end(events, "border-closure-2020")


def test_plotted_data_sits_beside_each_figure_in_plain_notation(report):
    _, out, _ = report
    for stem in FIGURES:
        text = (out / "figures" / f"{stem}.csv").read_text(encoding="utf-8")
        assert "source_id" in text.splitlines()[0], stem
        assert not re.search(r"\d[eE][+-]\d", text), stem
    for csv in (out / "tables").glob("*.csv"):
        assert not re.search(r"(?<![A-Za-z])\d+(\.\d+)?[eE][+-]\d", csv.read_text(encoding="utf-8")), csv.name
    arrivals = pd.read_csv(out / "figures" / "defector_arrivals_by_sex.csv")
    women_2009 = arrivals.loc[(arrivals["series"] == "Women") & (arrivals["x"] == 2009)].iloc[0]
    assert women_2009["source_id"] and women_2009["url"].startswith("http") and women_2009["reported_as"]
    # the specification curve: its plotted rows (headline diamonds and alternatives), cited in the methods annex like the rest
    curve = pd.read_csv(out / "figures" / "specification_curve.csv")
    head = pd.read_csv(out / "tables" / "headline_effects.csv")
    marks = curve.loc[curve["role"] == "headline"]
    assert marks["effect"].tolist() == head["effect"].tolist() and marks["estimate"].tolist() == pytest.approx(head["estimate"].tolist(), rel=1e-4)
    alternatives = curve.loc[curve["role"] == "alternative"]
    assert len(alternatives) == int((head["n_specifications"] - 1).sum())
    assert set(alternatives["source_id"]) == {"model: reports/tables/specification_curve.csv"}
    methods = (out / "methods.html").read_text(encoding="utf-8")
    assert 'href="figures/specification_curve.csv"' in methods and FIGURES["specification_curve"].citation in methods
    trade = (out / "figures" / "trade_annual_china.csv").read_text(encoding="utf-8")
    assert ",2013,6544700000," in trade  # the 2013 peak (KITA's compilation, $6,544.7 million), as a plain number


def test_china_customs_selection_is_written_once_and_figures_need_no_model_code():
    """China's own trade figures are selected in analysis/selectors.py only; the trade figures use it without importing
    the models (statsmodels)."""
    import ast
    import subprocess
    import sys

    defined = {}
    for path in sorted((ROOT / "analysis").rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names = [node.name] if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else [
                t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
            for name in names:
                if name in ("china_customs_rows", "china_customs", "CHINA_OWN"):
                    defined.setdefault(name, []).append(path.relative_to(ROOT).as_posix())
    assert defined == {name: ["analysis/selectors.py"] for name in ("CHINA_OWN", "china_customs_rows", "china_customs")}
    code = "import sys, analysis.figures.trade; print(sorted(m for m in ('statsmodels', 'analysis.models') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_a_painted_layout_is_saved_without_painting_again():
    """png() may take the pixels fit() painted; the bytes must be those of a fresh render (a stale canvas would not be)."""
    fig, ax = plt.subplots(figsize=(4, 3), dpi=plt.rcParams["savefig.dpi"])
    ax.plot([2019, 2020, 2021], [3.0, 1.0, 2.0])
    ax.set_title("a title long enough to need room", loc="left")
    fig.canvas.draw()
    assert style.png(fig, rendered=True) == style.png(fig)
    plt.close(fig)
