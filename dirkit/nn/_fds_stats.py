"""Per-bin feature statistics for :class:`~dirkit.nn.FDS`: sums, sync, moments, EMA, smoothing.

Stateless helpers on whole per-bin tables; the layer in ``_fds.py`` keeps the buffers and decides
when to call them.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor

from dirkit.exceptions import ConfigError, LabelError, ShapeError

__all__ = [
    "BinnerLike",
    "LocalRecord",
    "accumulate_moments",
    "accumulate_outer_products",
    "add_counts",
    "all_reduce_sum",
    "bin_segments",
    "check_bin_ids",
    "ema_update",
    "invalid_bins",
    "moments_from_sums",
    "raise_invalid_bins",
    "reflect_index",
    "smoothing_matrix",
    "sync_sums",
]


class BinnerLike(Protocol):
    """Anything with ``transform(y) -> integer bin ids`` (e.g. ``dirkit.labels.UniformBinner``)."""

    def transform(self, y: Any) -> Any: ...


def check_bin_ids(
    features: Tensor,
    bins: Tensor,
    n_bins: int,
    feature_dim: int,
    *,
    binner: BinnerLike | None = None,
) -> Tensor:
    """Return ``bins`` as a long tensor of shape (N,) on the features' device, or raise.

    Float ``bins`` are treated as labels and binned with ``binner.transform``.
    """
    if features.dim() != 2 or features.shape[1] != feature_dim:
        raise ShapeError(f"FDS expects features of shape (N, {feature_dim}); got {tuple(features.shape)}.")
    if bins.is_floating_point():
        if binner is None:
            raise LabelError(
                "FDS got float labels but has no binner; pass integer bin ids "
                "(binner.transform(y)) or construct FDS(..., binner=binner)."
            )
        bins = torch.as_tensor(np.asarray(binner.transform(bins.detach().cpu().numpy())))
    bins = bins.reshape(-1) if bins.dim() == 2 and bins.shape[1] == 1 else bins
    if bins.shape != features.shape[:1]:
        raise ShapeError(
            f"bins must have shape ({features.shape[0]},) to match features of shape "
            f"{tuple(features.shape)}; got {tuple(bins.shape)}."
        )
    bins = bins.to(device=features.device, dtype=torch.long)
    if bins.device.type != "cpu":
        return bins  # checked without a host sync: see invalid_bins
    low, high = (int(x) for x in torch.aminmax(bins)) if bins.numel() else (0, 0)
    if low < 0 or high >= n_bins:
        raise_invalid_bins(bins, n_bins)
    return bins


def invalid_bins(bins: Tensor, n_bins: int) -> Tensor:
    """On-device flag: does any id of ``bins`` fall outside ``[0, n_bins)``? (no host sync)."""
    return ((bins < 0) | (bins >= n_bins)).any()


def raise_invalid_bins(bins: Tensor, n_bins: int) -> None:
    """Raise :class:`LabelError` naming the first out-of-range ids of ``bins``."""
    bad = bins[(bins < 0) | (bins >= n_bins)].unique()[:5].tolist()
    raise LabelError(
        f"bin ids must lie in [0, {n_bins - 1}] (n_bins={n_bins}); got {bad}. "
        "Fit the binner on the training labels and use its n_bins_."
    )


def bin_segments(bins: Tensor) -> tuple[Tensor, list[int], list[int]]:
    """Sort samples by bin: return the sorting permutation, the bins present and their sizes."""
    order = torch.argsort(bins, stable=True)
    present, sizes = torch.unique_consecutive(bins[order], return_counts=True)
    return order, present.tolist(), sizes.tolist()


def add_counts(count: Tensor, bins: Tensor) -> None:
    """``count[b] += #{i: bins_i = b}`` in place (``bincount`` on the CPU; on other devices
    ``index_add_``, since ``bincount`` there reads the largest id back to the host)."""
    if bins.device.type == "cpu":
        count.add_(torch.bincount(bins, minlength=count.shape[0]))
    else:
        count.index_add_(0, bins, torch.ones_like(bins, dtype=count.dtype))


@torch.no_grad()
def accumulate_moments(
    total: Tensor, total_sq: Tensor, features: Tensor, bins: Tensor, *, overwrite: bool = False
) -> Tensor:
    """Add detached ``features`` to the per-bin sums in place; return their squared norm.

    ``total_sq`` of shape (B, d) takes the per-bin sums of squares; of shape (B, d, d), the sums
    of outer products (:func:`accumulate_outer_products`). The returned sum of ``|z|^2`` (a 0-d
    tensor, no host sync) feeds :class:`LocalRecord`. Counts are kept apart (:func:`add_counts`).
    ``overwrite=True`` says ``features`` is scratch: the diagonal case squares it in place
    instead of allocating the squares.
    """
    z = features.detach().to(total.dtype)
    total.index_add_(0, bins, z)
    if total_sq.dim() == 2:
        squares = z.square_() if overwrite else z * z
        total_sq.index_add_(0, bins, squares)
        return squares.sum()
    accumulate_outer_products(total_sq, z, bins)
    flat = z.reshape(-1)
    return torch.dot(flat, flat)


@torch.no_grad()
def accumulate_outer_products(total_sq: Tensor, features: Tensor, bins: Tensor) -> None:
    """Add ``z z^T`` of every sample to its bin's (d, d) sum, one product per bin present.

    Memory stays O(B d^2), not O(N d^2); called on chunks of many batches, the loop over the
    bins present runs once per chunk, not once per training step.
    """
    z = features.detach().to(total_sq.dtype)
    order, present, sizes = bin_segments(bins)
    if sizes:
        outer = torch.stack([part.T @ part for part in torch.split(z[order], sizes)])
        total_sq.index_add_(0, torch.tensor(present, device=z.device), outer)


@torch.no_grad()
def all_reduce_sum(*buffers: Tensor, flag: bool = False) -> bool:
    """Sum ``buffers`` across ranks in place with one ``all_reduce``; a no-op without a group.

    ``flag`` rides along in the same collective: the result is True when any rank raised it, so
    every rank can react to a problem seen on one of them without a second collective.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return flag
    marker = torch.tensor([float(flag)], dtype=buffers[0].dtype, device=buffers[0].device)
    flat = torch.cat([*(b.reshape(-1) for b in buffers), marker])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    parts = flat.split([*(b.numel() for b in buffers), 1])
    for buffer, part in zip(buffers, parts, strict=False):
        buffer.copy_(part.view_as(buffer))
    return bool(parts[-1].item() > 0)


