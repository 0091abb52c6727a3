"""The ordinal contrastive objective for labels with few distinct values, without a sort over n.

When the labels (or groups) take only ``G`` distinct values ``u_1..u_G``, the denominator of
(anchor ``i``, sample ``j``) in

    log( s_ij / sum_{k != i, d_ik >= d_ij} s_ik ),   s_ij = exp(logit_ij),

depends on ``j`` only through its label: it is a sum over whole label buckets. So each anchor's
row is first reduced to per-bucket log-sum-exps (a segment reduction over the ``n`` columns,
shifted by each bucket's own maximum, so no bucket underflows), then a suffix log-sum-exp over
the ``G`` buckets ordered by their distance to the anchor gives every denominator: O(n^2 + nG
log G) time, no sort over ``n``. The per-anchor loss only needs each bucket's size:

    loss_i = ( sum_c count_ic * log_denominator_ic - sum_{j != i} logit_ij ) / (n - 1).

The gradient is computed in closed form in backward (one pass over the (m, n) matrix):
``d loss_i / d logit_ik = (exp(logit_ik + Q_i,c(k)) - 1) / (n - 1)`` for ``k != i``, with
``Q_ic' = log sum_{c: d_ic <= d_ic'} count_ic / denominator_ic``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from dirkit.losses._row_sort import tie_bounds

__all__ = ["binned_ordinal_contrastive_per_anchor", "bucket_cumulative_terms"]

#: Up to this many buckets the suffix sums use an (m, G, G) mask; above, a sort of each row.
MASK_MAX_BUCKETS = 32


def _cumulative_by_mask(bucket_lse: Tensor, log_counts: Tensor, distances: Tensor) -> tuple[Tensor, Tensor]:
    """:func:`bucket_cumulative_terms` through an (m, G, G) mask: fewer operations for small G."""
    farther = distances[:, None, :] >= distances[:, :, None]  # [i, c, c']: d_ic' >= d_ic
    minus_inf = bucket_lse.new_tensor(float("-inf"))
    log_denominator = torch.logsumexp(torch.where(farther, bucket_lse[:, None, :], minus_inf), dim=2)
    terms = log_counts - log_denominator
    log_weight = torch.logsumexp(torch.where(farther, terms[:, :, None], minus_inf), dim=1)
    return log_denominator, log_weight


def bucket_cumulative_terms(
    bucket_lse: Tensor, log_counts: Tensor, distances: Tensor
) -> tuple[Tensor, Tensor]:
    """Per-bucket log denominators and the log weights of the gradient, over (m, G) tables.

    Parameters
    ----------
    bucket_lse : Tensor of shape (m, G)
        Log-sum-exp of each anchor's logits in each bucket (``-inf`` for an empty bucket).
    log_counts : Tensor of shape (m, G)
        Log of the number of samples (the anchor excluded) in each bucket.
    distances : Tensor of shape (m, G)
        Distance of each bucket's label to the anchor's; ties are treated exactly.

    Returns
    -------
    log_denominator : Tensor of shape (m, G)
        ``LSE_{c': d_c' >= d_c} bucket_lse_c'``.
    log_weight : Tensor of shape (m, G)
        ``Q_c = LSE_{c': d_c' <= d_c} (log_counts_c' - log_denominator_c')``.

    Examples
    --------
    >>> lse = torch.log(torch.tensor([[1.0, 2.0, 3.0]]))
    >>> den, _ = bucket_cumulative_terms(lse, torch.zeros(1, 3), torch.tensor([[0.0, 1.0, 1.0]]))
    >>> den.exp()
    tensor([[6., 5., 5.]])
    """
    if distances.shape[1] <= MASK_MAX_BUCKETS:
        return _cumulative_by_mask(bucket_lse, log_counts, distances)
    order = torch.argsort(distances, dim=1, descending=True)
    tie_start, tie_end = tie_bounds(distances.gather(1, order))
    running = torch.logcumsumexp(bucket_lse.gather(1, order), dim=1)
    sorted_denominator = running.gather(1, tie_end)
    terms = log_counts.gather(1, order) - sorted_denominator
    reverse_running = torch.logcumsumexp(terms.flip(1), dim=1).flip(1)
    sorted_weight = reverse_running.gather(1, tie_start)
    log_denominator = torch.empty_like(sorted_denominator).scatter_(1, order, sorted_denominator)
    log_weight = torch.empty_like(sorted_weight).scatter_(1, order, sorted_weight)
    return log_denominator, log_weight


def _shared_scale_terms(
    sums: Tensor, counts: Tensor, distances: Tensor, shift: float
) -> tuple[Tensor, Tensor]:
    """Log denominators and gradient weights from bucket sums ``sum exp(logit - shift)``.

    With one shift for all buckets the suffix sums over buckets are plain sums (a batched
    product with the (m, G, G) mask ``d_c' >= d_c``): no log-sum-exp. The weights are
    ``exp(shift + Q_c') = sum_{c: d_c <= d_c'} count_c / denominator_c`` on the same scale.
    """
    farther = (distances[:, None, :] >= distances[:, :, None]).to(sums.dtype)  # [i, c, c']
    denominator = torch.bmm(farther, sums[:, :, None]).squeeze(2)  # > 0: it holds bucket c
    weight = torch.bmm(farther.transpose(1, 2), (counts / denominator)[:, :, None]).squeeze(2)
    return denominator.log_().add_(shift), weight


def _constant_shift(score_bound: float | None, temperature: float, dtype: torch.dtype) -> bool:
    """Whether logits within ``[-bound/|t|, bound/|t|]`` can share one shift.

    The range must stay below half the exponent range of ``dtype`` (43 in float32), so that
    neither ``exp(logit - shift)`` underflows nor the gradient weights overflow.
    """
    if score_bound is None:
        return False
    return 2.0 * score_bound / abs(temperature) <= -math.log(torch.finfo(dtype).tiny) / 2.0


class _BinnedOrdinalContrastive(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        scores: Tensor,
        temperature: float,
        columns_bucket: Tensor,
        anchor_columns: Tensor,
        distances: Tensor,
        counts: Tensor,
        score_bound: float | None,
    ) -> Tensor:
        n_anchors, n_samples = scores.shape
        n_buckets = distances.shape[1]
        rows = torch.arange(n_anchors, device=scores.device)
        index = columns_bucket.expand(n_anchors, n_samples)
        shifted = torch.div(scores.detach(), temperature)  # the logits, in a buffer of our own
        anchor_logits = shifted[rows, anchor_columns]
        numerator_sum = shifted.sum(dim=1).double() - anchor_logits.double()
        shifted[rows, anchor_columns] = float("-inf")  # the anchor is in no numerator or denominator
        shared_shift = _constant_shift(score_bound, temperature, scores.dtype)
        top = 0.0 if score_bound is None else score_bound / abs(temperature)
        if shared_shift:  # |logit| <= bound / |t|: one shift for all buckets; no term underflows
            shifted.sub_(top).exp_()
        else:  # each bucket shifted by its own maximum: no bucket underflows
            shift = shifted.new_full((n_anchors, n_buckets), float("-inf"))
            shift.scatter_reduce_(1, index, shifted, reduce="amax")
            shift = torch.where(torch.isfinite(shift), shift, torch.zeros_like(shift))  # empty
            shifted.sub_(shift.index_select(1, columns_bucket)).exp_()
        sums = shifted.new_zeros((n_anchors, n_buckets)).scatter_add_(1, index, shifted)
        # The (m, G) tables are small: float64 keeps them exact to far below float32's precision.
        if shared_shift:  # the bucket sums share one scale: suffix sums are plain sums
            log_denominator, weight64 = _shared_scale_terms(sums.double(), counts, distances, top)
        else:
            shift64 = shift.double()
            bucket_lse = sums.double().log() + shift64  # -inf exactly for an empty bucket (sum 0)
            log_denominator, log_weight = bucket_cumulative_terms(bucket_lse, counts.log(), distances)
            weight64 = (shift64 + log_weight).exp()
        denominator_sum = torch.where(counts > 0, counts * log_denominator, 0.0).sum(dim=1)
        weight = weight64.to(scores.dtype)
        ctx.save_for_backward(shifted, weight, columns_bucket, anchor_columns)
        ctx.temperature = temperature
        return ((denominator_sum - numerator_sum) / (n_samples - 1)).to(scores.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_per_anchor: Tensor) -> tuple[Tensor | None, ...]:
        shifted, weight, columns_bucket, anchor_columns = ctx.saved_tensors
        scale = (grad_per_anchor / ((shifted.shape[1] - 1) * ctx.temperature))[:, None]
        grad = (weight * scale).index_select(1, columns_bucket)
        grad.mul_(shifted).sub_(scale)
        grad[torch.arange(grad.shape[0], device=grad.device), anchor_columns] = 0.0
        return grad, None, None, None, None, None, None


def binned_ordinal_contrastive_per_anchor(
    logits: Tensor,
    anchor_values: Tensor,
    values: Tensor,
    anchor_columns: Tensor,
    *,
    temperature: float = 1.0,
    score_bound: float | None = None,
    levels: Tensor | None = None,
    columns_bucket: Tensor | None = None,
) -> Tensor:
    """Per-anchor ordinal contrastive loss from per-label buckets (same value as the sort path).

    Parameters
    ----------
    logits : Tensor of shape (m, n)
        ``sim(z_i, z_j)`` of each of ``m`` anchors against all ``n`` samples; divided by
        ``temperature`` here (in the same pass as a copy the computation needs anyway).
    anchor_values : Tensor of shape (m,)
        Label (or group) of each anchor.
    values : Tensor of shape (n,)
        Label of each sample; the anchors' labels are ``values[anchor_columns]``.
    anchor_columns : Tensor of shape (m,)
        Column of each anchor itself, excluded from numerators and denominators.
    temperature : float
        Divides ``logits`` (a negative value flips the sign: RnC's logits are ``-distance / t``).
    score_bound : float, optional
        A bound on ``|logits|`` before the division (1 for cosine similarities). When the logits'
        range allows it, every bucket then shares one shift instead of its own maximum.
    levels, columns_bucket : Tensor, optional
        ``torch.unique(values, return_inverse=True)``, when the caller already has them.

    Returns
    -------
    Tensor of shape (m,)
        The loss of each anchor, ``-1/(n-1) sum_{j != i} log(s_ij / denominator_ij)``.

    Examples
    --------
    >>> logits = torch.zeros(3, 3)
    >>> values = torch.tensor([0.0, 1.0, 2.0])
    >>> binned_ordinal_contrastive_per_anchor(logits, values, values, torch.arange(3))
    tensor([0.3466, 0.6931, 0.3466])
    """
    if levels is None or columns_bucket is None:
        levels, columns_bucket = torch.unique(values, return_inverse=True)
    # Distances as the sort path computes them: |y_i - y_k| in the labels' dtype, then cast.
    distances = (anchor_values[:, None] - levels[None, :]).abs().to(logits.dtype).double()
    sizes = torch.bincount(columns_bucket, minlength=levels.shape[0]).double()
    counts = sizes.expand(anchor_values.shape[0], -1).clone()
    anchor_buckets = columns_bucket[anchor_columns]
    counts[torch.arange(counts.shape[0], device=counts.device), anchor_buckets] -= 1.0
    per_anchor: Tensor = _BinnedOrdinalContrastive.apply(
        logits, temperature, columns_bucket, anchor_columns, distances, counts, score_bound
    )
    return per_anchor
