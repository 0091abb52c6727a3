# dirkit developer commands. `make test` and (later) `make bench` create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= ../shared/data

.PHONY: test lint typecheck unit venv clean

$(BIN)/dirkit-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first: an unpinned torch requirement would otherwise pull the multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

venv: $(BIN)/dirkit-installed

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy dirkit

unit: venv
	DIRKIT_DATA_DIR=$(DATA_DIR) $(BIN)/python -m pytest -n 2 -q

test: lint unit

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
