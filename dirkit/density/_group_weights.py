"""Renormalising sample weights within groups (local LDS of the group soft-label methods)."""

from __future__ import annotations

import numpy as np

from dirkit._validation import check_same_length, to_numpy
from dirkit.exceptions import ConfigError

__all__ = ["normalize_within_groups"]


def normalize_within_groups(weights: object, groups: object) -> np.ndarray:
    """Rescale weights so that they average 1 inside every group.

    The classifier of the group methods handles the imbalance between groups; weights
    renormalised per group leave only the imbalance within each group to LDS ("local LDS").
    The follow-up paper's eq. 6 multiplies by the smoothed density itself, which contradicts its
    own text and LDS; dirkit treats that as a typo and uses the inverse density.

    Parameters
    ----------
    weights : array-like of shape (n,)
        Positive sample weights (e.g. :func:`~dirkit.density.lds_weights`).
    groups : array-like of int, shape (n,)
        Group id of each sample.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> normalize_within_groups([1.0, 3.0, 5.0], [0, 0, 1]).tolist()
    [0.5, 1.5, 1.0]
    """
    w = to_numpy(weights).astype(np.float64)
    g = to_numpy(groups).astype(np.int64)
    check_same_length(weights=w, groups=g)
    if (w < 0).any() or not np.isfinite(w).all():
        raise ConfigError("weights must be finite and non-negative.")
    _, inverse = np.unique(g, return_inverse=True)
    sums = np.bincount(inverse, weights=w)
    counts = np.bincount(inverse)
    means = sums / counts
    if (means <= 0).any():
        raise ConfigError("a group has only zero weights; cannot renormalise it to mean 1.")
    return w / means[inverse]
