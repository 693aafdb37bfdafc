# Two set-up commands that work on a fresh machine with Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: demo test bench clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or: make PYTHON=python3 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-peers: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[dev,peers]"
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/promise demo --out out

test: $(VENV)/.installed-dev
	$(BIN)/python -m engine.cli warm
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-peers
	$(BIN)/python benchmarks/matrix_vs_peers.py

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks out
