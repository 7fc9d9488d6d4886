# The two commands of the README: `make demo` (main job) and `make test` (the suite).
# Each creates .venv and installs what it needs; nothing else is required on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup setup-test debian-tools bench bench-rpc clean

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

demo: setup
	$(BIN)/pigtrace demo

test: setup-test
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" $(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/ingest.py

bench-rpc: setup-test
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" $(BIN)/python bench/rpc_ingest.py

clean:
	rm -rf $(VENV) node_modules pigtrace.duckdb
