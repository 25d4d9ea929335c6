# quayops: two entry points, each usable as the first command on a fresh Debian machine.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: rehearse test env system-packages clean

$(BIN)/python:
	@$(PY) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && $(PY) -m venv $(VENV); \
	  else echo "python3 -m venv failed: install the Debian package python3-venv (sudo apt-get install python3-venv)" >&2; exit 1; fi; }

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

env: $(STAMP) system-packages

system-packages:
	@bash scripts/system-packages.sh

rehearse: env
	$(BIN)/python scripts/rehearse.py --out out

# End-to-end modules each start their own simulator stack with real servers in-process: each runs in a
# process of its own, so no module inherits another's environment, clock or servers.
test: env
	@status=0; \
	$(BIN)/python -m pytest -q tests --ignore=tests/e2e || status=1; \
	for module in tests/e2e/test_*.py; do $(BIN)/python -m pytest -q $$module || status=1; done; \
	exit $$status

clean:
	rm -rf out .pytest_cache
