"""Fuzzing the command line's argument handling and the CSV loader with random malformed input.

Whatever the input, the outcome is a result or a clean dirkit error: ``main`` returns 0, 1 or 2
with at most one error line and no traceback; ``load_csv`` returns splits or raises a
:class:`~dirkit.exceptions.DirkitError`. Training itself is replaced by a stub (the fuzz is
about the inputs, and must stay fast).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dirkit.bench
import dirkit.engine
from dirkit.cli import main
from dirkit.datasets import DatasetSplits, load_csv
from dirkit.exceptions import DirkitError

#: 60 examples a test keep the suite fast; DIRKIT_FUZZ_EXAMPLES=500 searches harder.
FUZZ = settings(max_examples=int(os.environ.get("DIRKIT_FUZZ_EXAMPLES", "60")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


class _Trained(Exception):
    """Raised by the stub that replaces training: every check before it passed."""


def _stub(*args: object, **kwargs: object) -> None:
    raise _Trained


_TEXT = st.text(alphabet="ab019.,-=[]{}\"' :+_eE", max_size=12)
_KEY_VALUE = st.builds(lambda k, v: f"{k}={v}", st.sampled_from(
    ["scale", "eval_per_bin", "n_features", "bogus", "path", "target", "features", "limit", ""]), _TEXT)
_SETTING = st.builds(lambda k, v: f"{k}={v}", st.sampled_from(
    ["lds.sigma", "lds.kernel", "fds.clip", "focal-r.beta", "sigma", "lds.", ".x", "nope.x"]), _TEXT)
_TRAIN_ARG = st.builds(lambda k, v: f"{k}={v}", st.sampled_from(
    ["hidden", "weight_decay", "monitor", "augment", "epochs", "nope"]), _TEXT)
_OPTION = st.one_of(
    st.tuples(st.just("--dataset-arg"), _KEY_VALUE),
    st.tuples(st.just("--set"), _SETTING),
    st.tuples(st.just("--train-arg"), _TRAIN_ARG),
    st.tuples(st.sampled_from(["--epochs", "--batch-size", "--lr", "--seed", "--seeds"]),
              st.one_of(_TEXT, st.integers(-3, 10**25).map(str))),
    st.tuples(st.sampled_from(["--method", "--methods"]),
              st.sampled_from(["vanilla", "sqinv+inv", "inv+sqinv", "lds+", "sqinv+lds", "nope", "", "+"])),
    st.tuples(st.sampled_from(["--dataset", "--datasets"]),
              st.sampled_from(["synthetic", "csv", "nope", ""])),
    st.tuples(st.sampled_from(["--out", "--model", "--split", "--device", "--data-dir"]), _TEXT),
    st.tuples(st.sampled_from(["--progress", "--no-progress", "--checkpoints", "-x", "--", "--epochs"])),
)
_ARGV = st.builds(
    lambda command, options: [command, *(part for option in options for part in option)],
    st.sampled_from(["train", "bench", "report", "predict", "evaluate", "list", "nope"]),
    st.lists(_OPTION, max_size=7),
)


@FUZZ
@given(argv=_ARGV)
def test_random_command_lines_end_in_a_clean_status(argv):
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setattr(dirkit.engine, "run_experiment", _stub)
        patch.setattr(dirkit.bench, "run_benchmark", _stub)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except _Trained:
                return
    errors = [line for line in err.getvalue().splitlines() if ": error: " in line]
    assert "Traceback" not in err.getvalue()
    assert status in (0, 1, 2), (argv, status, err.getvalue())
    if status:
        assert len(errors) == 1, (argv, err.getvalue())
        assert len(err.getvalue().strip().splitlines()) == 1 or "warning" in err.getvalue(), err.getvalue()


_CELL = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 5).map(str),
    st.sampled_from(["", "abc", "nan", "NA", '"', '"a,b"', " ", "1e999", "-", "True", "0x1"]),
)
_ROW = st.lists(_CELL, min_size=0, max_size=5).map(",".join)
_CSV_TEXT = st.builds(
    lambda header, rows: "\n".join([header, *rows]),
    st.sampled_from(["y,a,b", "y,a", "y", "a,b", "y,y", "", "y,a,b,split", "\ufeffy,a"]),
    st.lists(_ROW, max_size=40),
)


def _parquet_engine() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        try:
            import fastparquet  # noqa: F401
        except ImportError:
            return False
    return True


def _load(path: Path, **kwargs: object) -> None:
    try:
        data = load_csv(path=path, **kwargs)
    except DirkitError:
        return
    except ImportError as error:  # the one other outcome: a missing optional reader, named
        assert path.suffix == ".parquet" and not _parquet_engine(), error
        assert "pip install pyarrow" in str(error)
        return
    assert isinstance(data, DatasetSplits)


@FUZZ
@given(text=_CSV_TEXT, target=st.sampled_from(["y", "a", "split"]),
       features=st.sampled_from([None, ["a"], ["a", "b"], ["zz"], []]),
       split=st.sampled_from([None, "split", "a"]))
def test_random_csv_text_loads_or_raises_a_dirkit_error(text, target, features, split):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        path.write_text(text, encoding="utf-8")
        _load(path, target=target, features=features, split=split)


@FUZZ
@given(content=st.binary(max_size=400), name=st.sampled_from(["t.csv", "t.tsv", "t.npz", "t.parquet"]))
def test_random_bytes_load_or_raise_a_dirkit_error(content, name):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        _load(path, target="y")


@FUZZ
@given(text=_CSV_TEXT)
def test_random_csv_text_through_the_command_line_ends_in_a_clean_status(text):
    err = io.StringIO()
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setattr(dirkit.engine, "run_experiment", _stub)
        Path("t.csv").write_text(text, encoding="utf-8")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            try:
                status = main(["train", "--dataset", "csv", "--method", "vanilla", "--dataset-arg",
                               "path=t.csv", "--dataset-arg", "target=y", "--no-progress"])
            except _Trained:
                return
    assert "Traceback" not in err.getvalue()
    assert status in (1, 2), err.getvalue()
    assert len([line for line in err.getvalue().splitlines() if ": error: " in line]) == 1, err.getvalue()


def test_the_stub_is_reached_for_a_good_command_line(tmp_path, monkeypatch):
    """The fuzz above would pass vacuously if training were never reached: show it is."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(dirkit.engine, "run_experiment", _stub)
    with pytest.raises(_Trained):
        main(["train", "--dataset", "synthetic", "--method", "vanilla", "--dataset-arg", "scale=0.1"])
    assert os.listdir(tmp_path) == []
