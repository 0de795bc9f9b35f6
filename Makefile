# Tickscope: the project's interface. `make run` and `make test` do all set-up on a fresh
# Debian machine with Python 3.11 and node/npm; each step is skipped once done.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium
REDIS_SERVER := /usr/bin/redis-server
POSTGRES_BIN := /usr/lib/postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ARGS ?=

.PHONY: lock run run-cluster redis-server postgresql install-redis test unit integration e2e bench load soak lint typecheck install install-test vendor chromium clean

run: install
	$(PY) -m server $(ARGS)

# A private redis-server, a PostgreSQL for the shared history (its data kept in data/postgres)
# and N processes (PROCESSES=2) on one market; Ctrl-C stops all.
PROCESSES ?= 2
run-cluster: install-redis
	$(PY) -m server.cluster --processes $(PROCESSES) -- $(ARGS)

test: install-test lint typecheck
	$(PY) -m pytest $(ARGS)

unit: install-test
	$(PY) -m pytest tests/unit $(ARGS)

integration: install-test
	$(PY) -m pytest tests/integration $(ARGS)

e2e: install-test
	$(PY) -m pytest tests/e2e $(ARGS)

bench: install-test
	$(PY) -m bench $(ARGS)

load: install-test
	$(PY) -m bench.load $(ARGS)

soak: install-test
	$(PY) -m bench.soak $(ARGS)

# Python by ruff; the JavaScript (and the stylesheets) by Biome, pinned in package.json.
lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	node_modules/.bin/biome ci

typecheck: install-test
	$(VENV)/bin/mypy

install: $(VENV)/.installed vendor
install-redis: $(VENV)/.installed-redis vendor redis-server postgresql
install-test: $(VENV)/.installed-test vendor chromium redis-server postgresql
vendor: node_modules/.package-lock.json

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Every Python dependency comes from uv.lock, exported with hashes to requirements/*.txt: a new
# release of anything changes nothing until `make lock` takes it (docs/operations.md).
PIP_LOCKED := $(PY) -m pip install --quiet --require-hashes --no-deps -r

$(VENV)/.installed: pyproject.toml requirements/run.txt | $(VENV)/bin/python
	$(PIP_LOCKED) requirements/run.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-redis: requirements/redis.txt $(VENV)/.installed
	$(PIP_LOCKED) requirements/redis.txt
	touch $@

$(VENV)/.installed-test: requirements/test.txt $(VENV)/.installed
	$(PIP_LOCKED) requirements/test.txt
	touch $@

# Upgrade every Python dependency to its newest release within pyproject.toml's bounds (or,
# after editing pyproject.toml, resolve again) and export the requirement files.
lock: install-test
	$(VENV)/bin/uv lock --upgrade
	$(PY) requirements/export.py

# npm ci writes node_modules/.package-lock.json, so the stamp is npm's own.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	fi

redis-server:
	@if [ ! -x $(REDIS_SERVER) ]; then \
		echo "Installing Debian's redis-server for the Redis broker"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends redis-server >/dev/null; \
	fi

# initdb and postgres of Debian's server: the tests and `make run-cluster` start their own.
postgresql:
	@if ! ls $(POSTGRES_BIN)/*/bin/initdb >/dev/null 2>&1; then \
		echo "Installing Debian's postgresql for the shared history store"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	fi

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache test-artifacts
