"""What the face-age data sets share: the split checksum, the ``limit`` subset, the splits container."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dirkit.datasets._base import DatasetSplits
from dirkit.datasets._text_embeddings import default_cache_dir
from dirkit.exceptions import ConfigError, LabelError

__all__ = ["SPLITS", "age_splits", "resolve_cache_dir", "split_sha256", "spread_rows"]

#: Split names, in the order the loaders report them.
SPLITS = ("train", "val", "test")


def split_sha256(names: Sequence[str], splits: Sequence[str]) -> str:
    """Checksum of a split: sha256 of the sorted lines ``"<name>\\t<split>\\n"`` (UTF-8).

    Two users who get the same value train and evaluate on exactly the same images.

    Examples
    --------
    >>> first = split_sha256(["b.jpg", "a.jpg"], ["test", "train"])
    >>> first == split_sha256(["a.jpg", "b.jpg"], ["train", "test"])  # the order does not matter
    True
    >>> split_sha256(["a.jpg"], ["train"])[:12]
    '151a6ef9e124'
    """
    if len(names) != len(splits):
        raise ConfigError(f"names and splits differ in length: {len(names)} and {len(splits)}.")
    lines = sorted(f"{name}\t{split}\n" for name, split in zip(names, splits, strict=True))
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def spread_rows(n: int, limit: int | None) -> np.ndarray:
    """The ``limit`` rows kept of ``n``, evenly spread: ``floor(i * n / limit)`` (all for ``None``).

    Examples
    --------
    >>> spread_rows(10, 4).tolist(), spread_rows(3, None).tolist()
    ([0, 2, 5, 7], [0, 1, 2])
    """
    if limit is None or limit >= n:
        return np.arange(n)
    return np.arange(limit, dtype=np.int64) * n // limit


def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None) -> Path:
    """``cache_dir``, or ``$XDG_CACHE_HOME/dirkit`` / ``~/.cache/dirkit`` read when called."""
    return Path(cache_dir) if cache_dir is not None else default_cache_dir()


def age_splits(
    name: str,
    images: np.ndarray,
    ages: np.ndarray,
    splits: np.ndarray,
    *,
    label_range: tuple[float, float],
    description: str,
    info: dict[str, object],
) -> DatasetSplits:
    """Cut aligned ``images``, ``ages`` and split names into a :class:`DatasetSplits` with 1-year bins.

    Ages at or above ``label_range[1]`` are clipped to ``label_range[1] - 1`` (the last bin); how
    many were clipped is recorded in ``info["n_clipped"]``. Every split must be non-empty.
    """
    low, high = label_range
    ages = np.asarray(ages, dtype=np.float64)
    if ages.size and ages.min() < low:
        raise LabelError(f"{name}: ages must be >= {low:g}; got {ages.min():g}.")
    clipped = ages > high - 1
    ages = np.where(clipped, high - 1, ages)
    parts = {split: np.flatnonzero(splits == split) for split in SPLITS}
    empty = [split for split, rows in parts.items() if rows.size == 0]
    if empty:
        raise ConfigError(f"{name}: the {', '.join(empty)} split(s) hold no image; use a larger limit.")
    return DatasetSplits(
        name=name,
        x_train=images[parts["train"]],
        y_train=ages[parts["train"]],
        x_val=images[parts["val"]],
        y_val=ages[parts["val"]],
        x_test=images[parts["test"]],
        y_test=ages[parts["test"]],
        bin_width=1.0,
        label_range=(float(low), float(high)),
        description=description,
        info={**info, "n_clipped": int(clipped.sum())},
    )
