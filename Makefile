# dirkit developer commands. `make test` and `make bench` create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= ../shared/data

.PHONY: test lint unit bench docs venv clean

# The main job: the representative methods on the built-in synthetic data set, 3 seeds.
BENCH_METHODS ?= vanilla,sqinv+lds+fds,focal-r,rrt,balanced-mse,reg-cls,hca-d,group-dir,group-sym,group-asym,group-robust
BENCH_SEEDS ?= 0,1,2
BENCH_EPOCHS ?= 30
BENCH_OUT ?= runs/synthetic

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

docs: venv
	$(BIN)/mkdocs build --strict --site-dir site

bench: venv
	$(BIN)/dirkit bench --dataset synthetic --methods $(BENCH_METHODS) --seeds $(BENCH_SEEDS) \
		--epochs $(BENCH_EPOCHS) --out $(BENCH_OUT)

clean:
	rm -rf $(VENV) site .pytest_cache .mypy_cache .ruff_cache .hypothesis
