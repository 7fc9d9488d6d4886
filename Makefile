# The two commands of the README: `make demo` (main job) and `make test` (the suite).
# Each creates .venv and installs what it needs; nothing else is required on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup setup-test debian-tools bench bench-api bench-rpc clean

# `make demo` installs the runtime package only; `make test` adds the test extra and the npm test tools.
$(BIN)/pigtrace: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $(BIN)/pigtrace

$(VENV)/.test-extra: $(BIN)/pigtrace
	$(BIN)/pip install -q -e ".[test]"
	touch $(VENV)/.test-extra

node_modules/.bin/anvil: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch node_modules/.bin/anvil

setup: $(BIN)/pigtrace

# Debian's Chromium (browser tests of the pages) and poppler-utils (pdftotext/pdftoppm for the report tests);
# apt-get runs only where one of them is missing, through sudo when not root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
debian-tools:
	@command -v chromium >/dev/null && command -v pdftotext >/dev/null || \
	  ( $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends chromium poppler-utils fonts-dejavu-core )

setup-test: $(VENV)/.test-extra node_modules/.bin/anvil debian-tools

# the demo world's pages and API stay up on http://127.0.0.1:8000/ until Ctrl-C
demo: setup
	$(BIN)/pigtrace demo --db pigtrace-demo.duckdb
	$(BIN)/pigtrace serve --db pigtrace-demo.duckdb

test: setup-test
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" $(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/ingest.py

bench-api: setup
	@command -v wrk >/dev/null || ( $(SUDO) apt-get install -y -q wrk )
	$(BIN)/python bench/api.py

bench-rpc: setup-test
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" $(BIN)/python bench/rpc_ingest.py

clean:
	rm -rf $(VENV) node_modules pigtrace.duckdb
