# adpilot — the two commands are `make run` and `make test`; `make help` lists the others.
#
# Everything is installed into the repository: uv into .tools/, Python packages into .venv/ (from uv.lock),
# npm packages into frontend/node_modules/. Stamp files make every step run only when its inputs changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_STAMP := $(TOOLS)/.uv-$(UV_VERSION)
PY_STAMP := .venv/.adpilot-synced

FRONTEND := frontend
WEB_DIST := src/adpilot/web/dist
# npm writes this hidden lockfile on every install; deleting node_modules removes it, which triggers a reinstall.
NPM_STAMP := $(FRONTEND)/node_modules/.package-lock.json
WEB_STAMP := $(WEB_DIST)/.adpilot-built
CHROMIUM ?= $(or $(ADPILOT_CHROMIUM),/usr/bin/chromium)

# uv cannot download interpreters here; it uses the machine's Python 3.11.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON ?= $(PYTHON)
export UV_NO_PROGRESS := 1

HAVE_FRONTEND := $(wildcard $(FRONTEND)/package.json)
ifneq ($(HAVE_FRONTEND),)
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/public -type f 2>/dev/null) \
	$(wildcard $(FRONTEND)/index.html $(FRONTEND)/vite.config.* $(FRONTEND)/tsconfig*.json $(FRONTEND)/openapi.json)
endif
NO_FRONTEND_MSG := frontend/package.json does not exist yet: skipping the web app (the API still works).

PYTEST := $(UV) run --frozen pytest
RUFF := $(UV) run --frozen ruff
LINT_PATHS := src tests bench

.PHONY: help install install-python install-frontend web run test test-long test-python test-python-long \
	test-frontend check-openapi chromium postgresql lint format bench openapi clean distclean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-14s %s\n", $$1, $$2}'

# --- installation ------------------------------------------------------------------------------------------------

$(UV_STAMP):
	@echo "==> bootstrapping uv $(UV_VERSION) into $(TOOLS)/"
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@touch $@

$(PY_STAMP): pyproject.toml uv.lock $(UV_STAMP)
	@echo "==> installing Python packages from uv.lock"
	$(UV) sync --frozen
	@touch $@

install-python: $(PY_STAMP)

ifneq ($(HAVE_FRONTEND),)
$(NPM_STAMP): $(FRONTEND)/package.json $(wildcard $(FRONTEND)/package-lock.json)
	@echo "==> installing npm packages"
	# `npm ci` fails on lockfiles without every platform's native bindings; `npm install` is the supported path.
	cd $(FRONTEND) && npm install --no-audit --no-fund --loglevel=error
	@touch $@

install-frontend: $(NPM_STAMP)

$(WEB_STAMP): $(NPM_STAMP) $(FRONTEND_SOURCES)
	@echo "==> building the web app into $(WEB_DIST)"
	cd $(FRONTEND) && npm run build
	@test -f $(WEB_DIST)/index.html || { echo "the frontend build did not write $(WEB_DIST)/index.html" >&2; exit 1; }
	@touch $@

web: $(WEB_STAMP) ## Build the web app (only when its sources changed)
else
install-frontend web:
	@echo "$(NO_FRONTEND_MSG)"
endif

install: install-python install-frontend ## Install uv, the Python packages and the npm packages (idempotent)

# --- running -----------------------------------------------------------------------------------------------------

run: install web ## Serve adpilot on http://127.0.0.1:8000 (ADPILOT_PORT to change), with the demo workspace
	@# exec: uv replaces the shell, so Ctrl-C / SIGTERM reach the server, which stops the embedded PostgreSQL.
	exec $(UV) run --frozen --no-sync adpilot serve

# --- tests -------------------------------------------------------------------------------------------------------

test: install web chromium ## Run the whole suite (backend, browser, frontend, generated-code and schema drift)
	@# The schema drift is tests/test_openapi_drift.py; `make check-openapi` runs the same check from the CLI.
	$(MAKE) test-python
	$(MAKE) test-frontend
	@echo "==> all tests passed"

test-long: install web chromium postgresql ## The whole suite including the slow tests and an external PostgreSQL
	$(MAKE) test-python-long
	$(MAKE) test-frontend
	@echo "==> all tests passed (including slow)"

# Backend tests run on two processes (pytest-xdist; each has its own embedded PostgreSQL and sandbox); the browser
# tests, which each start a real server, run after them in one process.
PYTEST_WORKERS ?= 2

test-python: $(PY_STAMP)
	@echo "==> backend tests"
	$(PYTEST) -n $(PYTEST_WORKERS) -m "not slow and not browser"
	@echo "==> browser tests"
	$(PYTEST) -m "browser and not slow"

