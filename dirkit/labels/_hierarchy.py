"""Hierarchical class splits for HCA (Xiong & Yao, CVPR 2024)."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from sklearn.base import BaseEstimator, clone

from dirkit._validation import (
    Interval,
    OneOf,
    check_is_fitted,
    check_labels,
    validate_parameter_constraints,
    validate_params,
)
from dirkit.exceptions import ConfigError
from dirkit.labels._binning import UniformBinner
from dirkit.labels._class_values import class_means, interval_midpoints

__all__ = ["HierarchicalSplit", "split_contiguous", "transition_matrix"]

Balance = Literal["count", "sqrt_count", "length"]


@validate_params({"n_classes": [Interval(int, 1, None)]})
def split_contiguous(mass: object, n_classes: int) -> np.ndarray:
    """Cut a sequence of bins into exactly ``n_classes`` contiguous, non-empty runs of equal mass.

    Cut ``c`` is placed where the cumulative mass is closest to ``c / C`` of the total (HCA:
    "the value closest to the median", quartiles, ...), then cuts are pushed apart so that every
    class holds at least one bin.

    Parameters
    ----------
    mass : array-like of shape (n_bins,)
        Non-negative mass of each bin (count, sqrt of count, or 1 for equal length).
    n_classes : int
        Number of classes; at most ``n_bins``.

    Returns
    -------
    ndarray of shape (n_bins,)
        Class of each bin, non-decreasing from 0 to ``n_classes - 1`` with every class used.

    Examples
    --------
    >>> split_contiguous([1, 1, 1, 1, 4, 4, 4, 4], 2).tolist()
    [0, 0, 0, 0, 0, 1, 1, 1]
    >>> split_contiguous([100, 0, 0, 0], 4).tolist()  # every class keeps one bin
    [0, 1, 2, 3]
    """
    m = np.asarray(mass, dtype=np.float64)
    n_bins = m.size
    if m.ndim != 1 or (m < 0).any():
        raise ConfigError(f"mass must be a 1-D array of non-negative numbers; got {m!r}.")
    if n_classes > n_bins:
        raise ConfigError(f"Cannot split {n_bins} bins into {n_classes} non-empty classes.")
    if n_classes == 1:
        return np.zeros(n_bins, dtype=np.int64)
    cumulative = np.cumsum(m)  # cumulative[j - 1] = mass of bins 0..j-1
    total = cumulative[-1] if cumulative[-1] > 0 else 1.0
    targets = np.arange(1, n_classes) * total / n_classes
    # candidate cut j (1 <= j < n_bins) puts bins 0..j-1 before it
    gaps = np.abs(cumulative[None, :-1] - targets[:, None])
    cuts = np.concatenate([[0], 1 + np.argmin(gaps, axis=1), [n_bins]])
    for c in range(1, n_classes):  # at least one bin per class, scanning forwards...
        cuts[c] = max(cuts[c], cuts[c - 1] + 1)
    for c in range(n_classes - 1, 0, -1):  # ... and backwards from the top
        cuts[c] = min(cuts[c], cuts[c + 1] - 1)
    return np.repeat(np.arange(n_classes), np.diff(cuts)).astype(np.int64)


def transition_matrix(fine_to_coarse: object, n_coarse: int) -> np.ndarray:
    """0/1 matrix ``T`` of shape (n_coarse, n_fine) with ``T[v, u] = 1`` iff fine class u is in v.

    Examples
    --------
    >>> transition_matrix([0, 0, 1], 2).tolist()
    [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    mapping = np.asarray(fine_to_coarse, dtype=np.int64)
    matrix = np.zeros((n_coarse, mapping.size))
    matrix[mapping, np.arange(mapping.size)] = 1.0
    return matrix


class HierarchicalSplit(BaseEstimator):
    """The class hierarchy of HCA: coarse levels of ``2^h`` classes over the fine bins.

    Level ``h = 1 .. n_levels - 1`` has ``2^h`` contiguous classes; the last level is the fine
    bins themselves (``C_H = binner.n_bins_`` classes). HCA uses ``n_levels=7`` with 121 one-year
    age bins.

    Parameters
    ----------
    n_levels : int
        Number of levels ``H``; needs ``2^(H-1) <= n_bins``.
    balance : {"count", "sqrt_count", "length"}
        What each coarse class equalises: training samples (the paper's "E-Num"), the sum of
        sqrt-counts (the authors' code), or interval length ("E-Len").
    binner : UniformBinner, optional
        The fine bins (cloned). Defaults to ``UniformBinner()`` (100 bins over the training range).

    Attributes
    ----------
    binner_ : UniformBinner
    level_sizes_ : list of int
        Classes per level, coarse to fine: ``[2, 4, ..., 2^(H-1), n_bins]``.
    fine_to_coarse_ : list of ndarray of shape (n_bins,)
        Class of each fine bin at each level (the last is the identity).
    transition_matrices_ : list of ndarray of shape (level_sizes_[h], n_bins)
        ``T_{h,H}`` for each level (:func:`transition_matrix`).
    counts_ : list of ndarray
        Training samples per class at each level.
    means_ : list of ndarray
        Mean training label per class at each level (the midpoint for an empty class).
    midpoints_ : list of ndarray
        Interval midpoint per class at each level.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).exponential(10, size=1000)
    >>> split = HierarchicalSplit(n_levels=3, binner=UniformBinner(n_bins=16)).fit(y)
    >>> split.level_sizes_, split.transform(y[:2]).shape
    ([2, 4, 16], (2, 3))
    """

    _parameter_constraints: ClassVar[dict[str, list[object]]] = {
        "n_levels": [Interval(int, 1, None)],
        "balance": [OneOf(("count", "sqrt_count", "length"))],
        "binner": [UniformBinner, None],
    }

    def __init__(
        self,
        n_levels: int = 7,
        *,
        balance: Balance = "count",
        binner: UniformBinner | None = None,
    ) -> None:
        self.n_levels = n_levels
        self.balance = balance
        self.binner = binner

    def fit(self, y: object) -> HierarchicalSplit:
        """Fit the fine bins on ``y`` and split them at every coarse level."""
        validate_parameter_constraints(self._parameter_constraints, vars(self), "HierarchicalSplit")
        labels = check_labels(y)
        self.binner_ = clone(self.binner) if self.binner is not None else UniformBinner()
        self.binner_.fit(labels)
        n_bins = self.binner_.n_bins_
        if 2 ** (self.n_levels - 1) > n_bins:
            raise ConfigError(
                f"HierarchicalSplit with n_levels={self.n_levels} needs at least "
                f"2^{self.n_levels - 1}={2 ** (self.n_levels - 1)} fine bins; the binner has "
                f"{n_bins}. Use n_levels <= {int(np.log2(n_bins)) + 1} or more bins."
            )
        counts = self.binner_.counts_.astype(np.float64)
        mass = {"count": counts, "sqrt_count": np.sqrt(counts), "length": np.ones(n_bins)}
        self.fine_to_coarse_ = [
            split_contiguous(mass[self.balance], 2**h) for h in range(1, self.n_levels)
        ]
        self.fine_to_coarse_.append(np.arange(n_bins, dtype=np.int64))
        self.level_sizes_ = [int(m.max()) + 1 for m in self.fine_to_coarse_]
        self.transition_matrices_ = [
            transition_matrix(mapping, size)
            for mapping, size in zip(self.fine_to_coarse_, self.level_sizes_, strict=True)
        ]
        fine = self.binner_.transform(labels)
        self.counts_, self.means_, self.midpoints_ = [], [], []
        for mapping, size in zip(self.fine_to_coarse_, self.level_sizes_, strict=True):
            starts = np.searchsorted(mapping, np.arange(size))
            edges = np.append(self.binner_.edges_[starts], self.binner_.edges_[-1])
            classes = mapping[fine]
            self.counts_.append(np.bincount(classes, minlength=size))
            self.midpoints_.append(interval_midpoints(edges))
            self.means_.append(class_means(labels, classes, size, fallback=self.midpoints_[-1]))
        return self

    def transform(self, y: object) -> np.ndarray:
        """Class of each label at every level: int array of shape (n, n_levels), coarse to fine."""
        check_is_fitted(self, ["fine_to_coarse_"])
        fine = self.binner_.transform(y)
        return np.stack([mapping[fine] for mapping in self.fine_to_coarse_], axis=1)

    def fit_transform(self, y: object) -> np.ndarray:
        """Fit on ``y`` and return its classes at every level."""
        return self.fit(y).transform(y)
