"""The report, the CLI and the Makefile as a user meets them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pandas as pd

import polars as pl
import pytest

from analysis import cli
from analysis.paths import ROOT
from analysis.report import text
from analysis.publish import file_mode, write_atomic
from analysis.models.run import fit_all
from analysis.report.build import DOCUMENTS, FIGURE_STEMS, render_documents

from .conftest import families_from

STEMS = list(FIGURE_STEMS)


def test_three_documents_from_one_build(report):
    path, out, _ = report
    html = path.read_text(encoding="utf-8")
    methods = (out / "methods.html").read_text(encoding="utf-8")
    appendix = (out / "appendix.html").read_text(encoding="utf-8")
    # the reader's report: contents, a section per question with a finding, a figure and how sure we are; links to the rest
    for heading in ("Contents", "Key findings", "Defectors reaching South Korea", "Trade with China", "Workers sent abroad",
                    "What workers abroad earn the state", "How to cite"):
        assert heading in html, heading
    assert html.count('class="finding"') == html.count('class="uncertainty"') == html.count('<section class="question">') >= 4
    for link in ('href="methods.html"', 'href="appendix.html"', 'href="methods.pdf"', 'href="figures/defector_arrivals_by_sex.csv"'):
        assert link in html
    assert "Pearson" not in html and "chi2" not in html and "95% CI" not in html
    assert not re.search(r"\d[eE][+-]\d", re.sub(r'(?s)<script.*?</script>|src="data:[^"]*"', "", html))
    assert re.search(r"built \d{4}-\d{2}-\d{2}", html) and re.search(r"version 0\.\d+\.\d+ \(data [0-9a-f]{12}\)", html)
    # offline: no file or script is fetched from anywhere
    assert not re.search(r'<(img|script|link)[^>]+(src|href)="(?!data:)', html)
    assert html.count("plotly.js v") == 1 and html.count("function nkflowsChart(") == 1 and html.count("nkflowsChart(\"chart-") >= 4
    # the annex has the model tables; the appendix the conflicts, one line per value and source
    for section in ("Count model", "interrupted time series", "Breaks at unknown dates", "Published estimates beside the model", "Forecasts"):
        assert section in methods, section
    conflicts = pd.read_csv(out / "appendix" / "conflicts.csv")
    assert {"value", "source_id", "publisher", "published", "chosen"} <= set(conflicts.columns)
    assert conflicts.groupby("conflict")["chosen"].sum().le(1).all()
    first = conflicts.iloc[0]
    assert f'<td class="num">{first["value"]}' in appendix
    assert appendix.count("<tr class=") == len(conflicts)
    assert "up to $" in methods and "–3,000,000,000" not in methods and "undated" in methods
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(["figures.json", *(f"{s}.{x}" for s in STEMS for x in ("png", "csv"))])
    # the annex states the closure's headline effect, read from headline_effects, once
    head = pl.read_csv(out / "tables" / "headline_effects.csv").filter(pl.col("effect") == "arrivals_closure").row(0, named=True)
    assert methods.count(f"(ratio {head['estimate']:.2f}, 95% CI {head['ci_low']:.2f} to {head['ci_high']:.2f}") == 1


def test_built_files_honour_the_umask(report, tmp_path):
    _, out, _ = report
    expected = file_mode()
    built = [p for p in out.rglob("*") if p.is_file()]
    assert len(built) > 30
    assert {p.stat().st_mode & 0o777 for p in built} == {expected}
    old = os.umask(0o027)
    try:
        assert file_mode() == 0o640
        write_atomic(tmp_path / "a.csv", b"x\n")
        assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o640
        os.umask(0o022)
        (tmp_path / "a.csv").chmod(0o600)  # as an older build left it
        assert write_atomic(tmp_path / "a.csv", b"x\n") is False
        assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o644
        write_atomic(tmp_path / "b.csv", b"y\n")
        assert (tmp_path / "b.csv").stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old)


def _html(tables, results):
    figs = {k: {"alt": "", "title": "", "caption": "", "citation": "", "png": f"{k}.png", "csv": f"{k}.csv"} for k in STEMS}
    docs = render_documents(tables, results, figs, date="2026-01-01")
    return docs["report"] + docs["methods"]


def _refit(fitted, tables):
    """``fit_all`` on changed tables: the families that read a changed table are fitted again; the others, whose inputs are
    the session's, keep the session's output (a family is a function of the tables it reads; which ones it read was
    recorded, not listed by hand). Returns the results and the families fitted again."""
    changed = {name for name, t in tables.items() if not t.equals(fitted["tables"][name])}
    again = {name for name, read in fitted["reads"].items() if read & changed}
    with families_from({name: out for name, out in fitted["outputs"].items() if name not in again}):
        return fit_all(tables), again


@pytest.fixture(scope="module")
def before(fitted):
    """The report and methods text of the session's fit, rendered once for the three changes below."""
    tables = {name: t.copy() for name, t in fitted["tables"].items()}
    return _html(tables, fitted["results"]), fitted["results"]


