"""The ordinal contrastive objective for continuous labels: one sort per row, closed-form backward.

Sorting anchor ``i``'s row by increasing label distance turns every denominator set
``{k != i: d_ik >= d_ij}`` into a suffix of the sorted row, starting at the first sample tied
with ``j`` (:func:`tie_bounds`); a running log-sum-exp from the right gives all denominators
``D_r`` of the row. The gradient is taken in closed form instead of through
:func:`torch.logcumsumexp`'s backward (two more running log-sum-exps): sample ``p`` is in the
denominator of every position up to the end of its own tie group, so

    d loss_i / d logit_p = (exp(logit_p + Q_p) - 1) / (n - 1),
    Q_p = log sum_{r <= tie_end(p)} 1 / D_r,

one more running log-sum-exp. Each term ``logit_p - log D_r`` is at most 0, so nothing
overflows. Same value as :func:`~dirkit.losses._ordinal_contrastive.ordinal_contrastive_per_anchor`
(the autograd formulation, kept as the reference).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from dirkit.losses._row_sort import float_keys, sort_keys, tie_bounds

__all__ = ["sorted_ordinal_contrastive_per_anchor"]


#: On the CPU, rows whose logits span at most this are summed as ``exp`` in float32 (which
#: underflows below ``exp(-87)``), the rest by :func:`torch.logcumsumexp`.
_LINEAR_RANGE = 80.0


def _row_order(distances: Tensor, anchor_columns: Tensor) -> Tensor:
    """Stable ``argsort`` of each row of ``distances``, ascending, with the anchor first."""
    rows = torch.arange(distances.shape[0], device=distances.device)
    if distances.device.type != "cpu" or distances.dtype != torch.float32:
        masked = distances.clone()
        masked[rows, anchor_columns] = float("-inf")
        return torch.argsort(masked, dim=1, stable=True)
    keys = float_keys(distances)
    keys[rows, anchor_columns] = anchor_columns - (1 << 32)  # below every distance
    return sort_keys(keys)


def _log_cumsum_exp(values: Tensor, *, reverse: bool = False) -> Tensor:
    """:func:`torch.logcumsumexp` along dim 1 (from the right with ``reverse``), faster on the CPU.

    Column 0 (the anchor) must be ``-inf`` and the others finite. On the CPU, rows whose entries
    span at most ``_LINEAR_RANGE`` take ``log(cumsum(exp(x - max)))``, the sum in float64 (no
    error growth with ``n``); other rows, and other devices, take :func:`torch.logcumsumexp`.
    """
    if values.device.type != "cpu":
        return torch.logcumsumexp(values.flip(1), dim=1).flip(1) if reverse else torch.logcumsumexp(values, 1)
    top, low = values.amax(dim=1, keepdim=True), values[:, 1:].amin(dim=1, keepdim=True)
    terms = (values - top).exp_()
    running = (terms.flip(1) if reverse else terms).double().cumsum_(dim=1).to(values.dtype)
    result = (running.flip(1) if reverse else running).log_().add_(top)
    unsafe = (top - low > _LINEAR_RANGE).squeeze(1)
    if bool(unsafe.any()):
        rows = unsafe.nonzero().squeeze(1)
        exact = torch.logcumsumexp(values[rows].flip(1) if reverse else values[rows], dim=1)
        result[rows] = exact.flip(1) if reverse else exact
    return result


class _SortedOrdinalContrastive(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, scores: Tensor, temperature: float, distances: Tensor, anchor_columns: Tensor
    ) -> Tensor:
        # Nearest first, the anchor before all: the denominator of position r runs from the first
        # position tied with r to the end, so the anchor is in none of them.
        order = _row_order(distances.to(scores.dtype), anchor_columns)
        sorted_logits = torch.div(scores.detach().gather(1, order), temperature)
        sorted_logits[:, 0] = float("-inf")  # the anchor is in no numerator or denominator
        log_denominator = _log_cumsum_exp(sorted_logits, reverse=True)
        sorted_distances = distances.to(scores.dtype).gather(1, order)
        changes = sorted_distances[:, 2:] != sorted_distances[:, 1:-1]
        ties = sorted_distances.is_cuda or not bool(changes.all())  # continuous labels: none
        if ties:
            sorted_distances[:, 0] = float("-inf")
            tie_start, tie_end = tie_bounds(sorted_distances)
            log_denominator = log_denominator.gather(1, tie_start)
        per_anchor = -(sorted_logits[:, 1:] - log_denominator[:, 1:]).mean(dim=1)
        minus = log_denominator.neg_()
        minus[:, 0] = float("-inf")
        log_weight = _log_cumsum_exp(minus)
        if ties:
            log_weight = log_weight.gather(1, tie_end)
        ctx.save_for_backward(log_weight.add_(sorted_logits), order)
        ctx.temperature = temperature
        return per_anchor

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_per_anchor: Tensor) -> tuple[Tensor | None, ...]:
        exponent, order = ctx.saved_tensors
        scale = (grad_per_anchor / ((exponent.shape[1] - 1) * ctx.temperature))[:, None]
        sorted_grad = exponent.exp().sub_(1.0).mul_(scale)  # the saved tensor stays intact
        sorted_grad[:, 0] = 0.0  # the anchor
        return torch.empty_like(sorted_grad).scatter_(1, order, sorted_grad), None, None, None


def sorted_ordinal_contrastive_per_anchor(
    scores: Tensor, distances: Tensor, anchor_columns: Tensor, *, temperature: float = 1.0
) -> Tensor:
    """Per-anchor ordinal contrastive loss with logits ``scores / temperature``, by sorting rows.

    Parameters
    ----------
    scores : Tensor of shape (m, n)
        Similarities of each of ``m`` anchors to all ``n`` samples.
    distances : Tensor of shape (m, n)
        Label distance (non-negative) of each anchor to each sample; ties are treated exactly.
    anchor_columns : Tensor of shape (m,)
        Column of each anchor itself, excluded from numerators and denominators.
    temperature : float
        Divides ``scores``; may be negative (RnC's logits are ``distance / -t``).

    Returns
    -------
    Tensor of shape (m,)

    Examples
    --------
    >>> distances = torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    >>> sorted_ordinal_contrastive_per_anchor(torch.zeros(3, 3), distances, torch.arange(3))
    tensor([0.3466, 0.6931, 0.3466])
    """
    per_anchor: Tensor = _SortedOrdinalContrastive.apply(scores, temperature, distances, anchor_columns)
    return per_anchor
