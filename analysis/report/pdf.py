"""The report as a PDF: the same HTML, laid out on A4 by WeasyPrint with the print stylesheet.

The figures are embedded in the HTML, so the PDF needs no network and no file but the
HTML. Text is set in DejaVu Sans; titles of Korean, Chinese and Japanese sources need fonts
with those scripts (Debian: ``fonts-wqy-microhei`` and ``fonts-ipafont-gothic``, installed by
``make system-packages``).
The PDF carries no creation date, so two builds of the same report give the same bytes.

Nothing may run past the right margin: :func:`write_pdf` checks every laid-out box and
raises :class:`LayoutError` naming the page and the text, rather than write a PDF that
cuts a table off. (The check walks WeasyPrint's box tree, ``Page._page_box``, of the
pinned version.)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..publish import write_atomic

#: Scripts the report's text uses beyond Latin (titles of Korean and Chinese sources), as fontconfig language tags.
SCRIPTS = {"ko": "Korean", "zh-cn": "Chinese", "ja": "Japanese", "ta": "Tamil"}


def missing_scripts() -> list[str]:
    """The scripts no installed font covers (empty when fontconfig's ``fc-list`` is not there to ask)."""
    if shutil.which("fc-list") is None:
        return []
    missing = []
    for lang, name in SCRIPTS.items():
        out = subprocess.run(["fc-list", f":lang={lang}", "family"], capture_output=True, text=True, check=False).stdout
        if not out.strip():
            missing.append(name)
    return missing


class LayoutError(ValueError):
    """Something in the PDF runs past the right margin of its page."""


def overflowing(document, tolerance: float = 1.0) -> list[tuple[int, str, float]]:
    """(page number, text, CSS pixels past the right margin) for each line of text that does not fit its page."""
    from weasyprint.formatting_structure import boxes

    found = []

    def walk(box, page_number: int, right: float) -> None:
        if isinstance(box, boxes.MarginBox):  # running footers sit in the margin by design
            return
        if isinstance(box, (boxes.LineBox, boxes.ReplacedBox)):
            edge = box.position_x + box.margin_width()
            if edge > right + tolerance:
                text = " ".join(t.text for t in box.descendants() if isinstance(t, boxes.TextBox)).strip()
                found.append((page_number, text[:60] or "an image", round(edge - right, 1)))
            return
        for child in getattr(box, "children", None) or []:
            walk(child, page_number, right)

    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        walk(page_box, number, page_box.margin_width() - page_box.margin_right - page_box.padding_right)
    return found


def layout(html: str, base_url: Path | None = None):
    """The laid-out document (pages and boxes), for writing or for checking the layout."""
    from weasyprint import HTML

    _png_as_it_is()
    return HTML(string=html, base_url=str(base_url) if base_url else None, media_type="print").render()


def idat(png: bytes) -> bytes | None:
    """The compressed pixel rows (the IDAT chunks, joined) of an 8-bit, non-interlaced, RGB or grey PNG; None for any other."""
    import struct

    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    pos, found = 8, []
    while pos + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            depth, colour, interlace = body[8], body[9], body[12]
            if depth != 8 or colour not in (0, 2) or interlace != 0:
                return None
        elif kind == b"IDAT":
            found.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    return b"".join(found) or None


def _png_as_it_is() -> None:
    """Let WeasyPrint put each figure's PNG pixel data into the PDF as it is.

    A PDF image with the PNG predictor holds exactly a PNG's IDAT data, and WeasyPrint (the
    pinned version, ``RasterImage._get_png_data``) gets it by decoding the image and encoding it
    again with Pillow's defaults: a third of a second for the annex's figures. Ours are already
    8-bit RGB PNGs written by Pillow with those defaults (:func:`analysis.figures.style.png`), so
    their IDAT is the same bytes: it is taken as it is. Any other image goes the usual way."""
    from weasyprint.images import RasterImage

    original = RasterImage.__dict__["_get_png_data"]
    if getattr(original.__func__, "_nkflows", False):  # in place already: not wrapped twice
        return

    def get_png_data(pillow_image):
        fp = getattr(pillow_image, "fp", None)
        if getattr(pillow_image, "format", None) == "PNG" and hasattr(fp, "getvalue"):
            data = idat(fp.getvalue())
            if data is not None:
                return data
        return original.__func__(pillow_image)

    get_png_data._nkflows = True
    get_png_data.original = original  # WeasyPrint's own, for the test that both give the same bytes
    RasterImage._get_png_data = staticmethod(get_png_data)


def write_pdfs(jobs: list[tuple[str, Path]]) -> list[Path]:
    """Write several PDFs (``(html, path)`` pairs), each laid out in its own process where there are two cores or more."""
    from ..files import worker_pool

    pool = worker_pool(min(len(jobs), 2))
    if pool is None:
        return [write_pdf(html, path) for html, path in jobs]
    import weasyprint  # noqa: F401  (imported once, here: the forked workers inherit it instead of importing it each)

    with pool:
        futures = [pool.submit(write_pdf, html, path) for html, path in jobs]
        return [f.result() for f in futures]  # a LayoutError in a worker is raised here


def write_pdf(html: str, path: Path) -> Path:
    """Lay out ``html``, check that everything fits its page, and write it to ``path`` (atomically).

    No base URL: every image is embedded, and links between the documents (``methods.pdf``,
    ``figures/<stem>.csv``) stay relative, so the PDF's bytes do not depend on the folder it was built in.
    """
    document = layout(html)
    over = overflowing(document)
    if over:
        where = "; ".join(f"page {page}: {text!r} runs {px:g} px past the right margin" for page, text, px in over[:5])
        raise LayoutError(f"{path.name} would cut off {len(over)} line(s) of text or images ({where}); "
                          "give the table fixed column widths in analysis/report/templates/print.css or let the text wrap")
    write_atomic(path, document.write_pdf())
    return path
