# The two commands the README promises on a fresh machine with Python 3.11+:
#   make demo   set up, then scan the built-in demo estate (no cloud account)
#   make test   set up with test extras, lint and type-check, then run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint report bench clean lock audit

# A new virtualenv's pip and setuptools are whatever the Python build bundled (often with
# known vulnerabilities): upgrade them first.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools

# Dependencies come from requirements.lock (exact versions, hashes checked), then nhi itself.
# Its install keeps dependencies on: a dependency added to pyproject.toml since the last
# `make lock` still installs (unpinned) instead of breaking the build; the locked ones are
# already satisfied and stay as locked.
$(VENV)/.deps-installed: $(BIN)/python requirements.lock
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	touch $@

# The distribution was called nhi before it became nhi-cli: drop a stale editable install of it
# (and its nhi.egg-info, whose entry points would register every connector twice).
$(VENV)/.demo-installed: $(VENV)/.deps-installed pyproject.toml setup.py
	$(BIN)/pip uninstall -q -y nhi 2>/dev/null || true
	rm -rf nhi.egg-info
	$(BIN)/pip install -q -e '.[demo]'
	touch $@

$(VENV)/.test-installed: $(VENV)/.deps-installed pyproject.toml setup.py
	$(BIN)/pip uninstall -q -y nhi 2>/dev/null || true
	rm -rf nhi.egg-info
	$(BIN)/pip install -q -e '.[demo,test]'
	touch $@

# Refresh requirements.lock after changing a dependency in pyproject.toml (needs PyPI).
lock: $(BIN)/python
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra demo --extra test --extra postgres --universal \
		--python-version 3.11 --generate-hashes --no-header -o requirements.lock.new
	{ sed -n '1,2p' requirements.lock; cat requirements.lock.new; } > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock && rm -f requirements.lock.new

# Known vulnerabilities in the locked versions: a release step (it asks PyPI's advisory API,
# which the package mirror CI installs from does not serve).
audit: $(BIN)/python
	$(BIN)/pip install -q pip-audit
	$(BIN)/pip-audit --disable-pip --require-hashes -r requirements.lock

demo: $(VENV)/.demo-installed
	$(BIN)/nhi scan --demo

# Lint first: a style or type error fails in seconds, before the suite's minutes.
test: lint
	$(BIN)/python -m pytest -q

# ruff (lint, and the formatter as a check) and mypy, with the settings in pyproject.toml.
lint: $(VENV)/.test-installed
	$(BIN)/ruff check nhi_cli connectors tests benchmarks
	$(BIN)/ruff format --check nhi_cli connectors tests benchmarks
	$(BIN)/mypy

report: $(VENV)/.demo-installed
	$(BIN)/nhi report --format html --output nhi-report.html

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/aws_scan.py
	$(BIN)/python benchmarks/aws_org.py
	$(BIN)/python benchmarks/rules_scale.py
	$(BIN)/python benchmarks/reports_scale.py
	$(BIN)/python benchmarks/github_deploy_keys.py
	$(BIN)/python benchmarks/agents_scale.py

clean:
	rm -rf $(VENV) nhi.db nhi.db-wal nhi.db-shm
