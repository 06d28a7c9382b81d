"""The README and docs/ cannot go stale: every count they state is checked against the data or
the code, the README's guide to the tables against the schemas, the version against its four
homes, and every relative link resolves."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import polars as pl
import pytest

from analysis import __version__, harmonize, harmonize_trade
from analysis.datapackage import PUBLISHED, render_readme
from analysis.paths import PROCESSED, ROOT
from analysis.validate import read_published

README = ROOT / "README.md"
DOCS = ROOT / "docs"
#: Pages other work adds to docs/; the index links them already.
PLANNED_DOCS = {"reliability.md", "results.md", "comtrade.md", "report.md", "workers-abroad.md"}


@pytest.fixture(scope="module")
def t() -> dict[str, pl.DataFrame]:
    return {name: read_published(PROCESSED, name) for name in PUBLISHED}


def text(path: Path) -> str:
    return " ".join(path.read_text(encoding="utf-8").split())  # line breaks do not matter to a claim


def number(s: str) -> int:
    return int(s.replace(",", ""))


def claim(doc: str, pattern: str) -> int:
    m = re.search(pattern, doc)
    assert m, f"the docs no longer say {pattern!r}: update the claim and this test together"
    return number(m.group(1))


# ------------------------------------------------------------------------------ README
def test_readme_puts_users_first():
    lines = README.read_text(encoding="utf-8").splitlines()
    dev = next(i for i, line in enumerate(lines, 1) if line.startswith("## For developers"))
    assert dev <= 81, f"the user part of the README runs to line {dev - 1}; keep it within 80 lines"
    user = "\n".join(lines[:dev])
    for must in ("data/processed/", "import pandas as pd", "import polars as pl", "read.csv(", "make report", "make test",
                 "CITATION.cff", "## The tables", "## How to cite"):
        assert must in user, must


def test_readme_guide_names_every_table_with_its_key():
    rows = [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| `")]
    guide = {}
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        guide[cells[0].strip("`")] = [k.strip() for k in cells[2].split(",")]
    assert set(guide) == set(PUBLISHED)
    for name, key in guide.items():
        assert key == list(PUBLISHED[name].to_schema().unique), name


def test_readme_counts_come_from_the_data(t):
    doc = text(README)
    assert claim(doc, r"(\d+) tables,") == len(PUBLISHED)
    assert claim(doc, r"([\d,]+) sources,") == t["sources"].height
    assert claim(doc, r"([\d,]+) events;") == t["events"].height
    assert claim(doc, r"hold ([\d,]+) defector figures") == t["defector_arrivals"].height
    assert claim(doc, r"([\d,]+) trade figures") == t["trade_flows"].height
    assert claim(doc, r"([\d,]+) figures of workers abroad") == t["labor_workers"].height
    assert claim(doc, r"with ([\d,]+) disagreements") == t["conflicts"]["conflict_id"].n_unique()
    assert f"Version {__version__}" in doc and f"Version {__version__}." in doc


# ------------------------------------------------------------------------------ docs/
def test_data_rules_counts_come_from_the_data(t):
    doc = text(DOCS / "data-rules.md")
    arr = t["defector_arrivals"]
    assert claim(doc, r"dates: ([\d,]+) figures from") == arr.height
    assert claim(doc, r"figures from ([\d,]+) sources") == arr["source_id"].n_unique()
    assert claim(doc, r"([\d,]+) dated events") == t["events"].height
    assert claim(doc, r"Trade\*\*: ([\d,]+) figures") == t["trade_flows"].height
    monthly = t["trade_monthly"]
    assert claim(doc, r"\((\d+) rows;") == monthly.height
    gacc = monthly.filter((pl.col("agency") == "GACC") & (pl.col("reporter") == "CHN") & (pl.col("partner") == "PRK"))
    assert claim(doc, r"(\d+) months of China's customs figures") == gacc.height
    assert claim(doc, r"abroad\*\*: ([\d,]+) figures") == t["labor_workers"].height
    assert claim(doc, r"(\d+) published revenue estimates") == t["labor_revenue_estimates"].height
    assert claim(doc, r"(\d+) wage, state-share and payment figures") == t["labor_model_inputs"].height
    assert claim(doc, r"How the (\d+) conflicts") == t["conflicts"]["conflict_id"].n_unique()


def test_data_rules_state_each_rule_as_the_code_applies_it():
    doc = (DOCS / "data-rules.md").read_text(encoding="utf-8")
    for rule in (harmonize.RULE, harmonize_trade.RULE):
        steps = "\n".join(f"{i}. {step.text}" for i, step in enumerate(rule, 1))
        assert steps in doc, steps


def test_data_rules_conflict_counts_are_the_table(t):
    doc = (DOCS / "data-rules.md").read_text(encoding="utf-8")
    block = doc.split("<!-- conflicts-by-step: checked by tests/test_docs.py -->\n")[1].split("<!-- /conflicts-by-step -->")[0]
    counts = (t["conflicts"].unique("conflict_id").group_by("table", "conflict_type", "decided_by").len()
              .sort("table", "conflict_type", "decided_by"))
    expected = "| table | conflict_type | decided_by | conflicts |\n|---|---|---|---:|\n" + "".join(
        f"| {r['table']} | {r['conflict_type']} | {r['decided_by']} | {r['len']} |\n" for r in counts.iter_rows(named=True))
    assert block == expected


def test_guarantees_counts_come_from_the_catalogue():
    from analysis.schemas import FIRST_DAY, LAST_DAY
    from tests import corruptions

    doc = text(DOCS / "guarantees.md")
    cases = corruptions.all_cases()
    assert claim(doc, r"applies (\d+) kinds of corruption") == len({c.kind for c in cases})
    assert claim(doc, r"each of the (\d+) raw CSV files") == len(corruptions.raw_csvs())
    assert claim(doc, r"sidecars: (\d+) cases") == len(cases)
    assert claim(doc, r"cases, (\d+) caught") == len(cases)  # the suite itself asserts each is caught
    assert f"outside {FIRST_DAY.year}-{LAST_DAY.year}" in doc


def test_models_constants_are_the_code():
    from analysis.models import breaks, forecasts, labor_revenue, relationships, trade_monthly

    doc = text(DOCS / "models.md")
    assert f"{labor_revenue.DRAWS:,} seeded draws" in doc
    assert f"minimum segment {breaks.TRIM:.0%}" in doc and f"Hansen's {breaks.LR_CRITICAL_95:g}" in doc
    assert {1: "one", 2: "two", 3: "three"}[trade_monthly.HARMONICS] + " Fourier pairs" in doc
    assert f"{forecasts.DRAWS:,} seeded predictive draws" in doc and f"1-{forecasts.HORIZONS} years ahead" in doc
    assert f"lags -{relationships.MAX_LAG}..{relationships.MAX_LAG}" in doc
    assert f"without {relationships.MIN_PAIRS} overlapping years" in doc


def test_development_lists_every_notebook_and_the_comtrade_columns():
    from analysis.ingest import comtrade

    doc = text(DOCS / "development.md")
    section = doc.split("## Notebooks")[1].split("##")[0]
    named = set(re.findall(r"`(\w+)`", section)) - {"lab"}
    assert named == {p.stem for p in (ROOT / "notebooks").glob("*.py")}
    assert claim(doc, r"the (\d+) columns `typeCode`") == len(comtrade._SPEC)


# --------------------------------------------------------------------- version, links
def test_one_version_everywhere():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    citation = re.search(r"^version: (\S+)$", (ROOT / "CITATION.cff").read_text(encoding="utf-8"), re.M).group(1)
    changelog = re.search(r"^## (\S+) — (\d{4}-\d{2}-\d{2})$", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    package = (PROCESSED / "datapackage.json").read_text(encoding="utf-8")
    assert pyproject == citation == changelog.group(1) == __version__
    assert f'"version": "{__version__}"' in package
    assert f"(data version {__version__})" in (PROCESSED / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^date-released: \"?(\d{4}-\d{2}-\d{2})", (ROOT / "CITATION.cff").read_text(encoding="utf-8"), re.M).group(1) == changelog.group(2)


def test_processed_readme_is_rendered_from_the_schemas():
    assert (PROCESSED / "README.md").read_bytes() == render_readme(list(PUBLISHED)), "run `make data` and commit data/processed/"


def test_relative_links_resolve():
    pages = [README, *sorted(DOCS.glob("*.md")), PROCESSED / "README.md"]
    missing = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue
            path = (page.parent / target).resolve()
            if not path.exists() and not (path.parent == DOCS.resolve() and path.name in PLANNED_DOCS):
                missing.append(f"{page.relative_to(ROOT)} -> {target}")
    assert missing == []


def test_readme_loading_code_runs(monkeypatch):
    """The README's pandas and polars lines load the committed CSVs as they stand."""
    import pandas as pd

    code = README.read_text(encoding="utf-8").split("```python\n")[1].split("```")[0]
    monkeypatch.chdir(ROOT)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    annual, flows = scope["annual"], scope["flows"]
    assert isinstance(annual, pl.DataFrame) and annual.height == read_published(PROCESSED, "defector_arrivals_annual").height
    assert flows.schema["period_start"] == pl.Date
    first = pd.read_csv(ROOT / "data/processed/defector_arrivals_annual.csv", dtype={"male": "Int64", "female": "Int64"})
    assert str(first["male"].dtype) == "Int64"


def test_comtrade_doc_states_the_monthly_coverage_of_the_data(t):
    """docs/comtrade.md's count of months 2016-2025 and its list of missing months are the table's."""
    doc = text(DOCS / "comtrade.md")
    months = (t["trade_monthly"].filter(pl.col("year").is_between(2016, 2025) & (pl.col("reporter") == "CHN") & (pl.col("partner") == "PRK"))
              .select("year", "month").unique())
    have = {(y, m) for y, m in months.iter_rows()}
    missing = [f"{y}-{m:02d}" for y in range(2016, 2026) for m in range(1, 13) if (y, m) not in have]
    assert claim(doc, r"`trade_monthly` covers (\d+) of the 120 months 2016-2025") == len(have)
    listed = re.search(r"Still missing \((\d+)\): ((?:`\d{4}-\d{2}`[, .]*)+)", doc)
    assert listed, "docs/comtrade.md no longer lists the missing months"
    assert number(listed.group(1)) == len(missing)
    assert re.findall(r"`(\d{4}-\d{2})`", listed.group(2)) == missing
