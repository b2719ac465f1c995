# inquick: `make run` serves the demo, `make test` runs the suite. `make help` lists every target.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
SIZES ?= small medium large
BENCH_SECONDS ?= 10
BENCH_WARMUP ?= 3
BENCH_ROUNDS ?= 5
export FLASK_APP := inquick

.DEFAULT_GOAL := help
.PHONY: help run test browser screenshots lint format bench bench-clean clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

run: $(STAMP) ## set up, migrate, seed the demo and serve on 127.0.0.1:$(PORT) with a webhook worker beside (SQLite unless DATABASE_URL is set)
	$(BIN)/inquick db upgrade
	$(BIN)/inquick seed-demo --if-empty
	$(BIN)/inquick demo-key --port $(PORT)
	@# The server and one webhook worker beside it: Ctrl-C stops both, and so does the end of the server.
	@$(BIN)/inquick worker & worker=$$!; \
	$(BIN)/inquick serve --port $(PORT) & server=$$!; \
	trap 'kill $$server $$worker 2>/dev/null' INT TERM; \
	wait $$server; kill $$worker 2>/dev/null; wait

browser: ## Debian's chromium and chromium-driver, for the browser tests (installed when missing)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }

test: $(STAMP) browser ## run the test suite (SQLite; on PostgreSQL when TEST_DATABASE_URL is set)
	$(BIN)/ruff check inquick tests bench
	$(BIN)/pytest $(PYTEST_ARGS)

screenshots: $(STAMP) browser ## run the booking page's browser tests and keep their screenshots in docs/screenshots (for the README)
	$(BIN)/pytest -q tests/pages/test_booking_walk.py
	mkdir -p docs/screenshots
	cp artifacts/screenshots/booking-[1-4]-*.png docs/screenshots/

lint: $(STAMP) ## lint and check formatting
	$(BIN)/ruff check inquick tests bench
	$(BIN)/ruff format --check inquick tests bench

format: $(STAMP) ## format the code
	$(BIN)/ruff format inquick tests bench
	$(BIN)/ruff check --fix inquick tests bench

bench: $(STAMP) ## measure on PostgreSQL: SIZES="small medium large", BENCH_SECONDS=10, BENCH_ROUNDS=5 (results in bench/results/)
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql)" main start
	$(BIN)/python -m bench --sizes $(SIZES) --seconds $(BENCH_SECONDS) --warmup $(BENCH_WARMUP) \
		--rounds $(BENCH_ROUNDS)

bench-clean: $(STAMP) ## drop the bench's PostgreSQL databases
	$(BIN)/python -m bench --drop

clean: ## remove the virtualenv and the local SQLite database
	rm -rf $(VENV) instance
