"""The report, the CLI and the Makefile as a user meets them."""

from __future__ import annotations

import re
import shutil
import subprocess

import polars as pl
import pytest

from analysis import cli
from analysis.paths import ROOT
from analysis.report import text
from analysis.models import spec
from analysis.models.run import fit_all
from analysis.report.build import FIGURE_STEMS, load_tables, render

STEMS = list(FIGURE_STEMS)


def test_report_is_self_contained_and_complete(report):
    path, out, _ = report
    html = path.read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == len(STEMS)
    assert not re.search(r'<(img|script|link)[^>]+(src|href)="(?!data:)(?!https?://)', html)
    for section in ("Key findings", "Defectors arriving in South Korea", "Trade", "Workers abroad", "Published estimates beside the model",
                    "Relationships between the flows", "Forecasts", "Breaks at unknown dates", "interrupted time series", "Methods", "Data appendix",
                    "Conflicts between sources", "Sources"):
        assert section in html
    assert "Arrivals peaked in 2009 at 2,914 people; in 2025 they were 223." in html
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(["figures.json", *(f"{s}.{x}" for s in STEMS for x in ("png", "svg"))])
    terms = pl.read_csv(out / "tables" / "defector_count_model.csv")
    rr = terms.filter(pl.col("term") == f"step:{spec.CLOSURE}")["rate_ratio"].item()
    assert f"(ratio {rr:.2f}, 95% CI" in html


def _html(tables):
    results = fit_all(tables)
    figs = {k: {"src": "data:,", "alt": "", "title": "", "svg": "", "png": ""} for k in STEMS}
    return render(tables, results, figs), results


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
def test_text_follows_the_data(built, change):
    """Change an input table and the generated text changes with it, to the numbers of the changed tables: no number is typed."""
    _, processed = built
    before, before_results = _html(load_tables(processed))
    tables = load_tables(processed)
    expected, gone = change(tables)
    after, results = _html(tables)
    assert after != before
    for phrase in expected:
        assert phrase in after and phrase not in before
    for phrase in gone:
        assert phrase in before and phrase not in after
    # the labour sentence carries the model's median, whatever it is: read from the result table of each run
    head = results["labor_revenue_world"].query("variant == 'weighted_rho0'")
    world = head.sort_values(["n_hosts", "year"], ascending=[False, False]).iloc[0]
    assert f"from these workers at {text.usd(world['median_usd'])}" in after
    if change is _labor_wages:
        old = before_results["labor_revenue_world"].query("variant == 'weighted_rho0'").sort_values(["n_hosts", "year"], ascending=[False, False]).iloc[0]
        assert f"at {text.usd(old['median_usd'])}" in before and f"at {text.usd(old['median_usd'])}" not in after
        assert 2.5 < world["median_usd"] / old["median_usd"] < 3.5


def test_template_types_no_numbers():
    """Numbers reach the report only through the tables: the template's own text holds none but these names."""
    template = (ROOT / "analysis" / "report" / "templates" / "report.html").read_text(encoding="utf-8")
    prose = re.sub(r"(?s)<style.*?</style>|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]+>", " ", template)
    allowed = {"95%", "(NB2,", "4.0"}  # "95% CI" heads a column; NB2 names the model; "CC BY 4.0" the licence
    typed = [m.group(0) for m in re.finditer(r"\S*\d\S*", prose) if m.group(0) not in allowed]
    assert typed == []


def test_cli_help_and_sources(built, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert all(cmd in out for cmd in ("build", "validate", "fit", "report", "sources"))
    _, processed = built
    assert cli.main(["sources", "--processed", str(processed), "--search", "unification", "--kind", "official"]) == 0
    assert "Ministry of Unification" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lists_its_targets():
    out = subprocess.run(["make", "-s", "-C", str(ROOT)], capture_output=True, text=True, check=True).stdout
    for target in ("setup", "data", "validate", "results", "report", "test", "lab", "bench", "clean"):
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
