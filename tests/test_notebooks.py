"""The notebooks: percent-format .py files paired with .ipynb by jupytext, each run top to bottom."""

from __future__ import annotations

import re
import subprocess

import jupytext
import pytest

from analysis.paths import ROOT

NOTEBOOKS = ROOT / "notebooks"
PAIRING = "ipynb,py:percent"
#: A notebook per dataset and per model family; a new family adds its notebook here.
REQUIRED = {"defectors", "trade", "labor", "model_defector_counts", "model_labor_revenue", "model_interventions",
            "model_interrupted_time_series", "model_breaks", "model_trade_monthly", "model_forecasts", "model_relationships"}
SOURCES = sorted(p for p in NOTEBOOKS.glob("*.py"))


def test_every_dataset_and_model_family_has_a_notebook():
    assert REQUIRED <= {p.stem for p in SOURCES}
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    assert all(f"`{p.name}`" in readme for p in SOURCES), "notebooks/README.md lists every notebook"
    assert f'formats = "{PAIRING}"' in (NOTEBOOKS / "jupytext.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_notebook_is_a_paired_percent_file(path):
    text = path.read_text(encoding="utf-8")
    nb = jupytext.reads(text, fmt="py:percent")
    assert nb.metadata["jupytext"]["formats"] == PAIRING
    assert nb.metadata["kernelspec"]["name"] == "python3"
    # written back, the file is unchanged: it is in jupytext's own layout (as JupyterLab saves it), so diffs stay readable
    assert jupytext.writes(nb, fmt="py:percent") == text
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "starts with a title and an explanation"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "from analysis" in code, "uses the package"
    assert not re.search(r"(?m)^\s*(def|class)\s", code), "calls the package's functions; defines none of its own"
    assert "read_csv" not in code, "reads the published tables through analysis.tables"
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= 3, "explains what it shows"


def test_committed_ipynb_files_are_in_sync():
    committed = subprocess.run(["git", "ls-files", "notebooks/*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=False).stdout.split()
    for name in committed:
        ipynb = jupytext.read(ROOT / name)
        py = jupytext.read(ROOT / name.replace(".ipynb", ".py"))
        assert [(c.cell_type, c.source) for c in ipynb.cells] == [(c.cell_type, c.source) for c in py.cells], name


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_notebook_runs_top_to_bottom(path):
    from nbclient import NotebookClient

    nb = jupytext.read(path)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert all(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "every code cell shows something"
    assert any("text/html" in o.get("data", {}) for o in outputs), "shows at least one table"
    for cell in nb.cells:
        if cell.cell_type == "code" and "_figures." in cell.source:
            images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
            assert len(images) == 1, f"the figure cell shows its figure once:\n{cell.source}"
