# dirkit developer commands. `make test` and `make bench` create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= ../shared/data

.PHONY: test test-lowest lint unit bench docs venv clean

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

# The fast tests at the lowest versions pyproject.toml allows (ci/requirements-lowest.txt, Python
# 3.11, torch 2.13.0 CPU), in their own environment: each test file below exercises one of the
# pinned dependencies (NumPy, SciPy, scikit-learn, pandas, matplotlib, Pillow, tqdm).
LOWEST := .venv-lowest
LOWEST_BIN := $(LOWEST)/bin
PYTHON_LOWEST ?= python3.11
LOWEST_TESTS ?= tests/labels tests/density tests/metrics tests/resampling tests/estimator \
	tests/datasets/test_csv.py tests/datasets/test_tabular.py tests/datasets/test_image_files.py \
	tests/bench/test_report.py tests/bench/test_plots.py tests/bench/test_runner.py \
	tests/test_docs.py tests/test_startup.py

$(LOWEST_BIN)/dirkit-installed: pyproject.toml ci/requirements-lowest.txt
	rm -rf $(LOWEST)
	$(PYTHON_LOWEST) -m venv $(LOWEST)
	$(LOWEST_BIN)/python -m pip install --quiet torch==2.13.0
	$(LOWEST_BIN)/python -m pip install --quiet -r ci/requirements-lowest.txt
	$(LOWEST_BIN)/python -m pip install --quiet --no-deps -e .
	$(LOWEST_BIN)/python -m pip install --quiet -c ci/requirements-lowest.txt \
		pytest pytest-xdist hypothesis "imbalanced-learn>=0.12"
	$(LOWEST_BIN)/python ci/check_lowest.py
	touch $@

test-lowest: $(LOWEST_BIN)/dirkit-installed
	DIRKIT_DATA_DIR=$(DATA_DIR) $(LOWEST_BIN)/python -m pytest -q -n 2 -m "not slow" -p no:cacheprovider \
		$(LOWEST_TESTS)

docs: venv
	$(BIN)/mkdocs build --strict --site-dir site

bench: venv
	$(BIN)/dirkit bench --dataset synthetic --methods $(BENCH_METHODS) --seeds $(BENCH_SEEDS) \
		--epochs $(BENCH_EPOCHS) --out $(BENCH_OUT)

clean:
	rm -rf $(VENV) $(LOWEST) site .pytest_cache .mypy_cache .ruff_cache .hypothesis
