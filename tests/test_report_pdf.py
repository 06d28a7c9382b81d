"""The PDFs: the reader's report (at most twelve A4 pages) and the methods annex, numbered pages, a page per section,
nothing cut off, no date inside."""

from __future__ import annotations

import re

import pytest
from weasyprint.formatting_structure import boxes

from analysis.report import pdf
from analysis.report.build import for_print

A4_PX = (210 / 25.4 * 96, 297 / 25.4 * 96)  # CSS pixels


@pytest.fixture(scope="module")
def document(report):
    path, _, _ = report
    return pdf.layout(for_print(path.read_text(encoding="utf-8")))


def _text(box, *, margins: bool) -> str:
    if isinstance(box, boxes.MarginBox) and not margins:
        return ""
    own = box.text if isinstance(box, boxes.TextBox) else ""
    return " ".join([own, *(_text(c, margins=margins) for c in getattr(box, "children", None) or [])]).strip()


def _footer(page) -> str:
    return " ".join(_text(b, margins=True) for b in page._page_box.children if isinstance(b, boxes.MarginBox))


def test_pdf_is_the_report_laid_out_on_a4(report, document):
    path, out, _ = report
    written = (out / "report.pdf").read_bytes()
    assert written.startswith(b"%PDF-")
    # the same HTML, laid out again later, gives the same bytes: no build time is embedded
    assert document.write_pdf() == written
    pages = document.pages
    assert 4 <= len(pages) <= 12
    methods = (out / "methods.pdf").read_bytes()
    assert methods.startswith(b"%PDF-") and len(methods) > len(written)
    for page in pages:
        assert (page.width, page.height) == pytest.approx(A4_PX, abs=0.5)
    for number, page in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in _footer(page)


def test_each_section_starts_a_page(report, document):
    path, _, _ = report
    headings = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h2 id=\"(?!findings|contents|cite)[^\"]+\">(.*?)</h2>", path.read_text(encoding="utf-8"))]
    assert {"Defectors reaching South Korea", "Trade with China", "Workers sent abroad"} <= set(headings)
    firsts = [_text(p._page_box, margins=False) for p in document.pages]
    for heading in headings:
        assert any(f.startswith(heading) for f in firsts), f"section {heading!r} does not start a page"
    assert firsts[0].startswith("North Korea's cross-border flows") and "Contents" in firsts[0] and "Key findings" in firsts[0]


def test_nothing_runs_off_the_page_and_every_glyph_has_a_font(report, document):
    _, _, warnings = report
    assert pdf.overflowing(document) == []
    if pdf.missing_scripts():
        pytest.skip(f"no font for {', '.join(pdf.missing_scripts())} is installed (make system-packages installs them)")
    assert [w for w in warnings if "glyph" in w] == []


def test_a_table_too_wide_for_the_page_stops_the_pdf(tmp_path):
    wide = "<table><tr><td>" + "unbreakable" * 60 + "</td></tr></table>"
    with pytest.raises(pdf.LayoutError, match=r"page 1: 'unbreakable.*' runs [0-9.]+ px past the right margin"):
        pdf.write_pdf(wide, tmp_path / "report.pdf")
    assert not (tmp_path / "report.pdf").exists()
    pdf.write_pdf("<p>" + "breakable " * 200 + "</p>", tmp_path / "report.pdf")
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")


def _png(mode: str, **save) -> bytes:
    import io

    from PIL import Image

    image = Image.new(mode, (64, 40), (200, 30, 30) if mode == "RGB" else None)
    for x in range(64):  # some structure, so that the rows' filters differ
        image.putpixel((x, x % 40), (0, 0, 255) if mode == "RGB" else 0)
    out = io.BytesIO()
    image.save(out, format="PNG", **save)
    return out.getvalue()


def test_idat_is_taken_only_from_the_pngs_it_can_be():
    from analysis.report.pdf import idat

    assert idat(_png("RGB")) and idat(_png("L"))
    assert idat(_png("RGBA")) is None  # the alpha channel would need its own mask
    assert idat(_png("P")) is None  # a palette needs its own colour space
    assert idat(b"not a png") is None


def test_a_figure_png_goes_into_the_pdf_as_it_is_with_the_same_bytes():
    """The PDF with each PNG's pixel data taken as it is equals, byte for byte, the one WeasyPrint writes by decoding and
    encoding the image again: a change of Pillow's defaults or WeasyPrint's image code would show here."""
    import base64

    from weasyprint import HTML
    from weasyprint.images import RasterImage

    html = "".join(f'<p>figure {k}</p><img src="data:image/png;base64,{base64.b64encode(_png(m)).decode()}">'
                   for k, m in enumerate(("RGB", "L", "RGBA", "P")))
    pdf.layout(html)
    taken = pdf.layout(html).write_pdf()
    shim = RasterImage.__dict__["_get_png_data"]
    assert getattr(shim.__func__, "_nkflows", False)
    assert not getattr(shim.__func__.original.__func__, "_nkflows", False)  # put in place once, not once per document
    try:
        RasterImage._get_png_data = shim.__func__.original
        encoded = HTML(string=html, media_type="print").render().write_pdf()
    finally:
        RasterImage._get_png_data = shim
    assert taken == encoded
