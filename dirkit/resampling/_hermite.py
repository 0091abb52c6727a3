"""Piecewise cubic Hermite relevance through control points (UBL's ``phi`` evaluation)."""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicHermiteSpline, PchipInterpolator

from dirkit.exceptions import ConfigError

__all__ = ["relevance_from_control_points"]

_RATIO_CAP = 1e6  # slope / secant ratios beyond this are treated as this (FC rescales them)


def _monotone_slopes(x: np.ndarray, v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Fritsch-Carlson adjustment of given slopes (R's ``monoFC`` test, as UBL uses).

    A slope whose sign disagrees with its secant is set to 0; slopes too steep for a monotone
    cubic piece are scaled back onto the circle of radius 3 (Fritsch and Carlson 1980).
    """
    m = m.astype(np.float64)
    with np.errstate(over="ignore", divide="ignore"):
        secants = np.diff(v) / np.diff(x)  # may overflow for nearly equal targets: handled below
    for k, secant in enumerate(secants):  # loops over the few control points, never over samples
        if secant == 0.0:
            m[k] = m[k + 1] = 0.0
            continue
        if not np.isfinite(secant):  # a step: dx * slope vanishes in the normalised basis
            continue
        with np.errstate(over="ignore"):  # a slope 1e6 times its secant is projected the same
            alpha = min(max(m[k] / secant, 0.0), _RATIO_CAP)
            beta = min(max(m[k + 1] / secant, 0.0), _RATIO_CAP)
        a2b3, ab23 = 2 * alpha + beta - 3, alpha + 2 * beta - 3
        if a2b3 > 0 and ab23 > 0 and alpha * (1.0 + ab23 / a2b3) < a2b3:  # no overflow
            tau = 3.0 / np.hypot(alpha, beta)
            alpha, beta = tau * alpha, tau * beta
        m[k], m[k + 1] = alpha * secant, beta * secant
    return m


def _hermite(y: np.ndarray, x: np.ndarray, v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Evaluate the cubic Hermite interpolant through ``(x, v)`` with slopes ``m``
    (:class:`scipy.interpolate.CubicHermiteSpline`); constant beyond the end points.

    A segment too narrow for the polynomial form (its coefficients divide by the squared segment
    length and overflow, below about 1e-154) is a step at that scale: it is evaluated as the
    straight line between its end values, which stays monotone and inside them.
    """
    y = np.clip(y, x[0], x[-1])
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        spline = CubicHermiteSpline(x, v, m)
        out = np.asarray(spline(y), dtype=np.float64)
    narrow = ~np.all(np.isfinite(spline.c), axis=0)
    if narrow.any():
        seg = np.clip(np.searchsorted(x, y, side="right") - 1, 0, x.size - 2)
        inside = narrow[seg]
        s = seg[inside]
        t = np.clip((y[inside] - x[s]) / (x[s + 1] - x[s]), 0.0, 1.0)
        out[inside] = v[s] + t * (v[s + 1] - v[s])
    return out


def relevance_from_control_points(y: np.ndarray, control_points: np.ndarray) -> np.ndarray:
    """Evaluate the piecewise cubic Hermite relevance through ``control_points`` at ``y``.

    Parameters
    ----------
    y : ndarray of shape (n,)
        Targets.
    control_points : array-like of shape (m, 2) or (m, 3)
        Rows ``(target, relevance)`` or ``(target, relevance, slope)`` (UBL's ``method = "range"``),
        targets strictly increasing. With slopes, the Hermite cubic uses them after UBL's
        Fritsch-Carlson monotonicity adjustment; without, the PCHIP slopes of
        :class:`scipy.interpolate.PchipInterpolator` are used (the curve is then scipy's PCHIP).

    Returns
    -------
    ndarray of shape (n,)
        Relevance clipped to [0, 1]; constant beyond the first and last control points.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0, 0.0], [2.0, 1.0, 0.0]])
    >>> relevance_from_control_points(np.array([-1.0, 0.0, 1.0, 2.0, 5.0]), pts).tolist()
    [0.0, 0.0, 0.5, 1.0, 1.0]
    """
    y = np.asarray(y, dtype=np.float64)
    pts = np.asarray(control_points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] not in (2, 3) or pts.shape[0] < 1:
        raise ConfigError(
            f"control_points must have shape (m, 2) or (m, 3) with m >= 1; got {pts.shape}."
        )
    x, v = pts[:, 0], pts[:, 1]
    if pts.shape[0] == 1:
        return np.full(y.shape, float(np.clip(v[0], 0.0, 1.0)))
    if np.any(np.diff(x) <= 0):
        raise ConfigError(
            f"control point targets must be strictly increasing; got {x.tolist()}. Sort them and "
            "drop duplicates."
        )
    if pts.shape[1] == 3:
        slopes = _monotone_slopes(x, v, pts[:, 2])
    else:
        slopes = PchipInterpolator(x, v)(x, 1)
    return np.clip(_hermite(y, x, v, slopes), 0.0, 1.0)
