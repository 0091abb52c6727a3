"""Shot regions: many / medium / few / zero-shot bins from training counts."""

from __future__ import annotations

import numpy as np

from dirkit._validation import Interval, check_is_fitted, validate_params
from dirkit.exceptions import ConfigError
from dirkit.labels._binning import UniformBinner

__all__ = ["SHOTS", "bin_shots", "sample_shots", "zero_shot_regions"]

#: Shot regions in table order. ``"zero"`` bins (no training sample) are reported separately;
#: the reference code counts them as few-shot, which dirkit reports as ``"few_incl_zero"``.
SHOTS = ("many", "medium", "few", "zero")


@validate_params({"many": [Interval(int, 0, None)], "few": [Interval(int, 0, None)]})
def bin_shots(train_counts: object, *, many: int = 100, few: int = 20) -> np.ndarray:
    """Shot region of each bin from its training count.

    ``"many"`` if count > ``many``, ``"few"`` if 0 < count < ``few``, ``"zero"`` if count == 0,
    ``"medium"`` otherwise (the DIR benchmark rule, Yang et al. 2021).

    Parameters
    ----------
    train_counts : array-like of shape (n_bins,)
        Training samples per bin.
    many, few : int
        Thresholds; ``few <= many + 1`` so that the regions do not overlap.

    Returns
    -------
    ndarray of str, shape (n_bins,)

    Examples
    --------
    >>> bin_shots([0, 5, 20, 100, 101]).tolist()
    ['zero', 'few', 'medium', 'medium', 'many']
    """
    if few > many + 1:
        raise ConfigError(
            f"few-shot threshold {few} exceeds the many-shot threshold {many} + 1: a count could "
            "be both; choose few <= many + 1."
        )
    counts = np.asarray(train_counts)
    if counts.ndim != 1 or (counts < 0).any():
        raise ConfigError(f"train_counts must be a 1-D array of counts >= 0; got {counts!r}.")
    shots = np.full(counts.shape, "medium", dtype="<U6")
    shots[counts > many] = "many"
    shots[counts < few] = "few"
    shots[counts == 0] = "zero"
    return shots


def zero_shot_regions(train_counts: object) -> tuple[np.ndarray, np.ndarray]:
    """Split the zero-shot bins into interpolation and extrapolation regions.

    A bin with no training sample is an **interpolation** bin when it lies between the first and
    the last bin that have training samples (a gap inside the training label range), and an
    **extrapolation** bin otherwise (beyond the training range: a model must extend the trend).

    Parameters
    ----------
    train_counts : array-like of shape (n_bins,)
        Training samples per bin, in label order.

    Returns
    -------
    interpolation, extrapolation : ndarray of bool, shape (n_bins,)
        Disjoint masks whose union is ``train_counts == 0``.

    Examples
    --------
    >>> inside, outside = zero_shot_regions([0, 3, 0, 5, 0, 0])
    >>> inside.tolist(), outside.tolist()
    ([False, False, True, False, False, False], [True, False, False, False, True, True])
    """
    counts = np.asarray(train_counts)
    if counts.ndim != 1 or (counts < 0).any():
        raise ConfigError(f"train_counts must be a 1-D array of counts >= 0; got {counts!r}.")
    zero = counts == 0
    seen = np.flatnonzero(~zero)
    inside = np.zeros_like(zero)
    if seen.size:
        inside[seen[0] : seen[-1] + 1] = True
    return zero & inside, zero & ~inside


def sample_shots(
    y: object, binner: UniformBinner, *, many: int = 100, few: int = 20
) -> np.ndarray:
    """Shot region of each label in ``y``, from the training counts of a fitted ``binner``.

    Examples
    --------
    >>> import numpy as np
    >>> binner = UniformBinner(width=1.0, range=(0, 3)).fit(np.repeat([0.0, 1.0], [150, 30]))
    >>> sample_shots(np.array([0.5, 1.5, 2.5]), binner).tolist()
    ['many', 'medium', 'zero']
    """
    check_is_fitted(binner, ["counts_"])
    return bin_shots(binner.counts_, many=many, few=few)[binner.transform(y)]
