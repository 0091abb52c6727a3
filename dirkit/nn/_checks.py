"""Input checks shared by heads and backbones, raising dirkit's errors with both shapes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

from dirkit.exceptions import LabelError, ShapeError

__all__ = ["batch_norm_guard", "check_features", "check_ids"]


def check_features(x: Tensor, in_features: int, owner: str) -> None:
    """Raise :class:`ShapeError` unless ``x`` has shape (N, in_features)."""
    if x.dim() != 2 or x.shape[1] != in_features:
        raise ShapeError(f"{owner} expects input of shape (N, {in_features}); got {tuple(x.shape)}.")


def check_ids(ids: Tensor, n: int, n_classes: int, owner: str, what: str = "groups") -> Tensor:
    """Return integer ids of shape (n,) in ``[0, n_classes)`` as a long tensor, or raise."""
    if ids.is_floating_point() or ids.dtype == torch.bool:
        raise LabelError(f"{owner} needs integer {what}; got dtype {ids.dtype}.")
    if ids.shape != (n,):
        raise ShapeError(f"{owner} needs {what} of shape ({n},); got {tuple(ids.shape)}.")
    ids = ids.long()
    if n and (int(ids.min()) < 0 or int(ids.max()) >= n_classes):
        bad = ids[(ids < 0) | (ids >= n_classes)].unique()[:5].tolist()
        raise LabelError(f"{owner}: {what} must lie in [0, {n_classes - 1}]; got {bad}.")
    return ids


@contextmanager
def batch_norm_guard(owner: str) -> Iterator[None]:
    """Turn batch norm's terse error for a training batch of one into an actionable one."""
    try:
        yield
    except ValueError as err:
        if "Expected more than 1 value per channel" not in str(err):
            raise
        raise ShapeError(
            f"{owner} uses batch norm, which needs more than one value per channel in training "
            "mode; got a batch of one. Use a larger batch (DataLoader(drop_last=True) avoids a "
            "last batch of one), norm='layer' or None, or call .eval() for inference."
        ) from err
