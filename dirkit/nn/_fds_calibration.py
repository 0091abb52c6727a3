"""Feature calibration for :class:`~dirkit.nn.FDS`: diagonal and full-covariance (eq. 6)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from dirkit.nn._fds_stats import bin_segments

__all__ = [
    "calibrate_diag",
    "calibrate_diag_table",
    "calibrate_full",
    "calibration_matrices",
    "diag_table",
]


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


def diag_table(
    mean: Tensor,
    var: Tensor,
    smoothed_mean: Tensor,
    smoothed_var: Tensor,
    *,
    clip: tuple[float, float],
    eps: float,
) -> Tensor:
    """The per-bin ``(mu_b, sqrt(clamp(var~_b / var_b, lo, hi)), mu~_b)`` of :func:`calibrate_diag`.

    Fixed within an epoch, so FDS computes it once per update; shape (B, 3, d).
    """
    scale = (smoothed_var / var.clamp_min(eps)).clamp(clip[0], clip[1]).sqrt()
    return torch.stack([mean, scale.to(mean.dtype), smoothed_mean], dim=1)


def calibrate_diag_table(features: Tensor, bins: Tensor, table: Tensor) -> Tensor:
    """:func:`calibrate_diag` from a :func:`diag_table`: one gather and two element-wise operations.

    Examples
    --------
    >>> stats = torch.tensor([[2.0]])
    >>> table = diag_table(stats, stats, stats, 4 * stats, clip=(0.1, 10.0), eps=1e-6)
    >>> calibrate_diag_table(torch.tensor([[1.0], [3.0]]), torch.tensor([0, 0]), table).flatten().tolist()
    [0.0, 4.0]
    """
    rows = table.to(features.dtype).index_select(0, bins)
    return torch.addcmul(rows[:, 2], features - rows[:, 0], rows[:, 1])


class _PerBinProduct(torch.autograd.Function):
    """``out_i = A_{b_i} x_i`` with samples sorted by bin: one product per bin present (CPU)."""

    @staticmethod
    def forward(ctx: Any, centred: Tensor, matrices: Tensor, bins: Tensor) -> Tensor:
        order, present, sizes = bin_segments(bins)
        ctx.save_for_backward(matrices, order)
        ctx.segments = (present, sizes)
        return _per_bin(centred, order, present, sizes, matrices, transpose=True)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:
        matrices, order = ctx.saved_tensors
        present, sizes = ctx.segments
        return _per_bin(grad, order, present, sizes, matrices, transpose=False), None, None


def _per_bin(
    rows: Tensor, order: Tensor, present: list[int], sizes: list[int], matrices: Tensor, *, transpose: bool
) -> Tensor:
    """``rows_i @ A_{b_i}^T`` (or ``@ A_{b_i}``) for samples grouped by bin, written in place."""
    ordered = rows.index_select(0, order)
    moved = torch.empty_like(ordered)
    for part, out, b in zip(ordered.split(sizes), moved.split(sizes), present, strict=True):
        torch.mm(part, matrices[b].T if transpose else matrices[b], out=out)
    return torch.empty_like(moved).index_copy_(0, order, moved)


def calibrate_full(
    features: Tensor,
    bins: Tensor,
    mean: Tensor,
    smoothed_mean: Tensor,
    matrices: Tensor,
    *,
    per_bin: bool | None = None,
) -> Tensor:
    """``z~ = A_b (z - mu_b) + mu~_b`` with ``A_b`` from :func:`calibration_matrices`, out of place.

    On the CPU samples are grouped by bin, one product per bin present (memory O(n d + B d^2)):
    faster there than any form without the loop. On other devices each sample's matrix is
    gathered and one batched product is taken: no loop and no host sync (memory O(n d^2)).
    ``per_bin`` forces one or the other (default: by device).

    Examples
    --------
    >>> z = torch.tensor([[1.0, 1.0]])
    >>> calibrate_full(z, torch.tensor([0]), torch.zeros(1, 2), torch.ones(1, 2),
    ...                2 * torch.eye(2)[None]).tolist()
    [[3.0, 3.0]]
    """
    dtype = features.dtype
    centred = features - mean.to(dtype).index_select(0, bins)
    mats = matrices.to(dtype)
    if features.device.type == "cpu" if per_bin is None else per_bin:
        moved = _PerBinProduct.apply(centred, mats, bins)
    else:
        moved = torch.bmm(mats.index_select(0, bins), centred[:, :, None]).squeeze(2)
    return moved + smoothed_mean.to(dtype).index_select(0, bins)
