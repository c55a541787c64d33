# One entry point for people and CI. Every target creates the virtualenv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-full clean

# EXTRAS=dev,spark adds PySpark (CI does, when Java 17+ is present) for the Spark engine tests.
EXTRAS ?= dev

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf build/demo && mkdir -p build/demo
	$(BIN)/ctamap inventory fixtures/campaign --config fixtures/campaign/ctamap.toml
	$(BIN)/ctamap instrument fixtures/campaign --config fixtures/campaign/ctamap.toml \
		--out-dir build/demo --map build/demo/ctamap.linkmap.json --diff
	$(BIN)/ctamap report --map build/demo/ctamap.linkmap.json fixtures/demo/sendgrid-events.jsonl \
		--html build/demo/clickmap.html
	@echo "instrumented copy, link map and click map (clickmap.html) written under build/demo/"

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

# Quick sizes by default (well under a minute); bench-full gives the published figures
# (5 M report rows, 8 copies of the corpus). Generated inputs are kept in bench/.data.
bench: $(STAMP)
	$(BIN)/python bench/run.py

bench-full: $(STAMP)
	$(BIN)/python bench/run.py --full

clean:
	rm -rf $(VENV) build bench/.data .pytest_cache .mypy_cache .ruff_cache .hypothesis