test-python-long: $(PY_STAMP)
	@echo "==> backend tests, slow ones included"
	$(PYTEST) -n $(PYTEST_WORKERS) -m "not browser"
	@echo "==> browser tests, slow ones included"
	$(PYTEST) -m "browser"
	@echo "==> the tests marked external_db, against an external PostgreSQL server (the Debian postgresql-15 package)"
	ADPILOT_TEST_DATABASE=external $(PYTEST) -m "external_db"

ifneq ($(HAVE_FRONTEND),)
test-frontend: $(NPM_STAMP)
	@echo "==> frontend tests"
	cd $(FRONTEND) && npm test
	@echo "==> the generated API client matches frontend/openapi.json"
	cd $(FRONTEND) && npm run check-generated
else
test-frontend:
	@echo "$(NO_FRONTEND_MSG)"
endif

check-openapi: $(PY_STAMP) ## Fail when frontend/openapi.json differs from the schema the backend serves
	@echo "==> frontend/openapi.json matches the backend's schema"
	@if [ ! -f $(FRONTEND)/openapi.json ]; then echo "$(FRONTEND)/openapi.json is missing: run make openapi" >&2; exit 1; fi
	@$(UV) run --frozen --no-sync adpilot openapi > .openapi.current.json
	@status=0; $(UV) run --frozen --no-sync python -c 'import json, sys; \
		same = json.load(open(sys.argv[1])) == json.load(open(sys.argv[2])); \
		sys.exit(0 if same else "frontend/openapi.json is out of date: run make openapi and commit the result")' \
		.openapi.current.json $(FRONTEND)/openapi.json || status=$$?; rm -f .openapi.current.json; exit $$status

# Browser tests drive the Debian Chromium. Installed when missing (as root, with apt); otherwise the browser tests
# skip themselves with a message.
chromium:
	@if [ -x "$(CHROMIUM)" ] || command -v chromium >/dev/null 2>&1; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "==> installing Chromium for the browser tests (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "WARNING: Chromium is missing and cannot be installed here (needs root and apt-get):"; \
		echo "         the browser tests will be SKIPPED. Install it with: sudo apt-get install chromium"; \
	fi

# The production-path tests (marker external_db, in make test-long) run against the Debian PostgreSQL server binaries
# (tests/external_postgres.py starts a cluster of its own). Installed when missing (as root, with apt); otherwise those
# tests skip themselves with a message.
postgresql:
	@if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "==> installing PostgreSQL 15 for the external-database tests (apt-get install postgresql-15)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null; \
	else \
		echo "WARNING: PostgreSQL server binaries are missing and cannot be installed here (needs root and apt-get):"; \
		echo "         the external-database tests will be SKIPPED. Install them with: sudo apt-get install postgresql-15"; \
	fi

# --- code quality ------------------------------------------------------------------------------------------------

lint: install ## ruff, ruff format --check, mypy --strict, import-linter, TypeScript typecheck, oxlint, prettier --check
	$(RUFF) check $(LINT_PATHS)
	$(RUFF) format --check $(LINT_PATHS)
	$(UV) run --frozen --no-sync mypy
	$(UV) run --frozen --no-sync lint-imports
ifneq ($(HAVE_FRONTEND),)
	cd $(FRONTEND) && npm run typecheck
	cd $(FRONTEND) && npm run lint
	cd $(FRONTEND) && npm run format:check
else
	@echo "$(NO_FRONTEND_MSG)"
endif

format: install ## Format and auto-fix the Python code; Prettier on the web app's sources
	$(RUFF) format $(LINT_PATHS)
	$(RUFF) check --fix $(LINT_PATHS)
ifneq ($(HAVE_FRONTEND),)
	cd $(FRONTEND) && npm run format
endif

bench: install ## Run every benchmark (each prints a final BENCH line)
	$(UV) run --frozen --no-sync python -m bench

openapi: install ## Regenerate frontend/openapi.json and the generated TypeScript client
	$(UV) run --frozen --no-sync adpilot openapi > $(FRONTEND)/openapi.json.tmp
	mv $(FRONTEND)/openapi.json.tmp $(FRONTEND)/openapi.json
ifneq ($(HAVE_FRONTEND),)
	cd $(FRONTEND) && npm run generate
else
	@echo "$(NO_FRONTEND_MSG)"
endif

# --- cleaning ----------------------------------------------------------------------------------------------------

clean: ## Remove build output and caches (keeps installed packages and the data in .adpilot/)
	rm -rf $(WEB_DIST) $(FRONTEND)/dist .mypy_cache .ruff_cache .pytest_cache .hypothesis test-results .openapi.current.json
	find src tests bench -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## Also remove .venv, .tools and node_modules (still keeps .adpilot/)
	rm -rf .venv $(TOOLS) $(FRONTEND)/node_modules
