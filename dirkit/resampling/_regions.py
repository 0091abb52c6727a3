"""Split samples into contiguous rare and common regions of the target ("bumps" in UBL)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dirkit._validation import Interval, validate_params
from dirkit.exceptions import ShapeError

__all__ = ["Region", "split_regions"]


@dataclass(frozen=True, eq=False)
class Region:
    """A run of consecutive sorted targets that are all rare or all common.

    Attributes
    ----------
    indices : ndarray of shape (m,)
        Positions of the region's samples in the input, sorted by target (stable).
    rare : bool
        Whether the region's relevance is at or above the threshold.
    low, high : float
        Smallest and largest target in the region.

    Examples
    --------
    >>> region = split_regions(np.array([1.0, 9.0]), np.array([0.0, 1.0]))[1]
    >>> region.rare, region.n_samples, region.indices.tolist()
    (True, 1, [1])
    """

    indices: np.ndarray
    rare: bool
    low: float
    high: float

    @property
    def n_samples(self) -> int:
        """Number of samples in the region."""
        return int(self.indices.size)

    def __repr__(self) -> str:
        kind = "rare" if self.rare else "common"
        return f"Region({kind}, n_samples={self.n_samples}, low={self.low:.6g}, high={self.high:.6g})"


@validate_params({"threshold": [Interval(float, 0, 1)]})
def split_regions(y: np.ndarray, relevance: np.ndarray, *, threshold: float = 0.5) -> list[Region]:
    """Split samples into maximal runs of sorted targets on one side of ``threshold``.

    A sample is rare when ``relevance >= threshold``. Sorting the targets and cutting wherever the
    rare flag changes gives the regions of UBL's resamplers: a two-tailed relevance usually gives
    three regions (rare low, common, rare high).

    Parameters
    ----------
    y : ndarray of shape (n,)
        Targets (the relevance source for multi-output targets).
    relevance : ndarray of shape (n,)
        Relevance of each sample.
    threshold : float
        Relevance at or above which a sample is rare.

    Returns
    -------
    list of Region
        In increasing target order; their indices partition ``range(n)``.

    Examples
    --------
    >>> y = np.array([5.0, 0.0, 1.0, 9.0, 2.0])
    >>> phi = np.array([0.0, 1.0, 0.2, 1.0, 0.1])
    >>> [(r.rare, r.indices.tolist()) for r in split_regions(y, phi)]
    [(True, [1]), (False, [2, 4, 0]), (True, [3])]
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    relevance = np.asarray(relevance, dtype=np.float64).ravel()
    if y.shape != relevance.shape:
        raise ShapeError(
            f"y and relevance must have the same shape: y has shape {y.shape}, relevance has "
            f"shape {relevance.shape}."
        )
    if y.size == 0:
        return []
    order = np.argsort(y, kind="stable")
    rare = relevance[order] >= threshold
    cuts = np.flatnonzero(rare[1:] != rare[:-1]) + 1
    starts = np.r_[0, cuts]
    ends = np.r_[cuts, y.size]
    return [
        Region(
            indices=order[s:e],
            rare=bool(rare[s]),
            low=float(y[order[s]]),
            high=float(y[order[e - 1]]),
        )
        for s, e in zip(starts, ends, strict=True)
    ]