def _squared_norms(total_sq: Tensor) -> Tensor:
    """Sum of squared feature norms held by a diagonal (B, d) or full (B, d, d) accumulator."""
    return total_sq.sum() if total_sq.dim() == 2 else total_sq.diagonal(dim1=1, dim2=2).sum()


class LocalRecord:
    """What this rank accumulated since the last update: per-bin counts and the sum of ``|z|^2``.

    Plain tensors, not module buffers, so ``DistributedDataParallel`` cannot overwrite them; they
    follow the features' device lazily.
    """

    def __init__(self, count: Tensor, squared_norms: Tensor) -> None:
        self.count, self.squared_norms = count.double().clone(), squared_norms.double().clone()

    @classmethod
    def empty(cls, n_bins: int) -> LocalRecord:
        return cls(torch.zeros(n_bins), torch.zeros(()))

    @classmethod
    def of(cls, count: Tensor, total_sq: Tensor) -> LocalRecord:
        """The record matching existing sums (after ``load_state_dict``)."""
        return cls(count, _squared_norms(total_sq))

    def add(self, bins: Tensor, squared_norms: Tensor) -> None:
        """Record a batch: its bin ids and the sum of its features' squared norms."""
        if self.count.device != bins.device:
            self.count, self.squared_norms = self.count.to(bins.device), self.squared_norms.to(bins.device)
        add_counts(self.count, bins)
        self.squared_norms += squared_norms


def sync_sums(count: Tensor, total: Tensor, total_sq: Tensor, *, record: LocalRecord) -> None:
    """Sum the per-bin sums across ranks; raise on every rank if any rank's sums were overwritten.

    The sums no longer match this rank's ``record`` when something else wrote to them, e.g.
    ``DistributedDataParallel`` broadcasting rank 0's buffers before each forward (its default).
    Counts are compared exactly, squared norms (positive: no cancellation) to ``sqrt(eps)``.
    The sums are then zeroed and :class:`ConfigError` raised on every rank.
    """
    held = _squared_norms(total_sq)
    same_count = torch.equal(count, record.count.to(count))
    rtol = torch.finfo(held.dtype).eps ** 0.5  # 1.5e-8 for the float64 sums, looser if cast down
    same_norms = bool(torch.isclose(held, record.squared_norms.to(held), rtol=rtol, atol=0.0))
    if all_reduce_sum(count, total, total_sq, flag=not (same_count and same_norms)):
        for buffer in (count, total, total_sq):
            buffer.zero_()
        raise ConfigError(
            "FDS's per-bin sums were overwritten between forward passes on at least one rank, so "
            "the epoch's statistics are discarded. DistributedDataParallel copies rank 0's "
            "buffers to all ranks before each forward by default: wrap the model with "
            "DistributedDataParallel(model, forward_sync_buffers=False) "
            "(broadcast_buffers=False in torch < 2.13)."
        )


