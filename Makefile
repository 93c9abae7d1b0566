# The two commands the README promises on a fresh machine with Python 3.11+:
#   make demo   set up, then scan the built-in demo estate (no cloud account)
#   make test   set up with test extras, then run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint report bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The distribution was called nhi before it became nhi-cli: drop a stale editable install of it
# (and its nhi.egg-info, whose entry points would register every connector twice).
$(VENV)/.demo-installed: $(BIN)/python pyproject.toml setup.py
	$(BIN)/pip uninstall -q -y nhi 2>/dev/null || true
	rm -rf nhi.egg-info
	$(BIN)/pip install -q -e '.[demo]'
	touch $@

$(VENV)/.test-installed: $(BIN)/python pyproject.toml setup.py
	$(BIN)/pip uninstall -q -y nhi 2>/dev/null || true
	rm -rf nhi.egg-info
	$(BIN)/pip install -q -e '.[demo,test]'
	touch $@

demo: $(VENV)/.demo-installed
	$(BIN)/nhi scan --demo

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest -q

# Not part of `make test` yet: it joins once the whole tree has been through `ruff format`.
lint: $(VENV)/.test-installed
	$(BIN)/ruff check nhi_cli connectors tests benchmarks
	$(BIN)/ruff format --check nhi_cli connectors tests benchmarks
	$(BIN)/mypy

report: $(VENV)/.demo-installed
	$(BIN)/nhi report --format html --output nhi-report.html

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/aws_scan.py
	$(BIN)/python benchmarks/rules_scale.py
	$(BIN)/python benchmarks/reports_scale.py
	$(BIN)/python benchmarks/github_deploy_keys.py
	$(BIN)/python benchmarks/agents_scale.py

clean:
	rm -rf $(VENV) nhi.db nhi.db-wal nhi.db-shm
