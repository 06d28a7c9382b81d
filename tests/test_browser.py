"""The report in a real browser: headless Chromium opens report.html offline and finds no error; hovering a point of
the interactive arrivals chart shows who printed that figure, with the page's address, and fetches nothing.

Chromium comes from the system (Debian's ``chromium`` package, which ``make test`` installs
through ``make system-packages`` when it runs as root); Playwright drives it and never
downloads a browser of its own. Without Chromium the test is skipped and says why.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from analysis.paths import REPORTS

#: Flags for a quiet, offline, throwaway browser (``headless`` and a fresh ``--user-data-dir`` come from the launch call).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
SECTIONS = ["Key findings", "Defectors reaching South Korea", "Trade with China", "Workers sent abroad",
            "What workers abroad earn the state", "How to cite"]


def chromium() -> str | None:
    """$NKFLOWS_CHROMIUM, else Debian's /usr/bin/chromium, else chromium or chromium-browser on the PATH."""
    for candidate in (os.environ.get("NKFLOWS_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    executable = chromium()
    if executable is None:
        pytest.skip("Chromium is not installed: on Debian run `make system-packages` as root (apt-get install chromium), "
                    "or set NKFLOWS_CHROMIUM to a Chromium executable")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"), executable_path=executable, headless=True, args=FLAGS,
            viewport=VIEWPORT, offline=True,
        )
        try:
            yield context
        finally:
            context.close()


def inspect(context, url: str, screenshot: Path | None = None) -> dict:
    """Open ``url``; return the console errors, uncaught exceptions, requests that left the file, and images that did not load."""
    page = context.new_page()
    found = {"console": [], "exceptions": [], "requests": [], "broken_images": []}
    page.on("console", lambda m: found["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: found["exceptions"].append(str(e)))
    page.on("request", lambda r: found["requests"].append(r.url) if not r.url.startswith(("data:", url)) else None)
    page.goto(url, wait_until="load")
    found["broken_images"] = page.evaluate(
        "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt || i.src.slice(0, 60))")
    found["images"] = page.evaluate("() => [...document.images].map(i => [i.naturalWidth, i.alt])")
    found["headings"] = page.evaluate("() => [...document.querySelectorAll('h2')].map(h => h.textContent.trim())")
    found["charts"] = page.evaluate("() => [...document.querySelectorAll('.chart .main-svg')].map(s => s.closest('.chart').dataset.stem)"
                                    ".filter((v, i, a) => a.indexOf(v) === i)")
    found["title"] = page.title()
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot))
    page.close()
    return found


def test_report_opens_offline_without_errors(browser, report):
    path, out, _ = report
    shot = REPORTS / "screenshot.png"
    found = inspect(browser, path.resolve().as_uri(), screenshot=shot)
    assert found["console"] == [] and found["exceptions"] == []
    assert found["requests"] == [], "the report must open offline: nothing but the file and its data: URLs"
    assert found["broken_images"] == []
    registry = json.loads((out / "figures" / "figures.json").read_text(encoding="utf-8"))
    assert len(found["images"]) == found["headings"].index("How to cite") - found["headings"].index("Key findings") - 1  # one per section
    assert len(found["charts"]) >= 4  # the interactive ones also have their static image, for print
    assert set(found["charts"]) <= set(registry)
    assert all(width > 500 and len(alt) > 80 for width, alt in found["images"])
    assert found["title"] == "nkflows report: North Korea's cross-border flows"
    order = [found["headings"].index(s) for s in SECTIONS]
    assert order == sorted(order), found["headings"]
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (VIEWPORT["width"], VIEWPORT["height"])
        assert len(image.convert("L").resize((64, 40)).getcolors(4096)) > 10  # a page, not a blank screen


def test_the_check_sees_errors_and_broken_images(browser, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="missing.png" alt="gone"><img src="https://example.org/x.png" alt="remote">'
                   "<script>console.error('boom'); undefinedFunction();</script></body></html>", encoding="utf-8")
    found = inspect(browser, bad.as_uri())
    assert "boom" in found["console"]
    assert any("undefinedFunction" in e for e in found["exceptions"])
    assert found["broken_images"] == ["gone", "remote"]
    assert found["requests"] == [(tmp_path / "missing.png").as_uri(), "https://example.org/x.png"]


def test_hover_shows_the_source_of_a_point(browser, report):
    """Hover a bar of the arrivals chart: the tooltip names the value, its unit, the source, the figure as printed and
    the page's address; where sources disagree it lists them. Nothing is fetched."""
    path, out, _ = report
    url = path.resolve().as_uri()
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("data:", url)) else None)
    page.goto(url, wait_until="load")
    bars = page.locator("#chart-defector_arrivals_by_sex .barlayer .point path")
    bars.first.wait_for()
    texts = []
    for i in (5, 7):  # women in 2007 and 2009 (the bars are drawn women first, from 2002)
        bar = bars.nth(i)
        bar.scroll_into_view_if_needed()
        box = bar.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tip = page.locator("#chart-defector_arrivals_by_sex .hoverlayer .hovertext").first
        tip.wait_for(timeout=5000)
        texts.append(tip.text_content())
        page.mouse.move(1, 1)
    page.close()
    import pandas as pd

    data = pd.read_csv(out / "figures" / "defector_arrivals_by_sex.csv")
    women = data.loc[data["series"] == "Women"].set_index("x")
    for year, text in zip((2007, 2009), texts):
        row = women.loc[year]
        assert f"{int(row['value']):,} persons" in text and str(year) in text
        assert row["source_id"] in text and f"As printed: {row['reported_as']}" in text
        assert row["url"] in text and row["url"].startswith("http")
    assert any("Sources disagree:" in t for t in texts)
    assert requests == []
