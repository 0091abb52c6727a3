"""Feature tables in and out: NumPy arrays and pandas DataFrames, numeric and nominal columns.

Resamplers work on a :class:`Table`: numeric columns as one float64 matrix and nominal columns
(object, string, category, bool, datetime, ... any non-numeric dtype) as integer codes. Outputs are
rebuilt in the caller's container: a DataFrame keeps its column names and per-column dtypes, an
array its dtype. pandas is imported only when a pandas object is passed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dirkit.exceptions import ConfigError, ShapeError

__all__ = ["Table", "is_dataframe", "read_features", "write_features"]

CategoricalFeatures = str | Sequence[int] | Sequence[str] | np.ndarray


def is_dataframe(obj: object) -> bool:
    """Whether ``obj`` is a pandas DataFrame (without importing pandas)."""
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, pd.DataFrame)


def _factorize(values: Any) -> tuple[np.ndarray, Any]:
    """Integer codes and the unique values (with a ``take`` that keeps the dtype)."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is installed with dirkit[tabular]
        uniques, codes = np.unique(np.asarray(values), return_inverse=True)
        return codes.astype(np.int64), uniques
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.int64), uniques


@dataclass(eq=False)
class Table:
    """Numeric block, nominal codes and what is needed to rebuild the caller's container.

    Attributes
    ----------
    numeric : ndarray of shape (n, p_numeric)
        Numeric columns as float64.
    nominal : ndarray of shape (n, p_nominal)
        Integer codes of the nominal columns.
    numeric_columns, nominal_columns : ndarray of int
        Positions of those columns in the input.
    integer : ndarray of bool of shape (p_numeric,)
        Numeric columns of an integer dtype: synthetic values are rounded on output.
    categories : list
        Unique values of each nominal column (``categories[j].take(codes)`` decodes).
    """

    numeric: np.ndarray
    nominal: np.ndarray
    numeric_columns: np.ndarray
    nominal_columns: np.ndarray
    integer: np.ndarray
    categories: list[Any]

    @property
    def n_samples(self) -> int:
        return int(self.numeric.shape[0])


def _auto_nominal(X: Any, frame: bool) -> np.ndarray:
    if frame:
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        return np.array([not is_numeric_dtype(t) or is_bool_dtype(t) for t in X.dtypes], dtype=bool)
    if X.dtype.kind in "iuf":
        return np.zeros(X.shape[1], dtype=bool)
    if X.dtype.kind != "O":
        return np.ones(X.shape[1], dtype=bool)
    nominal = np.zeros(X.shape[1], dtype=bool)
    for j in range(X.shape[1]):  # object arrays only: numbers stay numeric, bools/strings do not
        column = X[:, j]
        is_bool = np.fromiter((isinstance(v, (bool, np.bool_)) for v in column), bool, len(column))
        try:
            column.astype(np.float64)
            nominal[j] = bool(is_bool.any())
        except (TypeError, ValueError):
            nominal[j] = True
    return nominal


def _nominal_mask(X: Any, frame: bool, categorical_features: CategoricalFeatures) -> np.ndarray:
    n_features = X.shape[1]
    if isinstance(categorical_features, str):
        if categorical_features != "auto":
            raise ConfigError(
                f"categorical_features must be 'auto', column positions, column names or a "
                f"boolean mask; got {categorical_features!r}."
            )
        return _auto_nominal(X, frame)
    spec = np.asarray(categorical_features)
    if spec.dtype == bool:
        if spec.shape != (n_features,):
            raise ShapeError(
                f"A boolean categorical_features mask needs one entry per column ({n_features}); "
                f"got shape {spec.shape}."
            )
        return spec.copy()
    mask = np.zeros(n_features, dtype=bool)
    for item in spec.tolist():
        if isinstance(item, int) and -n_features <= item < n_features:
            mask[item] = True
        elif frame and item in X.columns:
            mask[X.columns.get_loc(item)] = True
        else:
            raise ConfigError(
                f"categorical_features entry {item!r} is neither a column position in "
                f"[0, {n_features}) nor a column name{'' if frame else ' (X has no names)'}."
            )
    return mask


