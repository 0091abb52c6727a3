"""Symmetric kernel windows for smoothing over label bins (LDS and FDS)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal.windows import triang

from dirkit._validation import Interval, OneOf, validate_params

__all__ = ["KERNELS", "kernel_window"]

KERNELS = ("gaussian", "triangular", "laplace")

KernelName = Literal["gaussian", "triangular", "laplace"]


@validate_params(
    {
        "kernel": [OneOf(KERNELS)],
        "ks": [Interval(int, 1, None)],
        "sigma": [Interval(float, 0, None, closed="neither")],
        "normalize": [OneOf(("peak", "sum"))],
    }
)
def kernel_window(
    kernel: KernelName = "gaussian",
    ks: int = 5,
    sigma: float = 2.0,
    *,
    normalize: Literal["peak", "sum"] = "peak",
) -> np.ndarray:
    """Return a symmetric smoothing window of ``ks`` taps.

    Parameters
    ----------
    kernel : {"gaussian", "triangular", "laplace"}
        ``"gaussian"`` is :func:`scipy.ndimage.gaussian_filter1d` applied to a centred delta of
        length ``ks`` (its default reflect boundary included, exactly as the LDS reference code
        builds it); ``"triangular"`` is :func:`scipy.signal.windows.triang`; ``"laplace"`` samples
        ``exp(-|x| / sigma)`` at the integer offsets.
    ks : int
        Window size, odd so that the window has a centre tap.
    sigma : float
        Width of the gaussian and laplace kernels (ignored by ``"triangular"``).
    normalize : {"peak", "sum"}
        ``"peak"`` divides by the maximum so the centre tap is 1 (LDS, Yang et al. 2021);
        ``"sum"`` divides by the sum so the taps add up to 1 (FDS).

    Returns
    -------
    ndarray of shape (ks,)

    Examples
    --------
    >>> w = kernel_window("gaussian", ks=5, sigma=2.0)
    >>> w.shape, float(w[2])
    ((5,), 1.0)
    >>> round(float(kernel_window("laplace", 3, 1.0, normalize="sum").sum()), 6)
    1.0
    """
    if ks % 2 == 0:
        raise ValueError(f"The 'ks' parameter of kernel_window must be odd; got {ks}. Use {ks + 1}.")
    half = (ks - 1) // 2
    if kernel == "gaussian":
        delta = np.zeros(ks)
        delta[half] = 1.0
        window = gaussian_filter1d(delta, sigma=sigma)
    elif kernel == "triangular":
        window = triang(ks)
    else:
        window = np.exp(-np.abs(np.arange(-half, half + 1)) / sigma)
    window = np.asarray(window, dtype=np.float64)
    return window / (window.max() if normalize == "peak" else window.sum())
