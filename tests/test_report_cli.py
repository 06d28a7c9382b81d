"""The report, the CLI and the Makefile as a user meets them."""

from __future__ import annotations

import re
import shutil
import subprocess

import polars as pl
import pytest

from analysis import cli
from analysis.paths import ROOT
from analysis.report.build import FIGURE_STEMS, load_tables, render, run_models


@pytest.fixture(scope="module")
def report(reported):
    return reported


def test_report_is_self_contained_and_complete(report):
    path, out = report
    html = path.read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == 14
    assert not re.search(r'<(img|script|link)[^>]+(src|href)="(?!data:)(?!https?://)', html)
    for section in ("Key findings", "Defectors arriving in South Korea", "Trade", "Workers abroad", "Published estimates beside the model",
                    "Relationships between the flows", "Forecasts", "Breaks at unknown dates", "interrupted time series", "Methods", "Data appendix",
                    "Conflicts between sources", "Sources"):
        assert section in html
    assert "Arrivals peaked in 2009 at 2,914 people; in 2025 they were 223." in html
    stems = ["defector_arrivals_by_sex", "defector_female_share", "labor_revenue", "labor_workers", "trade_annual_china", "trade_monthly_china",
             "trade_products", "its_annual", "its_quarterly", "breaks", "trade_monthly_model", "trade_stl", "forecasts", "relationships_ccf"]
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(f"{s}.{x}" for s in stems for x in ("png", "svg"))
    terms = pl.read_csv(out / "tables" / "defector_count_model.csv")
    rr = terms.filter(pl.col("term") == "step:border-closure-2020")["rate_ratio"].item()
    assert f"rate ratio {rr:.2f}" in html


def test_text_follows_the_data(built):
    """Change an input table and the generated text changes with it: no number is typed."""
    _, processed = built
    tables = load_tables(processed)
    annual = tables["defector_arrivals_annual"]
    annual.loc[annual["year"] == 2025, ["total", "female"]] = [300, 275]
    annual.loc[annual["year"] == 2025, "female_share"] = 275 / 300
    html = render(tables, run_models(tables), {k: {"src": "data:,", "alt": "", "title": "", "svg": "", "png": ""} for k in FIGURE_STEMS})
    assert "in 2025 they were 300." in html
    assert "in 2025 they were 223." not in html
    assert "; 300 arrived." in html  # the interrupted-time-series counterfactual sentence reads the same table


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