def moments_from_sums(count: Tensor, total: Tensor, total_sq: Tensor) -> tuple[Tensor, Tensor]:
    """Per-bin mean and unbiased (co)variance from additive sums.

    Parameters
    ----------
    count : Tensor of shape (B,)
    total : Tensor of shape (B, d)
        Per-bin sum of features.
    total_sq : Tensor of shape (B, d) or (B, d, d)
        Per-bin sum of squares (diagonal) or of outer products (full covariance).

    Returns
    -------
    mean : Tensor of shape (B, d)
        Zero for empty bins.
    var : Tensor shaped like ``total_sq``
        Divided by ``count - 1`` (the paper's eq. 3); zero for bins with fewer than two samples,
        as the reference code does for a single sample (``torch.var(unbiased=False)``).
    """
    n = count.clamp_min(1.0)
    mean = total / n[:, None]
    denom = (count - 1.0).clamp_min(1.0)
    if total_sq.dim() == 2:
        var = (total_sq - n[:, None] * mean * mean) / denom[:, None]
        var = var.clamp_min(0.0)
    else:
        outer = mean[:, :, None] * mean[:, None, :]
        var = (total_sq - n[:, None, None] * outer) / denom[:, None, None]
        var = 0.5 * (var + var.transpose(1, 2))
    few = count < 2
    var = torch.where(few.view(-1, *([1] * (var.dim() - 1))), torch.zeros_like(var), var)
    return mean, var


@torch.no_grad()
def ema_update(running: Tensor, new: Tensor, seen: Tensor, first: Tensor, momentum: float) -> None:
    """In place, per bin: ``m * running + (1 - m) * new``; ``new`` on a bin's first update; bins
    not ``seen`` this epoch are left unchanged."""
    weight = torch.where(first, torch.zeros_like(seen, dtype=new.dtype), momentum)
    weight = torch.where(seen, weight, torch.ones_like(weight)).view(-1, *([1] * (new.dim() - 1)))
    running.copy_(weight * running.to(new.dtype) + (1.0 - weight) * new)


def reflect_index(index: np.ndarray, n: int) -> np.ndarray:
    """Map integer positions onto ``0..n-1`` by mirror reflection without repeating the edge.

    This is ``numpy.pad(mode="reflect")`` / ``torch.nn.functional.pad(mode="reflect")``
    extended to pads of any width (the pattern repeats with period ``2 (n - 1)``).

    Examples
    --------
    >>> reflect_index(np.arange(-2, 7), 5).tolist()
    [2, 1, 0, 1, 2, 3, 4, 3, 2]
    """
    if n == 1:
        return np.zeros_like(index)
    period = 2 * (n - 1)
    folded = np.mod(index, period)
    return np.where(folded >= n, period - folded, folded)


def smoothing_matrix(window: np.ndarray, n_bins: int) -> Tensor:
    """Return the (n_bins, n_bins) matrix ``M`` with ``M @ stats`` = ``stats`` convolved over bins.

    The window is applied with reflect padding at both ends, so each row of ``M`` sums to the
    window's sum (1 for FDS's sum-normalised kernel).

    Examples
    --------
    >>> m = smoothing_matrix(np.array([0.25, 0.5, 0.25]), 4)
    >>> m[0].tolist(), m.sum(dim=1).tolist()
    ([0.5, 0.5, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0])
    """
    half = len(window) // 2
    rows = np.repeat(np.arange(n_bins), len(window))
    offsets = np.tile(np.arange(-half, half + 1), n_bins)
    cols = reflect_index(rows + offsets, n_bins)
    weights = np.tile(np.asarray(window, dtype=np.float64), n_bins)
    matrix = np.zeros((n_bins, n_bins))
    np.add.at(matrix, (rows, cols), weights)
    return torch.from_numpy(matrix)
