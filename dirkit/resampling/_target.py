"""Targets out: the resampled y in the caller's container (array, Series or DataFrame)."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from dirkit.exceptions import ConfigError

__all__ = ["relevance_source", "write_target"]


def _float_dtype(dtype: Any) -> Any:
    """Keep float dtypes (float32 stays float32); integer targets become float64."""
    kind = getattr(dtype, "kind", "f")
    return dtype if kind == "f" else np.float64


def relevance_source(y: np.ndarray, relevance_target: str | int) -> np.ndarray:
    """The 1-D values the relevance is computed on: ``y`` itself, one column, or the norm.

    For multi-output ``y`` of shape (n, q), ``"norm"`` is the Euclidean norm of the z-scored
    columns (distance from the mean target in standard deviations; constant columns count 0), so
    a sample is rare when it is extreme in any output. An int picks that column.
    """
    if y.ndim == 1:
        return y
    if relevance_target == "norm":
        std = y.std(axis=0)
        z = (y - y.mean(axis=0)) / np.where(std > 0, std, 1.0)
        return np.asarray(np.sqrt((z * z).sum(axis=1)), dtype=np.float64)
    column = int(relevance_target)
    if column >= y.shape[1]:
        raise ConfigError(
            f"relevance_target={column} is out of range for y with {y.shape[1]} columns; use "
            f"0..{y.shape[1] - 1} or 'norm'."
        )
    return np.asarray(y[:, column], dtype=np.float64)


def write_target(y: Any, y_arr: np.ndarray, kept: np.ndarray, y_new: np.ndarray) -> Any:
    """Targets of the kept rows followed by the synthetic targets, in the container of ``y``."""
    values = np.concatenate([y_arr[kept], y_new.reshape((-1, *y_arr.shape[1:]))])
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(y, pd.Series):
        out = pd.Series(values, name=y.name).astype(_float_dtype(y.dtype))
        out.index.name = y.index.name
        return out
    if pd is not None and isinstance(y, pd.DataFrame):
        out_frame = pd.DataFrame(values.reshape(values.shape[0], -1), columns=y.columns)
        out_frame = out_frame.astype({c: _float_dtype(t) for c, t in y.dtypes.items()})
        out_frame.index.name = y.index.name
        return out_frame
    original = np.asarray(y)
    return values.reshape((-1, *original.shape[1:])).astype(
        _float_dtype(original.dtype), copy=False
    )
