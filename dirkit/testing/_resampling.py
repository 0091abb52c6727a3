"""Contract checks for resamplers: ``check_resampler`` and the individual checks it runs.

Each check takes a resampler instance, works on a clone with ``random_state=0``, and raises
``AssertionError`` with a message naming the resampler and what differed. A resampler declares
checks it is expected to fail in a class-level ``_xfail_checks`` dict (check name -> reason).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import clone

from dirkit._validation import invalid_value_for
from dirkit.exceptions import ConfigError

__all__ = ["RESAMPLER_CHECKS", "check_resampler"]


def _fail(resampler: Any, message: str) -> None:
    raise AssertionError(f"{type(resampler).__name__}: {message}")


def _data(n: int = 240, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, rng.lognormal(sigma=0.8, size=n) + 0.3 * X[:, 0]


def _seeded(resampler: Any) -> Any:
    fresh = clone(resampler)
    if "random_state" in fresh.get_params():
        fresh.set_params(random_state=0)
    return fresh


def check_numpy_output(resampler: Any) -> None:
    """Arrays in, arrays out: dtype, width and lengths consistent with the fitted attributes."""
    X, y = _data()
    for dtype in (np.float64, np.float32):
        sampler = _seeded(resampler)
        X_res, y_res = sampler.fit_resample(X.astype(dtype), y)
        if not isinstance(X_res, np.ndarray) or X_res.dtype != dtype or X_res.shape[1] != 3:
            _fail(resampler, f"X {dtype.__name__} (n, 3) came back as {type(X_res)} "
                  f"{getattr(X_res, 'dtype', None)} {np.shape(X_res)}.")
        if not isinstance(y_res, np.ndarray) or y_res.shape != (X_res.shape[0],):
            _fail(resampler, f"y_res has shape {np.shape(y_res)}, expected ({X_res.shape[0]},).")
        if not np.isfinite(y_res).all():
            _fail(resampler, "y_res holds non-finite values.")
        for name in ("sample_indices_", "synthetic_mask_"):
            if getattr(sampler, name).shape != (X_res.shape[0],):
                _fail(resampler, f"{name} has shape {getattr(sampler, name).shape}, expected "
                      f"({X_res.shape[0]},).")
        original = ~sampler.synthetic_mask_
        idx = sampler.sample_indices_[original]
        if not (np.array_equal(X_res[original], X.astype(dtype)[idx])
                and np.array_equal(y_res[original], y[idx])):
            _fail(resampler, "rows not marked synthetic differ from the input rows they copy.")


def check_pandas_output(resampler: Any) -> None:
    """DataFrame/Series in, the same out: column names, per-column dtypes, names, categories."""
    import pandas as pd

    X, y = _data()
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "num": X[:, 0],
        "f32": X[:, 1].astype(np.float32),
        "count": rng.integers(0, 9, size=len(y)),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], size=len(y))),
        "city": rng.choice(["Porto", "Lisbon"], size=len(y)).astype(object),
        "label": pd.array(rng.choice(["a", "b"], size=len(y)), dtype="string"),
        "flag": rng.random(len(y)) < 0.5,
    }, index=pd.Index(np.arange(len(y)) * 2, name="row"))
    target = pd.Series(y.astype(np.float32), name="price", index=frame.index)
    X_res, y_res = _seeded(resampler).fit_resample(frame, target)
    if not isinstance(X_res, pd.DataFrame) or list(X_res.columns) != list(frame.columns):
        _fail(resampler, f"DataFrame input came back as {type(X_res).__name__} with columns "
              f"{list(getattr(X_res, 'columns', []))}.")
    if not X_res.dtypes.equals(frame.dtypes):
        _fail(resampler, f"dtypes changed: {dict(frame.dtypes)} -> {dict(X_res.dtypes)}.")
    for column in ("colour", "city", "label", "flag"):
        if not set(X_res[column].dropna()) <= set(frame[column]):
            _fail(resampler, f"nominal column {column!r} gained values never seen in the input.")
    if not isinstance(y_res, pd.Series) or y_res.name != "price" or y_res.dtype != np.float32:
        _fail(resampler, f"Series y came back as {type(y_res).__name__} named "
              f"{getattr(y_res, 'name', None)!r} of dtype {getattr(y_res, 'dtype', None)}.")
    if not X_res.index.equals(y_res.index) or X_res.index.name != "row":
        _fail(resampler, "X_res and y_res indexes differ or the index name was lost.")


def check_deterministic(resampler: Any) -> None:
    """The same ``random_state`` gives identical output."""
    X, y = _data()
    first = _seeded(resampler).fit_resample(X, y)
    second = _seeded(resampler).fit_resample(X, y)
    if not all(np.array_equal(a, b) for a, b in zip(first, second, strict=True)):
        _fail(resampler, "two calls with random_state=0 gave different output.")


def check_multi_output(resampler: Any) -> None:
    """A 2-D target of shape (n, 2) comes back with 2 columns and as many rows as X."""
    X, y = _data()
    Y = np.column_stack([y, -0.5 * y + X[:, 1]])
    X_res, Y_res = _seeded(resampler).fit_resample(X, Y)
    if np.shape(Y_res) != (len(X_res), 2):
        _fail(resampler, f"multi-output y came back with shape {np.shape(Y_res)}, expected "
              f"({len(X_res)}, 2).")


def check_input_unchanged(resampler: Any) -> None:
    """``fit_resample`` does not modify its inputs."""
    X, y = _data()
    X_copy, y_copy = X.copy(), y.copy()
    _seeded(resampler).fit_resample(X, y)
    if not (np.array_equal(X, X_copy) and np.array_equal(y, y_copy)):
        _fail(resampler, "fit_resample modified X or y in place.")


def check_params(resampler: Any) -> None:
    """Keyword-only constructor, get/set_params round trip, clone, and invalid values rejected."""
    signature = inspect.signature(type(resampler).__init__)
    positional = [p.name for p in list(signature.parameters.values())[1:]
                  if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    if positional:
        _fail(resampler, f"constructor parameters {positional} must be keyword-only.")
    params = resampler.get_params()
    if clone(resampler).get_params() != params:
        _fail(resampler, "clone() changed the parameters.")
    X, y = _data(120)
    for name, constraints in getattr(resampler, "_parameter_constraints", {}).items():
        bad = clone(resampler).set_params(**{name: invalid_value_for(constraints)})
        try:
            bad.fit_resample(X, y)
        except ConfigError:
            continue
        _fail(resampler, f"{name}={bad.get_params()[name]!r} was accepted; expected ConfigError.")


def check_in_pipeline(resampler: Any) -> None:
    """Works as a step of ``imblearn.pipeline.Pipeline`` before a scikit-learn regressor."""
    try:
        from imblearn.pipeline import Pipeline
    except ImportError:
        warnings.warn("imbalanced-learn is not installed: check_in_pipeline skipped.", stacklevel=2)
        return
    from sklearn.linear_model import Ridge

    X, y = _data()
    model = Pipeline([("resample", _seeded(resampler)), ("ridge", Ridge())]).fit(X, y)
    if model.predict(X).shape != y.shape:
        _fail(resampler, "the pipeline predicted the wrong number of values.")


RESAMPLER_CHECKS: dict[str, Callable[[Any], None]] = {
    check.__name__: check
    for check in (
        check_numpy_output,
        check_pandas_output,
        check_deterministic,
        check_multi_output,
        check_input_unchanged,
        check_params,
        check_in_pipeline,
    )
}


def check_resampler(resampler: Any) -> None:
    """Run every resampler contract check on ``resampler``; raise ``AssertionError`` on failure.

    Checks named in the resampler's ``_xfail_checks`` dict are skipped.

    Parameters
    ----------
    resampler : object with ``fit_resample(X, y)``, ``get_params`` and ``set_params``
        An instance; it is cloned, never fitted in place.

    Examples
    --------
    >>> from dirkit.resampling import SMOTER
    >>> check_resampler(SMOTER(k_neighbors=3))
    """
    expected = getattr(resampler, "_xfail_checks", {})
    for name, check in RESAMPLER_CHECKS.items():
        if name not in expected:
            check(resampler)
