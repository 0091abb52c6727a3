"""Feature calibration for :class:`~dirkit.nn.FDS`: diagonal and full-covariance (eq. 6)."""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
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
    "calibrate_full_table",
    "calibration_matrices",
    "diag_table",
    "full_table",
    "per_bin_product",
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
    """The per-bin gain and offset of :func:`calibrate_diag`, so that ``z~ = z * g_b + c_b``.

    ``g_b = sqrt(clamp(var~_b / var_b, lo, hi))`` and ``c_b = mu~_b - mu_b * g_b``, formed in
    float64 and returned in the dtype of ``mean`` as one (2, B, d) tensor: ``table[0]`` the gains,
    ``table[1]`` the offsets (each contiguous, so a batch gathers its rows in one pass). Fixed
    within an epoch, so FDS computes it once per update. With ``zero_variance="identity"`` the
    entries :func:`zero_variance_mask` marks become gain 1 and offset 0, so those features pass
    through unchanged, as in :func:`calibrate_diag`.

    Examples
    --------
    >>> stats = torch.tensor([[2.0]])
    >>> diag_table(stats, stats, stats, 4 * stats, clip=(0.1, 10.0), eps=1e-6).flatten().tolist()
    [2.0, -2.0]
    """
    mean64, smoothed_mean64 = mean.double(), smoothed_mean.double()
    gain = (smoothed_var.double() / var.double().clamp_min(eps)).clamp(clip[0], clip[1]).sqrt()
    offset = smoothed_mean64 - mean64 * gain
    if zero_variance != "floor":
        unchanged = zero_variance_mask(var)
        gain, offset = gain.masked_fill(unchanged, 1.0), offset.masked_fill(unchanged, 0.0)
    return torch.stack([gain, offset]).to(mean.dtype)


def calibrate_diag_table(features: Tensor, bins: Tensor, table: Tensor) -> Tensor:
    """:func:`calibrate_diag` from a :func:`diag_table`: two row gathers and one ``addcmul``.

    Examples
    --------
    >>> stats = torch.tensor([[2.0]])
    >>> table = diag_table(stats, stats, stats, 4 * stats, clip=(0.1, 10.0), eps=1e-6)
    >>> calibrate_diag_table(torch.tensor([[1.0], [3.0]]), torch.tensor([0, 0]), table).flatten().tolist()
    [0.0, 4.0]
    """
    gain, offset = table.to(features.dtype)
    return torch.addcmul(offset.index_select(0, bins), features, gain.index_select(0, bins))


def full_table(
    mean: Tensor, smoothed_mean: Tensor, matrices: Tensor, unchanged: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """The per-bin ``(A_b, c_b)`` of the full-covariance calibration as ``z~ = A_b z + c_b``.

    ``c_b = mu~_b - A_b mu_b`` is formed in float64. Bins marked in ``unchanged`` (shape (B,),
    optional) get ``A_b = I`` and ``c_b = 0``, so their features pass through exactly. Fixed
    within an epoch, so FDS computes it once per update; returned in the dtype of ``matrices``.

    Examples
    --------
    >>> a, c = full_table(torch.ones(1, 2), torch.zeros(1, 2), 2 * torch.eye(2)[None])
    >>> c.tolist()
    [[-2.0, -2.0]]
    """
    dtype = matrices.dtype
    mats = matrices.double()
    offsets = smoothed_mean.double() - (mats @ mean.double()[:, :, None]).squeeze(2)
    if unchanged is not None:
        eye = torch.eye(mats.shape[1], dtype=mats.dtype, device=mats.device)
        mats = torch.where(unchanged[:, None, None], eye, mats)
        offsets = offsets.masked_fill(unchanged[:, None], 0.0)
    return mats.to(dtype), offsets.to(dtype)


def calibrate_full_table(features: Tensor, bins: Tensor, matrices: Tensor, offsets: Tensor) -> Tensor:
    """:func:`calibrate_full` from a :func:`full_table`: one product per sample and one gather.

    Examples
    --------
    >>> a, c = full_table(torch.zeros(1, 2), torch.ones(1, 2), 2 * torch.eye(2)[None])
    >>> calibrate_full_table(torch.tensor([[1.0, 1.0]]), torch.tensor([0]), a, c).tolist()
    [[3.0, 3.0]]
    """
    moved = per_bin_product(features, bins, matrices.to(features.dtype))
    return moved + offsets.to(features.dtype).index_select(0, bins)


GROUPED_DTYPES = (torch.float32, torch.bfloat16, torch.float16)
"""The dtypes ``torch.nn.functional.grouped_mm`` takes (PyTorch >= 2.9; not float64)."""


def _groupable(rows: Tensor) -> bool:
    """Whether ``grouped_mm`` takes these rows: its dtypes, and rows a multiple of 16 bytes long."""
    return (hasattr(F, "grouped_mm") and rows.dtype in GROUPED_DTYPES
            and rows.shape[1] * rows.element_size() % 16 == 0)


def _grouped_product(rows: Tensor, bins: Tensor, matrices: Tensor) -> Tensor:
    """``rows_i @ A_{b_i}^T`` as one grouped product over the rows sorted by bin (autograd native)."""
    order = torch.argsort(bins, stable=True)
    ends = torch.cumsum(torch.bincount(bins, minlength=matrices.shape[0]), 0).to(torch.int32)
    moved = F.grouped_mm(rows.index_select(0, order), matrices.transpose(1, 2), offs=ends)
    return moved.index_select(0, torch.argsort(order))


def per_bin_product(rows: Tensor, bins: Tensor, matrices: Tensor, *, per_bin: bool | None = None) -> Tensor:
    """``out_i = A_{b_i} x_i`` for every row, differentiable in ``rows``.

    On the CPU in float32/bfloat16/float16 with a PyTorch that has ``grouped_mm`` (and rows a
    multiple of 16 bytes long, which it requires): rows sorted by bin and one grouped product
    (no Python loop, no host sync). On the CPU otherwise (float64, older PyTorch): one product
    per bin present. On other devices each row's matrix
    is gathered and one batched product taken (memory O(n d^2), no host sync). ``per_bin``
    forces the CPU forms (True) or the gathered one (False); default: by device.
    """
    if rows.device.type == "cpu" if per_bin is None else per_bin:
        if _groupable(rows):
            return _grouped_product(rows, bins, matrices)
        return _PerBinProduct.apply(rows, matrices, bins)
    return torch.bmm(matrices.index_select(0, bins), rows[:, :, None]).squeeze(2)


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

    The products are taken by :func:`per_bin_product` (on the CPU grouped by bin, memory
    O(n d + B d^2); elsewhere one batched product over gathered matrices, O(n d^2)); ``per_bin``
    forces one or the other (default: by device). FDS itself calibrates from a
    :func:`full_table` (the same values, fewer operations per step).

    Examples
    --------
    >>> z = torch.tensor([[1.0, 1.0]])
    >>> calibrate_full(z, torch.tensor([0]), torch.zeros(1, 2), torch.ones(1, 2),
    ...                2 * torch.eye(2)[None]).tolist()
    [[3.0, 3.0]]
    """
    dtype = features.dtype
    centred = features - mean.to(dtype).index_select(0, bins)
    moved = per_bin_product(centred, bins, matrices.to(dtype), per_bin=per_bin)
    return moved + smoothed_mean.to(dtype).index_select(0, bins)
