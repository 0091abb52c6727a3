"""Fine, equal-width bins over a continuous label range."""

from __future__ import annotations

import math
import warnings
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from dirkit._validation import (
    Interval,
    check_is_fitted,
    check_labels,
    validate_parameter_constraints,
)
from dirkit.exceptions import ConfigError, LabelRangeWarning

__all__ = ["MAX_BINS", "UniformBinner"]

DEFAULT_N_BINS = 100
#: Most bins a binner makes; a finer binning (a typo such as ``width=1e-9``) is refused.
MAX_BINS = 1_000_000

# Labels within this fraction of a bin width below an edge are put in the bin above it, so that
# decimal labels such as 0.3 land in [0.3, 0.4) although 0.3 / 0.1 == 2.9999999999999996.
_EDGE_TOLERANCE = 1e-9


class UniformBinner(BaseEstimator):
    """Equal-width bins over a given or fitted label range.

    Give either ``width`` or ``n_bins`` (or neither: 100 bins over the training range). Bins are
    half-open ``[edge_i, edge_i+1)``; the top edge of the range belongs to the last bin. Labels
    outside the range are clipped into the end bins, counted in ``n_clipped_`` and reported with
    one :class:`~dirkit.exceptions.LabelRangeWarning` per call.

    Parameters
    ----------
    width : float, optional
        Bin width. With a fitted range, the first bin starts at ``min(y)`` and bins are added until
        ``max(y)`` lies strictly inside one, so integer labels with ``width=1`` get one bin each.
    n_bins : int, optional
        Number of bins; with a fitted range they span exactly ``[min(y), max(y)]``.
    range : tuple of (float, float), optional
        ``(low, high)`` of the binned label space; fitted from the training labels when omitted.

    Raises
    ------
    ConfigError
        From :meth:`fit`, for conflicting or invalid parameters, or when ``width`` or ``n_bins``
        would make more than :data:`MAX_BINS` bins over the label range.

    Attributes
    ----------
    edges_ : ndarray of shape (n_bins_ + 1,)
        Bin edges.
    counts_ : ndarray of shape (n_bins_,)
        Training labels per bin.
    n_bins_ : int
        Number of bins.
    range_ : tuple of (float, float)
        The binned range, ``(edges_[0], edges_[-1])``.
    n_clipped_ : int
        Training labels that fell outside ``range`` and were clipped.

    Notes
    -----
    The DIR reference code bins STS-B scores with ``np.histogram`` edges, which puts a label equal
    to a decimal edge (0.3 with width 0.1) into the bin below because of floating point. dirkit
    puts it in the bin that starts at that edge, as the interval notation says.

    Examples
    --------
    >>> import numpy as np
    >>> binner = UniformBinner(width=1.0, range=(0, 121)).fit(np.array([3.0, 3.5, 40.0]))
    >>> binner.n_bins_, binner.transform(np.array([0.0, 3.9, 120.9, 121.0])).tolist()
    (121, [0, 3, 120, 120])
    >>> int(binner.counts_[3])
    2
    """

    _parameter_constraints: ClassVar[dict[str, list[object]]] = {
        "width": [Interval(float, 0, None, closed="neither"), None],
        "n_bins": [Interval(int, 1, None), None],
        "range": [tuple, list, None],
    }

    def __init__(
        self,
        width: float | None = None,
        n_bins: int | None = None,
        range: tuple[float, float] | None = None,
    ) -> None:
        self.width = width
        self.n_bins = n_bins
        self.range = range

    # ------------------------------------------------------------------ fitting
    def fit(self, y: object) -> UniformBinner:
        """Set the edges (from ``range`` or the labels) and count the training labels per bin."""
        self._validate_params()
        labels = check_labels(y)
        low, high = self._resolve_range(labels)
        self.edges_ = self._make_edges(low, high, fitted_range=self.range is None)
        self.n_bins_ = len(self.edges_) - 1
        self.range_ = (float(self.edges_[0]), float(self.edges_[-1]))
        ids, self.n_clipped_ = self._assign(labels)
        self.counts_ = np.bincount(ids, minlength=self.n_bins_)
        self._warn_clipped(self.n_clipped_, labels, "training labels")
        return self

    def _validate_params(self) -> None:
        validate_parameter_constraints(
            self._parameter_constraints, vars(self), type(self).__name__
        )
        if self.width is not None and self.n_bins is not None:
            raise ConfigError(
                "UniformBinner takes either 'width' or 'n_bins', not both; "
                f"got width={self.width!r} and n_bins={self.n_bins!r}."
            )
        if self.range is not None:
            ok = len(self.range) == 2 and all(
                isinstance(v, (int, float, np.number)) and math.isfinite(v) for v in self.range
            )
            if not ok or not self.range[0] < self.range[1]:
                raise ConfigError(
                    "The 'range' parameter of UniformBinner must be a pair (low, high) of finite "
                    f"numbers with low < high. Got {self.range!r} instead."
                )

    def _resolve_range(self, labels: np.ndarray) -> tuple[float, float]:
        if self.range is not None:
            return float(self.range[0]), float(self.range[1])
        return float(labels.min()), float(labels.max())

    def _too_many_bins(self, n: float, low: float, high: float) -> ConfigError:
        which = f"width={self.width!r}" if self.width is not None else f"n_bins={self.n_bins!r}"
        source = "the given range" if self.range is not None else "the training labels' range"
        shown = f"{n:,.0f}" if math.isfinite(n) else "infinitely many"
        fix = (f"use width >= {(high - low) / MAX_BINS:.3g}" if self.width is not None and
               math.isfinite(high - low) else "use fewer bins or a narrower range")
        return ConfigError(
            f"UniformBinner({which}) would make {shown} bins over {source} [{low:g}, {high:g}]; "
            f"at most {MAX_BINS:,} are allowed: {fix}."
        )

    def _make_edges(self, low: float, high: float, *, fitted_range: bool) -> np.ndarray:
        if self.width is None:
            n = self.n_bins or DEFAULT_N_BINS
            if n > MAX_BINS:
                raise self._too_many_bins(n, low, high)
            if high <= low:  # constant labels: the bins span one unit above them
                high = low + 1.0
            return np.linspace(low, high, n + 1)
        span = (high - low) / self.width
        if not span <= MAX_BINS:  # also catches an infinite span (a range near the float limits)
            raise self._too_many_bins(span, low, high)
        if fitted_range:  # the maximum label must lie inside the last bin, not on its top edge
            n = math.floor(span + _EDGE_TOLERANCE) + 1
        else:
            n = max(1, math.ceil(span - _EDGE_TOLERANCE))
        return low + self.width * np.arange(n + 1)

    # ------------------------------------------------------------------ transforming
    def transform(self, y: object) -> np.ndarray:
        """Return the bin id (int64 in ``[0, n_bins_)``) of each label; out-of-range labels are clipped."""
        check_is_fitted(self, ["edges_"])
        labels = check_labels(y)
        ids, n_clipped = self._assign(labels)
        self._warn_clipped(n_clipped, labels, "labels")
        return ids

    def fit_transform(self, y: object) -> np.ndarray:
        """Fit on ``y`` and return its bin ids."""
        return self.fit(y).transform(y)

    def _assign(self, labels: np.ndarray) -> tuple[np.ndarray, int]:
        low, high = self.range_
        width = (high - low) / self.n_bins_
        position = (labels - low) / width
        ids = np.floor(position + _EDGE_TOLERANCE).astype(np.int64)
        # the top edge belongs to the last bin; anything further out is clipped and counted
        outside = (labels < low - _EDGE_TOLERANCE * width) | (
            labels > high + _EDGE_TOLERANCE * width
        )
        return np.clip(ids, 0, self.n_bins_ - 1), int(outside.sum())

    def _warn_clipped(self, n_clipped: int, labels: np.ndarray, what: str) -> None:
        if n_clipped:
            warnings.warn(
                f"{n_clipped} {what} outside the binned range [{self.range_[0]:g}, "
                f"{self.range_[1]:g}] (min {labels.min():g}, max {labels.max():g}) were clipped "
                "into the end bins; pass a wider `range` to UniformBinner to keep them apart.",
                LabelRangeWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------------------ helpers
    @property
    def bin_centers_(self) -> np.ndarray:
        """Midpoint of each bin."""
        check_is_fitted(self, ["edges_"])
        return (self.edges_[:-1] + self.edges_[1:]) / 2

    @property
    def bin_width_(self) -> float:
        """Width of every bin."""
        check_is_fitted(self, ["edges_"])
        return float(self.edges_[1] - self.edges_[0])

    def count(self, y: object) -> np.ndarray:
        """Count labels per bin (shape ``(n_bins_,)``) with the fitted edges."""
        return np.bincount(self.transform(y), minlength=self.n_bins_)
