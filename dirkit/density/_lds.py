"""Label distribution smoothing (LDS) and the re-weighting it drives (Yang et al., ICML 2021)."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from scipy.ndimage import convolve1d
from sklearn.base import BaseEstimator, clone

from dirkit._validation import (
    Interval,
    OneOf,
    check_is_fitted,
    check_labels,
    validate_parameter_constraints,
)
from dirkit.density._kernels import KERNELS, KernelName, kernel_window
from dirkit.exceptions import ConfigError
from dirkit.labels import UniformBinner

__all__ = ["LDSWeights", "lds_weights", "smooth_bins"]

Reweight = Literal["none", "inverse", "sqrt_inv"]
Padding = Literal["constant", "reflect"]


def smooth_bins(
    values: object,
    *,
    kernel: KernelName = "gaussian",
    ks: int = 5,
    sigma: float = 2.0,
    padding: Padding = "constant",
) -> np.ndarray:
    """Convolve per-bin values with the peak-normalised LDS window.

    Parameters
    ----------
    values : array-like of shape (n_bins,)
        Per-bin values (counts, or their square roots).
    kernel, ks, sigma :
        The window (:func:`~dirkit.density.kernel_window` with ``normalize="peak"``).
    padding : {"constant", "reflect"}
        ``"constant"`` pads with zeros (the reference code); ``"reflect"`` mirrors the end bins.

    Returns
    -------
    ndarray of shape (n_bins,)

    Examples
    --------
    >>> smooth_bins([0.0, 0.0, 4.0, 0.0, 0.0], kernel="triangular", ks=3).tolist()
    [0.0, 2.0, 4.0, 2.0, 0.0]
    """
    if padding not in ("constant", "reflect"):
        raise ConfigError(f"padding must be 'constant' or 'reflect'; got {padding!r}.")
    window = kernel_window(kernel, ks, sigma, normalize="peak")
    return convolve1d(np.asarray(values, dtype=np.float64), window, mode=padding, cval=0.0)


class LDSWeights(BaseEstimator):
    """Per-sample weights from the (LDS-smoothed) label density, mean 1 on the training set.

    The per-bin value is the training count (``"inverse"``, optionally clipped to ``clip``) or its
    square root (``"sqrt_inv"``); with ``lds=True`` it is smoothed by :func:`smooth_bins`; each
    sample's weight is 1 / the value of its bin, rescaled so that the training weights average 1.

    Note the order of operations, which follows the reference code: for ``"sqrt_inv"`` the square
    root is taken **before** smoothing, so the SQINV+LDS weight is ``1 / (k * sqrt(n))`` and not
    ``1 / sqrt(k * n)``. The reference clips counts to ``(5, 1000)`` for ``"inverse"`` on age data
    (``clip=(5, 1000)``), empty bins included (they count as 5 before smoothing).

    Parameters
    ----------
    binner : UniformBinner, optional
        Bins the labels. An unfitted binner is cloned and fitted on the training labels; a fitted
        one keeps its edges. Defaults to ``UniformBinner()`` (100 bins over the training range).
    reweight : {"sqrt_inv", "inverse", "none"}
        ``"none"`` gives every sample weight 1.
    lds : bool
        Smooth the per-bin values before inverting them.
    kernel, ks, sigma :
        LDS window (defaults gaussian, 5, 2 as in the paper).
    clip : tuple of (float, float), optional
        Clip the per-bin counts to ``[low, high]`` before the square root / smoothing.
    padding : {"constant", "reflect"}
        Boundary handling of the smoothing; zeros by default, as in the reference.

    Attributes
    ----------
    binner_ : UniformBinner
    density_ : ndarray of shape (n_bins,)
        The per-bin value that is inverted (smoothed when ``lds=True``).
    bin_weights_ : ndarray of shape (n_bins,)
        Weight of a sample in each bin (0 where ``density_`` is 0).
    weights_ : ndarray of shape (n_train,)
        Training sample weights; their mean is 1.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.repeat([0.5, 1.5, 2.5], [100, 25, 4])
    >>> w = LDSWeights(binner=UniformBinner(width=1.0), reweight="inverse", lds=False).fit(y)
    >>> round(float(w.weights_.mean()), 6), bool(w.weights_[-1] > w.weights_[0])
    (1.0, True)
    """

    _parameter_constraints: ClassVar[dict[str, list[object]]] = {
        "binner": [UniformBinner, None],
        "reweight": [OneOf(("none", "inverse", "sqrt_inv"))],
        "lds": ["boolean"],
        "kernel": [OneOf(KERNELS)],
        "ks": [Interval(int, 1, None)],
        "sigma": [Interval(float, 0, None, closed="neither")],
        "clip": [tuple, list, None],
        "padding": [OneOf(("constant", "reflect"))],
    }

    def __init__(
        self,
        *,
        binner: UniformBinner | None = None,
        reweight: Reweight = "sqrt_inv",
        lds: bool = True,
        kernel: KernelName = "gaussian",
        ks: int = 5,
        sigma: float = 2.0,
        clip: tuple[float, float] | None = None,
        padding: Padding = "constant",
    ) -> None:
        self.binner = binner
        self.reweight = reweight
        self.lds = lds
        self.kernel = kernel
        self.ks = ks
        self.sigma = sigma
        self.clip = clip
        self.padding = padding

    def fit(self, y: object, sample_weight: object = None) -> LDSWeights:
        """Estimate the per-bin density of the training labels ``y`` and their weights.

        ``sample_weight`` (optional, non-negative, one per label) counts each label with its
        weight in the histogram, so a weight of 2 acts as a repeated row and 0 as a removed one;
        ``weights_`` then average 1 weighted by ``sample_weight``. It does not multiply
        ``weights_``: a caller combines the two.
        """
        validate_parameter_constraints(self._parameter_constraints, vars(self), "LDSWeights")
        if self.clip is not None and not (len(self.clip) == 2 and 0 <= self.clip[0] <= self.clip[1]):
            raise ConfigError(
                f"The 'clip' parameter of LDSWeights must be a pair (low, high) with "
                f"0 <= low <= high. Got {self.clip!r} instead."
            )
        labels = check_labels(y)
        self.binner_ = _fitted_binner(self.binner, labels)
        bins = self.binner_.transform(labels)
        given = None if sample_weight is None else _check_sample_weight(sample_weight, len(labels))
        counts = np.bincount(bins, weights=given, minlength=self.binner_.n_bins_).astype(np.float64)
        if self.clip is not None:
            counts = np.clip(counts, self.clip[0], self.clip[1])
        values = np.sqrt(counts) if self.reweight == "sqrt_inv" else counts
        if self.lds:
            values = smooth_bins(
                values, kernel=self.kernel, ks=self.ks, sigma=self.sigma, padding=self.padding
            )
        self.density_ = values
        if self.reweight == "none":
            self.bin_weights_ = np.ones_like(values)
        else:
            inverse = np.zeros_like(values)
            np.divide(1.0, values, out=inverse, where=values > 0)
            self.bin_weights_ = inverse / np.average(inverse[bins], weights=given)
        self.weights_ = self.bin_weights_[bins]
        return self

    def transform(self, y: object) -> np.ndarray:
        """Weights of new labels on the training scale (0 in bins with no smoothed density)."""
        check_is_fitted(self, ["bin_weights_"])
        return self.bin_weights_[self.binner_.transform(y)]


def _check_sample_weight(sample_weight: object, n: int) -> np.ndarray:
    weights = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if weights.shape != (n,):
        raise ConfigError(f"sample_weight must hold one weight per label ({n}); got shape {weights.shape}.")
    if not np.all(np.isfinite(weights)) or (weights < 0).any() or weights.sum() <= 0:
        raise ConfigError(
            "sample_weight must be finite, non-negative and not all zero; "
            f"got min {weights.min()!r}, sum {weights.sum()!r}."
        )
    return weights


def _fitted_binner(binner: UniformBinner | None, labels: np.ndarray) -> UniformBinner:
    if binner is None:
        return UniformBinner().fit(labels)
    if hasattr(binner, "edges_"):
        return binner
    return clone(binner).fit(labels)


def lds_weights(
    y: object,
    binner: UniformBinner | None = None,
    *,
    reweight: Reweight = "sqrt_inv",
    kernel: KernelName = "gaussian",
    ks: int = 5,
    sigma: float = 2.0,
    clip: tuple[float, float] | None = None,
    lds: bool = True,
    padding: Padding = "constant",
) -> np.ndarray:
    """Return one weight per training label, mean 1 (the functional form of :class:`LDSWeights`).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).normal(40, 10, size=500)
    >>> w = lds_weights(y, UniformBinner(width=1.0, range=(0, 121)))
    >>> w.shape, round(float(w.mean()), 6)
    ((500,), 1.0)
    """
    return (
        LDSWeights(
            binner=binner,
            reweight=reweight,
            lds=lds,
            kernel=kernel,
            ks=ks,
            sigma=sigma,
            clip=clip,
            padding=padding,
        )
        .fit(y)
        .weights_
    )
