# The two commands a newcomer types on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HTMX := c2m/static/vendor/htmx.min.js
PYTEST_ARGS ?=
# The installed package reads nothing beside the checkout; developers and CI hand it the
# shared B2MML schema set and the benchmarks' public instances through their settings.
SHARED := $(abspath ../shared)
shared_path = $(if $(wildcard $(SHARED)/$(1)),$(SHARED)/$(1))
export C2M_B2MML_DIR ?= $(call shared_path,standards/b2mml)
export C2M_FJSP_DIR ?= $(call shared_path,benchmarks/fjsp)
export C2M_CONFIGURATION_BENCHMARKS ?= $(call shared_path,benchmarks/configuration)

.PHONY: setup run test lint pytest soak lock clean

setup: $(STAMP) $(HTMX)

# Versions come from requirements.lock, so every machine installs what CI tested.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

# After a change to pyproject.toml's dependencies: resolve afresh in a scratch venv, pin it all.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e '.[test]'
	head -n 3 requirements.lock > requirements.lock.new
	.lock-venv/bin/pip freeze --all --exclude-editable | grep -v -E '^(pip|wheel)==' | LC_ALL=C sort -f >> requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

# htmx comes from the npm registry, pinned by package-lock.json; the copy is git-ignored.
$(HTMX): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(dir $(HTMX))
	cp node_modules/htmx.org/dist/htmx.min.js $(HTMX)

run: setup
	$(BIN)/c2m serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy configurator bom routing planner mes_bridge c2m

# The soak drives the whole stack for two simulated plant days (minutes of wall time): a run
# of its own, so the suite stays quick; `.ci/run` runs both on each configuration.
pytest: setup
	$(BIN)/pytest -m "not soak" $(PYTEST_ARGS)

soak: setup
	$(BIN)/pytest -m soak $(PYTEST_ARGS)

test: lint pytest

clean:
	rm -rf $(VENV) node_modules c2m/static/vendor instance
