# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE_HUBS ?= 10000
export CHFW_DATABASE_URL ?= sqlite:///./var/chfw.db

.PHONY: install run test lint typecheck check openapi migrate sample bench clean demo

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/chfw db upgrade

var/sample/hubs.csv: | install
	$(BIN)/chfw sample-estate --hubs $(SAMPLE_HUBS) --suppliers 6 --split-share 0.3 --seed 1 --out var/sample

sample: var/sample/hubs.csv

## run: create the venv, migrate the embedded SQLite, load a sample estate, serve on 127.0.0.1:8000
run: migrate sample
	$(BIN)/chfw parties load var/sample/parties.json --keys-file var/keys.json
	$(BIN)/chfw inventory import var/sample/hubs.csv
	@echo "API keys for the sample parties are in var/keys.json"
	$(BIN)/chfw serve

## demo: a whole campaign end to end on an accelerated clock (embedded SQLite, 100,000 hubs);
## prints a summary and writes var/report.html (docs/demo.md). DEMO_HUBS=1000000 for a million.
DEMO_HUBS ?= 100000
demo: install
	$(BIN)/chfw demo --hubs $(DEMO_HUBS) --out var

## test: every test, integration tests on SQLite and on PostgreSQL (127.0.0.1:5432), in lanes
## run side by side: one per backend, one for the rest (scripts/test.sh; CHFW_TEST_BACKENDS)
test: install
	BIN=$(BIN) scripts/test.sh

lint: install
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations

typecheck: install
	$(BIN)/mypy

openapi: install
	$(BIN)/chfw openapi

## check: lint, types, the OpenAPI file and the migrations match the code
check: lint typecheck
	$(BIN)/lint-imports
	$(BIN)/chfw openapi --check
	$(BIN)/python scripts/traceability.py --check
	CHFW_DATABASE_URL=sqlite:///$$(mktemp -d)/check.db $(BIN)/chfw db check

bench: install
	$(BIN)/python bench/inventory_import.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
