# Two commands a newcomer needs: `make demo` and `make test`. Each sets up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck check bench sandbox schema clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gateway serve --demo

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

sandbox: $(STAMP)
	$(BIN)/sandbox serve

schema: $(STAMP)
	$(BIN)/gateway schema > schemas/schema.graphql
	$(BIN)/gateway schema --federation > schemas/schema.federation.graphql

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info gateway.db
