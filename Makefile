# Two commands a newcomer needs: `make demo` and `make test`. Each sets up .venv on first use,
# installing exactly what uv.lock names (every package, pinned with its hashes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv itself lives in its own small venv, installed by pip from a hash-pinned requirements file.
UV_VENV := .uv
UV := $(UV_VENV)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# The date-sensitive suites, run again with the clock moved ahead (make test-future).
FUTURE_SUITES := tests/procedure tests/procedure_graph tests/store tests/transfers tests/auth tests/unit
# Modules of those suites that read no date or clock at all: the import layers and the wall-clock
# scan (static walks of the source), the frozen start-up heap, the tenant-filter algebra.
FUTURE_IGNORE := $(addprefix --ignore=tests/unit/,test_layers.py test_no_wall_clock.py \
	test_freeze_heap.py test_tenant_intersection.py)
FUTURE_SHIFT ?= 400

.PHONY: demo test test-future lint typecheck lock-check check lock upgrade bench sandbox schema composers clean

$(UV): tools/uv.txt
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/python -m pip install --quiet --require-hashes -r tools/uv.txt
	touch $(UV)

$(STAMP): pyproject.toml uv.lock $(UV)
	$(UV) sync --locked --all-extras
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gateway serve --demo

# The tests start dozens of Python processes (`gateway …` commands, relays, servers): each reads
# the bytecode an earlier one wrote instead of compiling ~1,800 modules again (about 2 s of CPU a
# process), also where the environment sets PYTHONDONTWRITEBYTECODE. Kept in .venv/pycache, not
# next to the sources.
TEST_ENV := PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(abspath $(VENV))/pycache

test: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The date-sensitive suites with every clock (wall, monotonic excluded) FUTURE_SHIFT days ahead.
test-future: $(STAMP)
	$(TEST_ENV) GATEWAY_TEST_SHIFT_DAYS=$(FUTURE_SHIFT) $(BIN)/python -m pytest -q $(FUTURE_SUITES) \
		$(FUTURE_IGNORE) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Fails when uv.lock no longer matches pyproject.toml (CI runs it first).
lock-check: $(UV)
	$(UV) lock --check

check: lock-check lint typecheck test

# Re-resolve uv.lock from pyproject.toml, keeping every pin that still satisfies it.
lock: $(UV)
	$(UV) lock

# Move every package to its newest release, then run the checks: a deliberate, reviewed step.
upgrade: $(UV)
	$(UV) pip compile --quiet --universal --generate-hashes --no-header --upgrade \
		--python-version 3.11 tools/uv.in -o tools/uv.txt
	$(UV) lock --upgrade
	$(MAKE) check

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

sandbox: $(STAMP)
	$(BIN)/sandbox serve

schema: $(STAMP)
	$(BIN)/gateway schema > schemas/schema.graphql
	$(BIN)/gateway schema --federation > schemas/schema.federation.graphql

# The pinned composers of `gateway schema check --supergraph` (Node.js), reinstalled when their
# lock is newer than the install.
COMPOSERS := tools/federation/node_modules/.package-lock.json
composers: $(COMPOSERS)
$(COMPOSERS): tools/federation/package-lock.json
	npm ci --prefix tools/federation --no-audit --no-fund

clean:
	rm -rf $(VENV) $(UV_VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info gateway.db
