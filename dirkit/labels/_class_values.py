"""Class -> label value maps shared by groups and hierarchies."""

from __future__ import annotations

import numpy as np

__all__ = ["class_means", "interval_midpoints"]


def interval_midpoints(edges: np.ndarray) -> np.ndarray:
    """Midpoint of each interval ``[edges[i], edges[i + 1])``."""
    return (edges[:-1] + edges[1:]) / 2


def class_means(
    labels: np.ndarray, classes: np.ndarray, n_classes: int, *, fallback: np.ndarray
) -> np.ndarray:
    """Mean label of each class; ``fallback[c]`` (usually the midpoint) for an empty class.

    Examples
    --------
    >>> class_means(np.array([1.0, 3.0, 10.0]), np.array([0, 0, 2]), 3,
    ...             fallback=np.array([-1.0, -2.0, -3.0])).tolist()
    [2.0, -2.0, 10.0]
    """
    counts = np.bincount(classes, minlength=n_classes)
    sums = np.bincount(classes, weights=labels, minlength=n_classes)
    means = np.asarray(fallback, dtype=np.float64).copy()
    nonempty = counts > 0
    means[nonempty] = sums[nonempty] / counts[nonempty]
    return means
