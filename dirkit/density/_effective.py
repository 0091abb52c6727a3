"""The effective label density (LDS-smoothed counts), for analysis and plots."""

from __future__ import annotations

import numpy as np

from dirkit._validation import check_labels
from dirkit.density._kernels import KernelName
from dirkit.density._lds import Padding, _fitted_binner, smooth_bins
from dirkit.labels import UniformBinner

__all__ = ["effective_density"]


def effective_density(
    y: object,
    binner: UniformBinner | None = None,
    *,
    kernel: KernelName = "gaussian",
    ks: int = 5,
    sigma: float = 2.0,
    padding: Padding = "constant",
) -> np.ndarray:
    """LDS-smoothed training count of each bin (Yang et al. 2021, Fig. 2 "effective density").

    Parameters
    ----------
    y : array-like of shape (n,)
        Training labels.
    binner : UniformBinner, optional
        Fitted (edges kept) or not (fitted on ``y``); defaults to 100 bins over ``y``'s range.
    kernel, ks, sigma, padding :
        As in :func:`~dirkit.density.smooth_bins`.

    Returns
    -------
    ndarray of shape (n_bins,)

    Examples
    --------
    >>> import numpy as np
    >>> binner = UniformBinner(width=1.0, range=(0, 3))
    >>> effective_density([0.5, 0.5, 2.5], binner, kernel="triangular", ks=3).tolist()
    [2.0, 1.5, 1.0]
    """
    labels = check_labels(y)
    fitted = _fitted_binner(binner, labels)
    counts = np.bincount(fitted.transform(labels), minlength=fitted.n_bins_)
    return smooth_bins(counts, kernel=kernel, ks=ks, sigma=sigma, padding=padding)