def read_features(X: Any, categorical_features: CategoricalFeatures = "auto") -> Table:
    """Split ``X`` (2-D array-like or DataFrame) into a :class:`Table`."""
    if hasattr(X, "tocsr") or hasattr(X, "toarray"):
        raise ConfigError("Sparse X is not supported by dirkit resamplers; pass X.toarray().")
    frame = is_dataframe(X)
    if not frame:
        X = np.asarray(X)
    if X.ndim != 2:
        raise ShapeError(
            f"X must be 2-D (samples x features); got shape {X.shape}. Use X.reshape(-1, 1) "
            "for a single feature."
        )
    nominal = _nominal_mask(X, frame, categorical_features)
    num_cols, nom_cols = np.flatnonzero(~nominal), np.flatnonzero(nominal)
    if frame:
        from pandas.api.types import is_integer_dtype

        numeric = X.iloc[:, num_cols].to_numpy(dtype=np.float64, na_value=np.nan)
        integer = np.array([is_integer_dtype(X.dtypes.iloc[j]) for j in num_cols], dtype=bool)
        columns = [X.iloc[:, j] for j in nom_cols]
    else:
        numeric = np.asarray(X[:, num_cols], dtype=np.float64)
        integer = np.full(num_cols.size, X.dtype.kind in "iu", dtype=bool)
        columns = [X[:, j] for j in nom_cols]
    factorized = [_factorize(c) for c in columns]
    codes = np.empty((X.shape[0], len(factorized)), dtype=np.int64)
    for j, (c, _) in enumerate(factorized):
        codes[:, j] = c
    return Table(
        numeric=numeric,
        nominal=codes,
        numeric_columns=num_cols,
        nominal_columns=nom_cols,
        integer=integer,
        categories=[u for _, u in factorized],
    )


def _cast_numeric(values: np.ndarray, dtype: Any, integer: bool) -> np.ndarray:
    if integer:
        values = np.rint(values)
        kind = np.dtype(getattr(dtype, "numpy_dtype", dtype))
        if kind.kind in "iu":
            info = np.iinfo(kind)
            values = np.clip(values, info.min, info.max)
    return values


def write_features(X: Any, table: Table, kept: np.ndarray, numeric: np.ndarray,
                   nominal: np.ndarray) -> Any:
    """Rows ``kept`` of ``X`` followed by the synthetic rows, in the container type of ``X``."""
    frame = is_dataframe(X)
    n_new = numeric.shape[0]
    if frame:
        import pandas as pd

        original = X.iloc[kept]
        if n_new:
            parts: dict[int, Any] = {}
            for j, col in enumerate(table.numeric_columns):
                dtype = X.dtypes.iloc[col]
                values = _cast_numeric(numeric[:, j], dtype, bool(table.integer[j]))
                parts[int(col)] = pd.Series(values).astype(dtype)
            for j, col in enumerate(table.nominal_columns):
                parts[int(col)] = pd.Series(table.categories[j].take(nominal[:, j]))
            synthetic = pd.DataFrame({c: parts[c] for c in range(X.shape[1])})
            synthetic.columns = X.columns
            out = pd.concat([original, synthetic], ignore_index=True)
        else:
            out = original.reset_index(drop=True)
        out.index.name = X.index.name
        return out
    X = np.asarray(X)
    out_arr = np.empty((kept.size + n_new, X.shape[1]), dtype=X.dtype)
    out_arr[: kept.size] = X[kept]
    if n_new:
        integer = X.dtype.kind in "iu"
        for j, col in enumerate(table.numeric_columns):
            out_arr[kept.size :, col] = _cast_numeric(numeric[:, j], X.dtype, integer)
        for j, col in enumerate(table.nominal_columns):
            out_arr[kept.size :, col] = np.take(table.categories[j], nominal[:, j])
    return out_arr
