# Every target creates .venv from nothing when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-cluster test test-slow bench lint docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/oneuron demo

demo-cluster: $(STAMP)
	$(BIN)/oneuron demo-cluster

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" -n 2

# slow cases, and the property tests again with the "slow" hypothesis profile (>= 10,000 examples)
test-slow: $(STAMP)
	ONEURON_HYPOTHESIS_PROFILE=slow $(BIN)/python -m pytest -q -m "slow or hypothesis" -n 2

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
	rm -rf docs/_build docs/api/generated docs/lesson docs/guides docs/sg_execution_times.rst

# the documentation site, in docs/_build/html; every example in it runs, and any warning fails the build
docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -n -q -b html docs docs/_build/html
