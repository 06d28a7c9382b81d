# nkflows — run `make` for the list of targets.
# Everything runs inside .venv, created from pinned versions (requirements.lock).

.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
NKFLOWS := $(VENV)/bin/nkflows
STAMPS := .build

RAW_FILES := $(shell find data/raw -type f 2>/dev/null | LC_ALL=C sort)
CODE_FILES := $(shell find analysis -type f \( -name '*.py' -o -name '*.html' -o -name '*.css' \) 2>/dev/null | LC_ALL=C sort)
# what each stage depends on: the data stage on ingestion code, results on model code, the report on the rest
MODEL_FILES := $(shell find analysis/models -type f -name '*.py' 2>/dev/null | LC_ALL=C sort)
REPORT_FILES := $(shell find analysis/report analysis/figures -type f \( -name '*.py' -o -name '*.html' -o -name '*.css' \) 2>/dev/null | LC_ALL=C sort)
DATA_FILES := $(filter-out $(MODEL_FILES) $(REPORT_FILES),$(CODE_FILES))

.PHONY: help setup system-packages data validate results report test lab bench clean clean-report

help: ## Show this list of targets
	@echo "nkflows — North Korea's cross-border flows, sourced and modelled"
	@echo
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-16s %s\n", $$1, $$2}'

setup: $(VENV)/.installed ## Create .venv from the pinned versions in requirements.lock

$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)" || { echo "error: Python 3.11 is required (found $(PYTHON)); set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@# byte-compiled once: an editable install is not, and where PYTHONDONTWRITEBYTECODE is set every command would compile what it imports
	$(PY) -m compileall -q analysis bench
	@touch $@

system-packages: ## Install the Debian packages the browser test and the PDF use (chromium, CJK fonts; needs root)
	@bash scripts/system-packages.sh

data: $(STAMPS)/data ## Build data/processed/ from data/raw/ (checks hashes, parses, validates, harmonizes)

$(STAMPS)/data: $(VENV)/.installed $(RAW_FILES) $(DATA_FILES)
	$(NKFLOWS) build
	@mkdir -p $(STAMPS) && touch $@

validate: $(STAMPS)/data ## Validate every published table (pandera schemas + frictionless datapackage)
	$(NKFLOWS) validate

results: $(STAMPS)/results ## Fit every model from data/processed; write validated result tables to reports/tables/

$(STAMPS)/results: $(STAMPS)/data $(MODEL_FILES) analysis/schemas.py
	$(NKFLOWS) fit
	@mkdir -p $(STAMPS) && touch $@

report: $(STAMPS)/report ## Build what is stale (data, fits), draw the figures, write reports/report.html, methods.html, appendix.html and the PDFs

# The report depends on everything the two stages before it depend on. When it is stale, one
# process runs whatever is (`make -q` asks which stage is stale): the data build beside the
# imports of the later stages (--build), the fits unless their tables are current (--no-fit).
STALE_STAGES = $(shell $(MAKE) -sq $(STAMPS)/data || echo --build) $(shell $(MAKE) -sq $(STAMPS)/results && echo --no-fit)
$(STAMPS)/report: $(VENV)/.installed $(RAW_FILES) $(CODE_FILES)
	$(NKFLOWS) report $(STALE_STAGES)
	@mkdir -p $(STAMPS) && touch $(STAMPS)/data $(STAMPS)/results $@

TEST_WORKERS ?= 2
test: $(VENV)/.installed system-packages ## Run the whole test suite on 2 processes, TEST_WORKERS=0 for one (installs chromium for the browser test where it can)
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

lab: $(VENV)/.installed ## Start JupyterLab on notebooks/ (installs the lab extras first)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[lab]'
	$(VENV)/bin/jupytext --sync notebooks/*.py
	$(VENV)/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(VENV)/.installed ## Time the report stage by stage, the build and bulk ingestion (installs the bench extras); writes reports/bench*.csv
	$(PY) -m bench.report_timing
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(PY) -m bench.run

clean: clean-report ## Remove built artefacts (Parquet, result tables, reports, stamps); keeps the committed CSVs
	rm -rf $(STAMPS) reports/tables data/processed/*.parquet

clean-report: ## Remove the report's outputs (figures, documents, appendix); keeps data/processed and the result tables
	rm -rf $(STAMPS)/report reports/figures reports/appendix reports/report.html reports/report.pdf reports/methods.html reports/methods.pdf reports/appendix.html reports/screenshot.png
