# The two set-up commands of the README: `make run` and `make test`.
# Each creates .venv when it is missing and installs the project into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/meldwijzer run

test: $(STAMP)
	$(BIN)/python -m pytest

# The quality gates .ci/run applies besides the tests.
lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy bot

# Benchmarks print figures and assert nothing; each can also be run on its own.
bench: $(STAMP)
	$(BIN)/python bench/route_bench.py
	$(BIN)/python bench/area_bench.py
	$(BIN)/python bench/scaling_bench.py
	$(BIN)/python bench/http_bench.py
	$(BIN)/python bench/telegram_bench.py

clean:
	rm -rf $(VENV) .pytest_cache
