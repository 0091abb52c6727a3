"""From one ``(X, y)`` to what the engine trains on: validation rows and label bins."""

from __future__ import annotations

import math

import numpy as np

from dirkit.exceptions import LabelError

__all__ = ["MIN_TRAIN_SAMPLES", "label_bins", "validation_split"]

MIN_TRAIN_SAMPLES = 2  # label statistics and batch normalisation need two rows


def validation_split(
    n_samples: int, fraction: float, rng: np.random.RandomState, *, owner: str = "DIRRegressor"
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded ``(train_rows, val_rows)``: ``ceil(fraction * n)`` random rows validate.

    With ``fraction == 0`` every row trains and ``val_rows`` is empty.

    Examples
    --------
    >>> train, val = validation_split(10, 0.2, np.random.RandomState(0))
    >>> len(train), len(val), sorted([*train, *val]) == list(range(10))
    (8, 2, True)
    """
    n_val = math.ceil(fraction * n_samples) if fraction > 0 else 0
    if n_samples - n_val < MIN_TRAIN_SAMPLES:
        needed = MIN_TRAIN_SAMPLES + (1 if fraction > 0 else 0)
        detail = f" with validation_fraction={fraction}" if fraction > 0 else ""
        noun = "sample" if n_samples == 1 else "samples"
        raise LabelError(
            f"{owner} needs at least {needed} samples{detail} ({MIN_TRAIN_SAMPLES} to train on); "
            f"got {n_samples} {noun}. Pass more rows or lower validation_fraction."
        )
    if n_val == 0:
        return np.arange(n_samples), np.arange(0)
    order = rng.permutation(n_samples)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def label_bins(
    y: np.ndarray, *, n_bins: int, bin_width: float | None
) -> tuple[float, tuple[float, float]]:
    """``(bin_width, label_range)`` of fine bins covering every label in ``y``.

    With ``bin_width`` the first bin starts at ``min(y)`` and bins are added until ``max(y)``
    lies inside one (integer labels with width 1 get a bin each); otherwise ``n_bins`` bins
    span ``[min(y), max(y)]`` exactly (one unit above constant labels).

    Examples
    --------
    >>> label_bins(np.array([0.0, 2.0, 10.0]), n_bins=5, bin_width=None)
    (2.0, (0.0, 10.0))
    >>> label_bins(np.array([3.0, 7.0]), n_bins=100, bin_width=1.0)
    (1.0, (3.0, 8.0))
    """
    low, high = float(y.min()), float(y.max())
    if bin_width is None:
        if high <= low:
            high = low + 1.0
        return (high - low) / n_bins, (low, high)
    n = math.floor((high - low) / bin_width + 1e-9) + 1
    return float(bin_width), (low, low + n * bin_width)
