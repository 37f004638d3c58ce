# Every target creates .venv from nothing when it is missing; each installs only what it needs:
# `make demo` oneuron and matplotlib, `make test` the dev extras, `make bench` the bench extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo demo-cluster test test-slow bench lint docs ci clean
.PRECIOUS: $(VENV)/.installed-%

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$*]"
	touch $@

demo: $(VENV)/.installed-plots
	$(BIN)/oneuron demo

demo-cluster: $(VENV)/.installed-all
	$(BIN)/oneuron demo-cluster

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -m "not slow" -n 2

# slow cases, and the property tests again with the "slow" hypothesis profile (>= 10,000 examples)
test-slow: $(VENV)/.installed-dev
	ONEURON_HYPOTHESIS_PROFILE=slow $(BIN)/python -m pytest -q -m "slow or hypothesis" -n 2

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/run_all.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

# what CI runs: lint, the tests, without numba, at the minimum versions (see .ci/run)
ci:
	.ci/run

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
	rm -rf docs/_build docs/api/generated docs/lesson docs/guides docs/sg_execution_times.rst

# the documentation site, in docs/_build/html; every example in it runs, and any warning fails the build
docs: $(VENV)/.installed-docs
	$(BIN)/sphinx-build -W --keep-going -n -q -b html docs docs/_build/html
