# walletdesk — every target creates the virtual environment it needs by itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed

.DEFAULT_GOAL := help
.PHONY: help run test browser lint bench format clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP) ## Migrate the SQLite database under var/, load demo data, serve on http://127.0.0.1:8000
	mkdir -p var
	$(BIN)/walletdesk db upgrade
	$(BIN)/walletdesk demo
	$(BIN)/walletdesk serve --host 127.0.0.1 --port 8000

# The suite runs on pytest-xdist workers, each with its own scratch PostgreSQL database,
# temp folder, browser and web server (tests/conftest.py, tests/web/conftest.py). Three
# on the 2-core VM: a database test spends much of its time waiting on PostgreSQL and a
# third worker fills those waits (measured: 2 and 3 about equal, 4 slower). Override
# with `make test TEST_WORKERS=4`; TEST_WORKERS=0 runs it in one process (a debugger).
TEST_WORKERS ?= 3

test: $(TEST_STAMP) browser ## Run every test (SQLite always; PostgreSQL and the browser when present, required in CI)
	$(BIN)/pytest -q -n $(TEST_WORKERS)

# Browser tests drive Debian's Chromium (Playwright cannot download one here). Installed
# when we may (root with apt-get); otherwise the browser tests skip and say so.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    { apt-get install -y -q chromium >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }; }; } || \
	  echo "note: no Chromium could be installed; the browser tests will be skipped"

lint: $(TEST_STAMP) ## ruff, mypy --strict and the import contracts
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(TEST_STAMP) ## Every benchmark: ledger, login, HTTP, help and ticket search, contacts, triage (SQLite + PostgreSQL); JSON in bench/results/
	mkdir -p bench/results
	$(BIN)/walletdesk bench ledger --json --postgres-url "$${WALLETDESK_BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}" | tee bench/results/ledger-$$(date -u +%Y%m%d).json
	$(BIN)/walletdesk bench identity --json | tee bench/results/identity-$$(date -u +%Y%m%d).json
	$(BIN)/walletdesk bench http --json --postgres-url "$${WALLETDESK_BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}" | tee bench/results/http-$$(date -u +%Y%m%d).json
	$(BIN)/walletdesk bench help-search --postgres-url "$${WALLETDESK_BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}" | tee bench/results/help-search-$$(date -u +%Y%m%d).json
	$(BIN)/walletdesk bench contacts | tee bench/results/contacts-$$(date -u +%Y%m%d).json
	$(BIN)/walletdesk bench ticket-search --postgres-url "$${WALLETDESK_BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}" | tee bench/results/ticket-search-$$(date -u +%Y%m%d).json
	$(BIN)/walletdesk bench triage --json | tee bench/results/triage-$$(date -u +%Y%m%d).json

format: $(TEST_STAMP) ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean: ## Remove the virtual environment, caches and the local database
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
