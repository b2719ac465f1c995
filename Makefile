# inquick: `make run` serves the demo, `make test` runs the suite. `make help` lists every target.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export FLASK_APP := inquick

.DEFAULT_GOAL := help
.PHONY: help run test lint format clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP) ## set up, migrate, seed the demo and serve on 127.0.0.1:$(PORT) (SQLite unless DATABASE_URL is set)
	$(BIN)/inquick db upgrade
	$(BIN)/inquick seed-demo --if-empty
	$(BIN)/inquick demo-key --port $(PORT)
	$(BIN)/inquick serve --port $(PORT)

test: $(STAMP) ## run the test suite (SQLite; on PostgreSQL when TEST_DATABASE_URL is set)
	$(BIN)/ruff check inquick tests
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP) ## lint and check formatting
	$(BIN)/ruff check inquick tests
	$(BIN)/ruff format --check inquick tests

format: $(STAMP) ## format the code
	$(BIN)/ruff format inquick tests
	$(BIN)/ruff check --fix inquick tests

clean: ## remove the virtualenv and the local SQLite database
	rm -rf $(VENV) instance
