"""Feature calibration for :class:`~dirkit.nn.FDS`: diagonal and full-covariance (eq. 6)."""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from dirkit.exceptions import ConfigError
from dirkit.nn._fds_stats import bin_segments

__all__ = [
    "ZERO_VARIANCE",
    "ZERO_VARIANCE_TOTAL",
    "calibrate_diag",
    "calibrate_diag_table",
    "calibrate_full",
    "calibration_matrices",
    "diag_table",
    "zero_variance_mask",
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


ZERO_VARIANCE = ("identity", "floor")
"""What diagonal FDS does with a dimension whose running variance is zero (see :func:`calibrate_diag`)."""

ZERO_VARIANCE_TOTAL = 1e-10
"""A bin whose running variances sum to less than this is left unchanged (the reference's test)."""


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
    zero_variance: Literal["identity", "floor"] = "identity",
) -> Tensor:
    """``z~ = (z - mu_b) * sqrt(clamp(var~_b / var_b, lo, hi)) + mu~_b``, out of place.

    A bin with one sample (or features constant within it) has zero running variance, where the
    ratio is undefined. ``zero_variance="identity"`` (default) does what the reference code's
    ``calibrate_mean_var`` does: a bin whose running variances sum to less than
    :data:`ZERO_VARIANCE_TOTAL` is returned unchanged, and in any other bin the dimensions with
    ``var_b == 0`` are returned unchanged (no mean shift, no gain) while the others are
    calibrated. ``"floor"`` floors ``var_b`` at ``eps`` instead, so such a dimension gets the
    largest gain ``sqrt(hi)`` (what dirkit did before the reference's rule was adopted).

    Examples
    --------
    >>> z = torch.tensor([[1.0], [3.0]])
    >>> stats = torch.tensor([[2.0]])
    >>> calibrate_diag(z, torch.tensor([0, 0]), stats, stats, stats, 4 * stats,
    ...                clip=(0.1, 10.0), eps=1e-6).flatten().tolist()
    [0.0, 4.0]

    A single-sample bin (variance 0) is left as it is, or gets gain ``sqrt(10)`` with the floor:

    >>> single = dict(clip=(0.1, 10.0), eps=1e-6)
    >>> args = (torch.tensor([[3.0]]), torch.tensor([0]), torch.tensor([[2.0]]), torch.zeros(1, 1),
    ...         torch.tensor([[2.5]]), torch.ones(1, 1))
    >>> calibrate_diag(*args, **single).item(), round(calibrate_diag(*args, **single,
    ...                                                  zero_variance="floor").item(), 4)
    (3.0, 5.6623)
    """
    if zero_variance not in ZERO_VARIANCE:
        raise ConfigError(f"zero_variance must be 'identity' or 'floor'; got {zero_variance!r}.")
    dtype = features.dtype
    ratio = smoothed_var.to(dtype) / var.to(dtype).clamp_min(eps)
    scale = ratio.clamp(clip[0], clip[1]).sqrt()
    calibrated = (features - mean.to(dtype)[bins]) * scale[bins] + smoothed_mean.to(dtype)[bins]
    if zero_variance == "floor":
        return calibrated
    unchanged = zero_variance_mask(var)
    return torch.where(unchanged[bins], features, calibrated)


def zero_variance_mask(var: Tensor) -> Tensor:
    """Per bin and dimension, True where the reference leaves the feature unchanged (B, d).

    That is every dimension of a bin whose variances sum to less than :data:`ZERO_VARIANCE_TOTAL`
    and, in the other bins, the dimensions whose variance is exactly zero.

    Examples
    --------
    >>> zero_variance_mask(torch.tensor([[0.0, 0.0], [0.0, 2.0], [1e-12, 0.0]])).tolist()
    [[True, True], [True, False], [True, True]]
    """
    whole_bin = var.double().sum(dim=1, keepdim=True) < ZERO_VARIANCE_TOTAL
    return whole_bin | (var == 0)


def diag_table(
    mean: Tensor,
    var: Tensor,
    smoothed_mean: Tensor,
    smoothed_var: Tensor,
    *,
    clip: tuple[float, float],
    eps: float,
    zero_variance: Literal["identity", "floor"] = "identity",
) -> Tensor:
    """The per-bin ``(mu_b, sqrt(clamp(var~_b / var_b, lo, hi)), mu~_b)`` of :func:`calibrate_diag`.

    Fixed within an epoch, so FDS computes it once per update; shape (B, 3, d). With
    ``zero_variance="identity"`` the entries :func:`zero_variance_mask` marks become ``(0, 1, 0)``,
    so those features pass through unchanged, as in :func:`calibrate_diag`.
    """
    scale = (smoothed_var / var.clamp_min(eps)).clamp(clip[0], clip[1]).sqrt().to(mean.dtype)
    if zero_variance != "floor":
        unchanged = zero_variance_mask(var)
        zero = torch.zeros((), dtype=mean.dtype, device=mean.device)
        mean, smoothed_mean = mean.where(~unchanged, zero), smoothed_mean.where(~unchanged, zero)
        scale = scale.where(~unchanged, torch.ones((), dtype=mean.dtype, device=mean.device))
    return torch.stack([mean, scale, smoothed_mean], dim=1)


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
