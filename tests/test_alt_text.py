"""Alt text of a figure with untitled panels sharing one year axis (the shape of the breaks and forecast figures)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from analysis.figures import style  # noqa: E402


def test_untitled_panels_and_a_shared_year_axis():
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True)
    years = list(range(2002, 2026))
    top.plot(years, [1000 + y for y in years], label="Arrivals")
    bottom.plot(years, [5 * y for y in years], label="Trade")
    top.set_ylabel("Persons per year")
    bottom.set_ylabel("Million US dollars")
    bottom.set_xlabel("Year")  # the top panel has no x label of its own
    style.title(top, "Two series")
    style.source_line(fig, "a test table")
    meta = style.describe(fig)
    plt.close(fig)
    assert [p["x"]["range"] for p in meta["panels"]] == ["2002 to 2025", "2002 to 2025"]  # not "2,000 to 2,020"
    assert "Panel 2: chart with lines." in meta["alt"]  # the untitled panel
    assert "Panel 2, :" not in meta["alt"]
