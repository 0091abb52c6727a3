"""Contiguous groups (coarse classes) of fine bins: equal-width or equal-frequency."""

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

__all__ = ["LabelGrouper", "class_keep_probability", "equalize_histogram"]


@validate_params({"n_classes": [Interval(int, 1, None)]})
def equalize_histogram(counts: object, n_classes: int) -> np.ndarray:
    """Merge adjacent fine bins into at most ``n_classes`` classes of near-equal counts.

    Histogram equalisation of Pintea et al. (ICCV 2023, eq. 12): fine bin ``i`` goes to class
    ``ceil(C * cum_i / N) - 1``, where ``cum_i`` counts the samples in bins ``0..i``; the class
    ids are then renumbered ``0..C'-1``, so fewer than ``C`` classes result when one bin holds
    more than ``N / C`` samples. Empty leading bins join the first class.

    Parameters
    ----------
    counts : array-like of shape (n_bins,)
        Training samples per fine bin (non-negative, not all zero).
    n_classes : int
        Requested number of classes ``C``.

    Returns
    -------
    ndarray of shape (n_bins,)
        Class id of each fine bin, non-decreasing, every id in ``0..C'-1`` used.

    Examples
    --------
    >>> equalize_histogram([10, 10, 10, 10], 2).tolist()
    [0, 0, 1, 1]
    >>> equalize_histogram([0, 30, 5, 5], 4).tolist()  # a bin of 3/4 of the mass: 2 classes
    [0, 0, 1, 1]
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 1 or c.size == 0 or (c < 0).any() or c.sum() <= 0:
        raise ConfigError(
            f"counts must be a non-empty 1-D array of non-negative numbers with a positive sum; "
            f"got {np.asarray(counts)!r}."
        )
    cumulative = np.cumsum(c)
    raw = np.ceil(n_classes * cumulative / cumulative[-1] - 1e-12).astype(np.int64) - 1
    first_nonempty = int(np.flatnonzero(c > 0)[0])
    raw[:first_nonempty] = raw[first_nonempty]
    return np.unique(raw, return_inverse=True)[1].astype(np.int64)


def class_keep_probability(class_counts: object) -> np.ndarray:
    """Probability of keeping a sample's class target: ``min_c n_c / n_k`` (Pintea eq. 13).

    Empty classes get probability 0. A dropped sample keeps its regression loss; only its
    classification target is ignored.

    Examples
    --------
    >>> class_keep_probability([10, 20, 40]).tolist()
    [1.0, 0.5, 0.25]
    """
    n = np.asarray(class_counts, dtype=np.float64)
    nonempty = n > 0
    if not nonempty.any():
        raise ConfigError("class_counts has no non-empty class; fit on at least one sample.")
    keep = np.zeros_like(n)
    keep[nonempty] = n[nonempty].min() / n[nonempty]
    return keep


class LabelGrouper(BaseEstimator):
    """Split the label range into contiguous groups (coarse classes) of fine bins.

    Parameters
    ----------
    n_groups : int
        Requested number of groups ``G`` (Group-DIR default 10).
    strategy : {"uniform", "quantile"}
        ``"uniform"``: equal-width groups, ``g = floor((y - y_min) / width)`` over the training range
        when no ``binner`` is given (the papers' default), else equal runs of fine bins.
        ``"quantile"``: equal-frequency groups by histogram equalisation of the fine bins
        (:func:`equalize_histogram`; fewer than ``G`` groups may result).
    binner : UniformBinner, optional
        Fine bins to group. Defaults to ``UniformBinner(n_bins=n_groups)`` for ``"uniform"`` and to
        ``UniformBinner(n_bins=max(100, 4 * n_groups))`` for ``"quantile"``. It is cloned, never
        modified; a binner with an explicit ``range`` keeps that range.

    Attributes
    ----------
    binner_ : UniformBinner
        The fitted fine binner.
    bin_to_group_ : ndarray of shape (binner_.n_bins_,)
        Group of each fine bin.
    n_groups_ : int
        Number of groups actually formed.
    edges_ : ndarray of shape (n_groups_ + 1,)
        Group boundaries in label space.
    counts_ : ndarray of shape (n_groups_,)
        Training samples per group.
    means_ : ndarray of shape (n_groups_,)
        Mean training label per group (the midpoint for an empty group).
    keep_probability_ : ndarray of shape (n_groups_,)
        :func:`class_keep_probability` of ``counts_``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0.0, 1, 1, 2, 2, 2, 9, 10])
    >>> grouper = LabelGrouper(n_groups=2).fit(y)
    >>> grouper.transform(y).tolist(), grouper.counts_.tolist()
    ([0, 0, 0, 0, 0, 0, 1, 1], [6, 2])
    >>> grouper.inverse_transform([0, 1]).tolist()
    [1.3333333333333333, 9.5]
    """

    _parameter_constraints: ClassVar[dict[str, list[object]]] = {
        "n_groups": [Interval(int, 1, None)],
        "strategy": [OneOf(("uniform", "quantile"))],
        "binner": [UniformBinner, None],
    }

    def __init__(
        self,
        n_groups: int = 10,
        *,
        strategy: Literal["uniform", "quantile"] = "uniform",
        binner: UniformBinner | None = None,
    ) -> None:
        self.n_groups = n_groups
        self.strategy = strategy
        self.binner = binner

    def fit(self, y: object) -> LabelGrouper:
        """Fit the fine bins on ``y`` and merge them into groups."""
        validate_parameter_constraints(self._parameter_constraints, vars(self), "LabelGrouper")
        labels = check_labels(y)
        self.binner_ = self._fine_binner().fit(labels)
        n_bins = self.binner_.n_bins_
        if self.strategy == "quantile":
            self.bin_to_group_ = equalize_histogram(self.binner_.counts_, self.n_groups)
        else:
            if self.n_groups > n_bins:
                raise ConfigError(
                    f"LabelGrouper cannot make {self.n_groups} uniform groups from {n_bins} fine "
                    "bins; use fewer groups or a finer binner."
                )
            self.bin_to_group_ = np.arange(n_bins) * self.n_groups // n_bins
        self.n_groups_ = int(self.bin_to_group_.max()) + 1
        starts = np.searchsorted(self.bin_to_group_, np.arange(self.n_groups_))
        self.edges_ = np.append(self.binner_.edges_[starts], self.binner_.edges_[-1])
        groups = self.bin_to_group_[self.binner_.transform(labels)]
        self.counts_ = np.bincount(groups, minlength=self.n_groups_)
        self.midpoints_ = interval_midpoints(self.edges_)
        self.means_ = class_means(labels, groups, self.n_groups_, fallback=self.midpoints_)
        self.keep_probability_ = class_keep_probability(self.counts_)
        return self

    def _fine_binner(self) -> UniformBinner:
        if self.binner is not None:
            return clone(self.binner)
        if self.strategy == "uniform":
            return UniformBinner(n_bins=self.n_groups)
        return UniformBinner(n_bins=max(100, 4 * self.n_groups))

    def transform(self, y: object) -> np.ndarray:
        """Group id of each label (out-of-range labels are clipped into the end groups)."""
        check_is_fitted(self, ["bin_to_group_"])
        return self.bin_to_group_[self.binner_.transform(y)]

    def fit_transform(self, y: object) -> np.ndarray:
        """Fit on ``y`` and return its group ids."""
        return self.fit(y).transform(y)

    def inverse_transform(
        self, groups: object, *, value: Literal["mean", "midpoint"] = "mean"
    ) -> np.ndarray:
        """Map group ids back to label values: the group's mean training label or its midpoint."""
        check_is_fitted(self, ["bin_to_group_"])
        if value not in ("mean", "midpoint"):
            raise ConfigError(f"value must be 'mean' or 'midpoint'; got {value!r}.")
        table = self.means_ if value == "mean" else self.midpoints_
        ids = np.asarray(groups, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.n_groups_):
            raise ConfigError(
                f"group ids must lie in [0, {self.n_groups_ - 1}]; got min {ids.min()}, "
                f"max {ids.max()}."
            )
        return table[ids]
