"""Relevance functions phi(y) in [0, 1]: box-plot control points + cubic Hermite, or label density.

Rare targets have a relevance close to 1, common ones close to 0. The box-plot relevance follows
UBL's ``phi.control(method = "extremes")`` (Ribeiro 2011; Branco et al. 2017): relevance 0 at the
median, 1 at the box-plot whiskers when data lie beyond them, joined by a monotone piecewise cubic
Hermite interpolant (PCHIP) and constant outside the control points.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from scipy.ndimage import convolve1d

from dirkit._validation import Interval, OneOf, validate_params
from dirkit.density import kernel_window
from dirkit.exceptions import LabelError
from dirkit.resampling._hermite import relevance_from_control_points
from dirkit.resampling._medcouple import medcouple

__all__ = [
    "boxplot_control_points",
    "boxplot_relevance",
    "compute_relevance",
    "density_relevance",
]

Tails = Literal["both", "high", "low"]
BoxPlot = Literal["tukey", "adjusted"]
RelevanceName = Literal["boxplot", "adjusted_boxplot", "density"]
RELEVANCE_NAMES = ("boxplot", "adjusted_boxplot", "density")
TAILS = ("both", "high", "low")


def _fivenum(y: np.ndarray) -> np.ndarray:
    """Tukey's five-number summary (R's ``fivenum``): min, lower hinge, median, upper hinge, max."""
    s = np.sort(y)
    n = s.size
    n4 = np.floor((n + 3) / 2) / 2
    d = np.array([1.0, n4, (n + 1) / 2, n + 1 - n4, float(n)]) - 1.0
    return 0.5 * (s[np.floor(d).astype(int)] + s[np.ceil(d).astype(int)])


@validate_params(
    {
        "tails": [OneOf(TAILS)],
        "boxplot": [OneOf(("tukey", "adjusted"))],
        "coef": [Interval(float, 0, None, closed="neither")],
    }
)
def boxplot_control_points(
    y: np.ndarray, *, tails: Tails = "both", boxplot: BoxPlot = "tukey", coef: float = 1.5
) -> np.ndarray:
    """Return the relevance control points of ``y`` from its box plot.

    Parameters
    ----------
    y : ndarray of shape (n,)
        Finite targets.
    tails : {"both", "high", "low"}
        Which extremes are relevant.
    boxplot : {"tukey", "adjusted"}
        ``"tukey"``: whiskers at the last data inside ``[Q1 - coef*IQR, Q3 + coef*IQR]`` with R's
        ``fivenum`` hinges, as UBL, smogn and imbreg do. ``"adjusted"``: the skew-adjusted fences of
        Hubert and Vandervieren (2008), ``Q1 - coef*exp(-4 MC)*IQR`` and ``Q3 + coef*exp(3 MC)*IQR``
        for medcouple ``MC >= 0`` (mirrored for ``MC < 0``), as IRon's ``adjbox`` does.
    coef : float
        Whisker length in IQRs.

    Returns
    -------
    ndarray of shape (m, 3)
        Rows ``(target, relevance, slope)`` sorted by target, ``m`` <= 3: the low whisker (relevance
        1) if a tail below it is relevant and populated, else the minimum (relevance 0); the median
        (0); the high whisker (1) or the maximum (0). Slopes are 0 (flat at every control point).

    Examples
    --------
    >>> y = np.r_[np.arange(10.0), 30.0]
    >>> boxplot_control_points(y).tolist()
    [[0.0, 0.0, 0.0], [5.0, 0.0, 0.0], [9.0, 1.0, 0.0]]
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    _, q1, median, q3, _ = _fivenum(y)
    iqr = q3 - q1
    low_len = high_len = coef * iqr
    if boxplot == "adjusted":
        mc = medcouple(y)
        a, b = (-4.0, 3.0) if mc >= 0 else (-3.0, 4.0)
        low_len, high_len = coef * np.exp(a * mc) * iqr, coef * np.exp(b * mc) * iqr
    inside = y[(y >= q1 - low_len) & (y <= q3 + high_len)]
    low_whisker, high_whisker = float(inside.min()), float(inside.max())
    y_min, y_max = float(y.min()), float(y.max())
    points: list[tuple[float, float, float]] = []
    if tails in ("both", "low") and y_min < low_whisker:
        points.append((low_whisker, 1.0, 0.0))
    else:
        points.append((y_min, 0.0, 0.0))
    points.append((float(median), 0.0, 0.0))
    if tails in ("both", "high") and y_max > high_whisker:
        points.append((high_whisker, 1.0, 0.0))
    else:
        points.append((y_max, 0.0, 0.0))
    unique: dict[float, tuple[float, float, float]] = {}
    for point in points:  # at most three points; keep the first of equal targets
        unique.setdefault(point[0], point)
    return np.array(sorted(unique.values()), dtype=np.float64)


