"""What keeps the report fast: nothing imported, validated or drawn twice.

- the report imports no model code (statsmodels) and no PDF library until it writes a PDF;
- the result tables are validated once, by ``nkflows fit``; the report validates again only a file that changed;
- a rebuild with the same data and figure code (a template change) draws no figure;
- figures are opaque RGB PNGs (the PDF writer embeds them without splitting off an alpha mask).
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from PIL import Image

from analysis.errors import DataError
from analysis.models import results as results_io
from analysis.paths import ROOT
from analysis.report import build


def test_the_report_imports_no_model_code_and_no_pdf_library():
    code = ("import sys; import analysis.report.build, analysis.report.pdf; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'statsmodels', 'scipy', 'weasyprint', 'sklearn'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_report_command_without_fits_imports_no_model_code(built, tables_copy):
    """`nkflows report --no-fit` (what `make report` runs after a template change) loads no statsmodels or scipy."""
    code = ("import sys; from analysis.cli import main; "
            f"code = main(['report', '--no-fit', '--no-pdf', '--processed', {str(built[1])!r}, '--out', {str(tables_copy)!r}]); "
            "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'statsmodels', 'scipy', 'sklearn'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "0 []"


@pytest.fixture
def tables_copy(report, tmp_path):
    _, out, _ = report
    shutil.copytree(out / "tables", tmp_path / "tables")
    return tmp_path


def test_result_tables_are_validated_once(tables_copy, monkeypatch):
    import analysis.schemas as schemas

    record = (tables_copy / "tables" / results_io.VALIDATED).read_text(encoding="utf-8")
    assert '"headline_effects.csv"' in record
    checked = []
    real = schemas.validate_result
    monkeypatch.setattr(schemas, "validate_result", lambda name, frame: checked.append(name) or real(name, frame))
    trusted = results_io.load_results(tables_copy)
    assert checked == []  # every file is the one the fit validated
    # an edited file is validated again, and the same frame comes back as from a full check
    path = tables_copy / "tables" / "forecasts.csv"
    path.write_bytes(path.read_bytes() + b"\n")
    again = results_io.load_results(tables_copy)
    assert checked == ["forecasts"]
    assert again["forecasts"].equals(trusted["forecasts"]) and again["forecasts"].dtypes.equals(trusted["forecasts"].dtypes)


def test_an_edited_result_table_that_breaks_its_model_is_refused(tables_copy):
    path = tables_copy / "tables" / "headline_effects.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert header[10] == "n"
    row = lines[1].rsplit(",", 6)  # the last six fields: n, curve_low, curve_high, n_specifications, interval_span, estimable
    row[1] = "0"  # n must be above zero
    lines[1] = ",".join(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        results_io.load_results(tables_copy)
    assert "headline_effects.csv" in str(err.value) and "n" in str(err.value)


def test_a_rebuild_with_the_same_data_draws_no_figure(report, built, tmp_path, monkeypatch):
    """What `make report` does after a template change: the figures' data and code are unchanged, so none is redrawn."""
    _, out, _ = report
    copy = tmp_path / "reports"
    shutil.copytree(out, copy)
    before = {p.name: p.read_bytes() for p in (copy / "figures").glob("*.png")}
    drawn = []
    real = build._draw
    monkeypatch.setattr(build, "_draw", lambda stems, *a: drawn.extend(stems) or real(stems, *a))
    build.build_report(built[1], copy, pdf=False)
    assert drawn == []
    assert {p.name: p.read_bytes() for p in (copy / "figures").glob("*.png")} == before
    assert (copy / "report.html").read_text(encoding="utf-8").count("data:image/png;base64,") >= 1


def test_figures_are_opaque_rgb_png(report):
    _, out, _ = report
    for path in sorted((out / "figures").glob("*.png")):
        with Image.open(path) as image:
            assert image.mode == "RGB", path.name
            assert image.info.get("Software") == "nkflows"