def _defectors_2025(tables):
    annual = tables["defector_arrivals_annual"]
    annual.loc[annual["year"] == 2025, ["total", "female"]] = [300, 275]
    annual.loc[annual["year"] == 2025, "female_share"] = 275 / 300
    return ["in 2025 they were 300.", "92% in 2025"], ["in 2025 they were 223.", "89% in 2025"]


def _trade_peak(tables):
    t = tables["trade_annual"]
    row = (t["agency"] == "GACC") & (t["reporter"] == "CHN") & (t["partner"] == "PRK") & (t["year"] == 2012)
    t.loc[row, "total_usd"] = 7_123_000_000
    return ["peaked at $7.12 billion in 2012"], ["$6.54 billion"]


def _labor_wages(tables):
    inputs = tables["labor_model_inputs"]
    wage = inputs["parameter"] == "monthly_wage_per_worker"
    inputs.loc[wage, ["value", "value_low", "value_high"]] *= 3
    return [], []


@pytest.mark.parametrize("change", [_defectors_2025, _trade_peak, _labor_wages], ids=["defectors", "trade", "labor"])
def test_text_follows_the_data(fitted, before, change):
    """Change an input table and the generated text changes with it, to the numbers of the changed tables: no number is typed."""
    before, before_results = before
    tables = {name: t.copy() for name, t in fitted["tables"].items()}
    expected, gone = change(tables)
    results, again = _refit(fitted, tables)
    assert again, "no model family reads the changed table"
    after = _html(tables, results)
    assert after != before
    for phrase in expected:
        assert phrase in after and phrase not in before
    for phrase in gone:
        assert phrase in before and phrase not in after
    # the labour sentence carries the model's median, whatever it is: read from the result table of each run
    headline = lambda w: w.loc[w["variant"] == "weighted_rho0"].sort_values(["n_hosts", "year"], ascending=[False, False]).iloc[0]  # noqa: E731
    world = headline(results["labor_revenue_world"])
    assert f"from these workers at {text.usd(world['median_usd'])}" in after
    if change is _labor_wages:
        old = headline(before_results["labor_revenue_world"])
        assert f"at {text.usd(old['median_usd'])}" in before and f"at {text.usd(old['median_usd'])}" not in after
        assert 2.5 < world["median_usd"] / old["median_usd"] < 3.5


@pytest.mark.parametrize("name", [*DOCUMENTS, "base", "conflicts", "sources"])
def test_template_types_no_numbers(name):
    """Numbers reach the documents only through the tables: the templates' own text holds none but these names."""
    template = (ROOT / "analysis" / "report" / "templates" / f"{name}.html").read_text(encoding="utf-8")
    prose = re.sub(r"(?s)<style.*?</style>|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]+>", " ", template)
    allowed = {"95%", "(NB2,", "4.0"}  # "95% CI" heads a column; NB2 names the model; "CC BY 4.0" the licence
    typed = [m.group(0) for m in re.finditer(r"\S*\d\S*", prose) if m.group(0) not in allowed]
    assert typed == []


def test_cli_help_and_sources(built, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert all(cmd in out for cmd in ("build", "validate", "report", "sources"))
    _, processed = built
    assert cli.main(["sources", "--processed", str(processed), "--search", "unification", "--kind", "official"]) == 0
    assert "Ministry of Unification" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lists_its_targets():
    out = subprocess.run(["make", "-s", "-C", str(ROOT)], capture_output=True, text=True, check=True).stdout
    for target in ("setup", "data", "validate", "report", "test", "lab", "bench", "clean"):
        assert f"make {target}" in out


def test_report_validate_checks_before_writing(processed_copy, tmp_path, capsys):
    """`nkflows report --validate` (what `make report` runs) stops on an invalid table and writes no report."""
    path = processed_copy / "defector_arrivals_annual.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    header = lines[0].split(",")
    cells[header.index("total")] = "-5"
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "reports"
    assert cli.main(["report", "--validate", "--processed", str(processed_copy), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "defector_arrivals_annual.csv" in err and "total" in err
    assert not out.exists()