def boxplot_relevance(
    y: np.ndarray, *, tails: Tails = "both", boxplot: BoxPlot = "tukey", coef: float = 1.5
) -> np.ndarray:
    """Return the box-plot relevance ``phi(y)`` (UBL ``phi.control(method = "extremes")``).

    Parameters are those of :func:`boxplot_control_points`.

    Returns
    -------
    ndarray of shape (n,)
        Relevance in [0, 1].

    Examples
    --------
    >>> y = np.r_[np.arange(10.0), 30.0]
    >>> boxplot_relevance(y).round(3).tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.156, 0.5, 0.844, 1.0, 1.0]
    """
    points = boxplot_control_points(y, tails=tails, boxplot=boxplot, coef=coef)
    return relevance_from_control_points(y, points)


@validate_params(
    {
        "n_bins": [Interval(int, 1, None)],
        "tails": [OneOf(TAILS)],
    }
)
def density_relevance(
    y: np.ndarray,
    *,
    n_bins: int = 100,
    kernel: Literal["gaussian", "triangular", "laplace"] = "gaussian",
    ks: int = 5,
    sigma: float = 2.0,
    tails: Tails = "both",
) -> np.ndarray:
    """Return a relevance from the smoothed label density: ``phi = 1 - density / max(density)``.

    The targets are counted in ``n_bins`` equal-width bins, the counts smoothed with the LDS window
    :func:`dirkit.density.kernel_window` (zero padding), and each sample gets one minus its bin's
    smoothed count divided by the largest smoothed count: 0 at the mode, close to 1 in empty
    stretches. This is DenseWeight's relevance (Steininger et al. 2021) with alpha = 1, using a
    smoothed histogram instead of a KDE and 0 (not the sample minimum) as the lowest density.

    Parameters
    ----------
    y : ndarray of shape (n,)
        Finite targets.
    n_bins : int
        Number of equal-width bins over ``[min(y), max(y)]``.
    kernel, ks, sigma
        Smoothing window, see :func:`dirkit.density.kernel_window`.
    tails : {"both", "high", "low"}
        ``"high"`` (``"low"``) sets the relevance of targets below (above) the median to 0.

    Returns
    -------
    ndarray of shape (n,)
        Relevance in [0, 1].

    Examples
    --------
    >>> y = np.r_[np.zeros(50), np.full(5, 10.0)]
    >>> phi = density_relevance(y, n_bins=10, ks=3, sigma=1.0)
    >>> float(phi[0]), round(float(phi[-1]), 2)
    (0.0, 0.9)
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    counts, edges = np.histogram(y, bins=n_bins)
    window = kernel_window(kernel, ks, sigma)
    smoothed = convolve1d(counts.astype(np.float64), window, mode="constant")
    bins = np.clip(np.searchsorted(edges, y, side="right") - 1, 0, n_bins - 1)
    phi = 1.0 - smoothed[bins] / smoothed.max()
    return _restrict_tails(y, np.clip(phi, 0.0, 1.0), tails)


def _restrict_tails(y: np.ndarray, phi: np.ndarray, tails: str) -> np.ndarray:
    if tails == "high":
        phi = np.where(y < np.median(y), 0.0, phi)
    elif tails == "low":
        phi = np.where(y > np.median(y), 0.0, phi)
    return phi


def compute_relevance(
    y: np.ndarray,
    relevance: RelevanceName | Callable[[np.ndarray], np.ndarray],
    tails: Tails = "both",
) -> np.ndarray:
    """Dispatch ``relevance`` (a name or a callable ``y -> phi``) and check what comes back."""
    if callable(relevance):
        phi = np.asarray(relevance(y), dtype=np.float64)
        where = f"The relevance callable {getattr(relevance, '__name__', relevance)!r}"
    elif relevance == "density":
        phi, where = density_relevance(y, tails=tails), "density_relevance"
    else:
        boxplot: BoxPlot = "adjusted" if relevance == "adjusted_boxplot" else "tukey"
        phi, where = boxplot_relevance(y, tails=tails, boxplot=boxplot), "boxplot_relevance"
    if phi.shape != y.shape:
        raise LabelError(
            f"{where} must return one relevance per target, shape {y.shape}; got {phi.shape}."
        )
    bad = ~np.isfinite(phi) | (phi < 0) | (phi > 1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise LabelError(
            f"{where} must return values in [0, 1]; got {float(phi[first])!r} at index {first}. "
            "Clip or rescale its output."
        )
    return phi
