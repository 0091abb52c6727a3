"""Feature calibration for :class:`~dirkit.nn.FDS`: diagonal and full-covariance (eq. 6)."""

from __future__ import annotations

import torch
from torch import Tensor

from dirkit.nn._fds_stats import bin_segments

__all__ = ["calibrate_diag", "calibrate_full", "calibration_matrices"]


def _sym_power(matrices: Tensor, floor: Tensor, power: float) -> Tensor:
    """``matrices ** power`` for symmetric (B, d, d) inputs, eigenvalues floored at ``floor``."""
    eigval, eigvec = torch.linalg.eigh(matrices)
    eigval = torch.maximum(eigval, floor[:, None]).pow(power)
    return (eigvec * eigval[:, None, :]) @ eigvec.transpose(1, 2)


def calibration_matrices(cov: Tensor, smoothed_cov: Tensor, *, max_gain: float, eps: float) -> Tensor:
    """Return ``A_b = S~_b^(1/2) S_b^(-1/2)`` for every bin, computed in float64.

    The eigenvalues of ``S_b`` are floored at ``max(eps, lambda_max(S~_b) / max_gain)``, so the
    spectral norm of ``A_b`` never exceeds ``sqrt(max_gain)`` (the full-covariance counterpart of
    the diagonal mode's upper clip). Eigenvalues of ``S~_b`` are floored at 0.

    Examples
    --------
    >>> a = calibration_matrices(torch.eye(2)[None], 4 * torch.eye(2)[None], max_gain=10, eps=1e-6)
    >>> a[0].tolist()
    [[2.0, 0.0], [0.0, 2.0]]
    """
    cov64, smooth64 = cov.double(), smoothed_cov.double()
    smooth64 = 0.5 * (smooth64 + smooth64.transpose(1, 2))
    cov64 = 0.5 * (cov64 + cov64.transpose(1, 2))
    eigval, eigvec = torch.linalg.eigh(smooth64)
    eigval = eigval.clamp_min(0.0)
    root_smooth = (eigvec * eigval.sqrt()[:, None, :]) @ eigvec.transpose(1, 2)
    floor = (eigval[:, -1] / max_gain).clamp_min(eps)
    inv_root = _sym_power(cov64, floor, -0.5)
    return root_smooth @ inv_root


def calibrate_diag(
    features: Tensor,
    bins: Tensor,
    mean: Tensor,
    var: Tensor,
    smoothed_mean: Tensor,
    smoothed_var: Tensor,
    *,
    clip: tuple[float, float],
    eps: float,
) -> Tensor:
    """``z~ = (z - mu_b) * sqrt(clamp(var~_b / var_b, lo, hi)) + mu~_b``, out of place.

    ``var_b`` is floored at ``eps`` before dividing (the reference divides by zero and can
    return NaN for a bin whose running and smoothed variances are both zero).

    Examples
    --------
    >>> z = torch.tensor([[1.0], [3.0]])
    >>> stats = torch.tensor([[2.0]])
    >>> calibrate_diag(z, torch.tensor([0, 0]), stats, stats, stats, 4 * stats,
    ...                clip=(0.1, 10.0), eps=1e-6).flatten().tolist()
    [0.0, 4.0]
    """
    dtype = features.dtype
    ratio = smoothed_var.to(dtype) / var.to(dtype).clamp_min(eps)
    scale = ratio.clamp(clip[0], clip[1]).sqrt()
    return (features - mean.to(dtype)[bins]) * scale[bins] + smoothed_mean.to(dtype)[bins]


def calibrate_full(
    features: Tensor,
    bins: Tensor,
    mean: Tensor,
    smoothed_mean: Tensor,
    matrices: Tensor,
) -> Tensor:
    """``z~ = A_b (z - mu_b) + mu~_b`` with ``A_b`` from :func:`calibration_matrices`, out of place.

    Samples are grouped by bin so that memory stays O(n d + B d^2) instead of O(n d^2).

    Examples
    --------
    >>> z = torch.tensor([[1.0, 1.0]])
    >>> calibrate_full(z, torch.tensor([0]), torch.zeros(1, 2), torch.ones(1, 2),
    ...                2 * torch.eye(2)[None]).tolist()
    [[3.0, 3.0]]
    """
    dtype = features.dtype
    centred = features - mean.to(dtype)[bins]
    order, present, sizes = bin_segments(bins)
    parts = torch.split(centred[order], sizes)
    mats = matrices.to(dtype)
    moved = torch.cat([part @ mats[b].T for part, b in zip(parts, present, strict=True)])
    inverse = torch.argsort(order)
    return moved[inverse] + smoothed_mean.to(dtype)[bins]
