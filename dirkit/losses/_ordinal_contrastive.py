"""The ordinal contrastive objective shared by Rank-N-Contrast and the group contrastive loss.

For anchor ``i`` and every other sample ``j`` the objective takes

    log( s_ij / sum_{k != i, d_ik >= d_ij} s_ik ),   s_ij = exp(logit_ij),

so ``j`` is contrasted with every sample at least as far from the anchor as ``j`` is. Building
that set per (i, j) costs O(n^3). Sorting each anchor's row by decreasing distance turns every
set into a prefix of the sorted row, ended at the last sample tied with ``j``; a running
log-sum-exp over the sorted row (:func:`torch.logcumsumexp`, overflow-free) then gives all
denominators of the row at once: O(n^2 log n) time and O(n^2) memory in total.
"""

from __future__ import annotations

import torch
from torch import Tensor

from dirkit.losses._binned_contrastive import binned_ordinal_contrastive_per_anchor
from dirkit.losses._sorted_contrastive import sorted_ordinal_contrastive_per_anchor

__all__ = ["ordinal_contrastive", "ordinal_contrastive_per_anchor"]

#: The bucket path is used when the labels take at most this fraction of ``n`` distinct values.
BINNED_FRACTION = 0.5


def ordinal_contrastive_per_anchor(logits: Tensor, distances: Tensor, anchor_columns: Tensor) -> Tensor:
    """Per-anchor ordinal contrastive loss, ``-1/(n-1) sum_{j != i} log(s_ij / denominator)``.

    Parameters
    ----------
    logits : Tensor of shape (m, n)
        ``sim(z_i, z_j) / temperature`` of each of ``m`` anchors against all ``n`` samples.
    distances : Tensor of shape (m, n)
        Label (or group) distance of each anchor to each sample; ties are treated exactly.
    anchor_columns : Tensor of shape (m,)
        Column of each anchor itself, excluded from numerators and denominators.

    Returns
    -------
    Tensor of shape (m,)
        The loss of each anchor; their mean over all ``n`` anchors is the full objective.

    Examples
    --------
    >>> logits = torch.zeros(3, 3)
    >>> distances = torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    >>> ordinal_contrastive_per_anchor(logits, distances, torch.arange(3))
    tensor([0.3466, 0.6931, 0.3466])
    """
    n_anchors, n_samples = logits.shape
    rows = torch.arange(n_anchors, device=logits.device)
    # The anchor itself gets distance -inf: it sorts last and is in no other sample's prefix.
    masked = distances.to(logits.dtype).clone()
    masked[rows, anchor_columns] = float("-inf")
    order = torch.argsort(masked, dim=1, descending=True)
    sorted_distances = masked.gather(1, order)
    sorted_logits = logits.gather(1, order)
    running_log_sum = torch.logcumsumexp(sorted_logits, dim=1)
    # Position r's denominator runs to the last position tied with r: the first position at or
    # after r whose successor has a different distance (a reversed running minimum finds it).
    positions = torch.arange(n_samples, device=logits.device).expand(n_anchors, n_samples)
    ends_tie = torch.ones_like(sorted_distances, dtype=torch.bool)
    ends_tie[:, :-1] = sorted_distances[:, 1:] != sorted_distances[:, :-1]
    tie_end_candidates = torch.where(ends_tie, positions, n_samples - 1).flip(1)
    tie_end = torch.cummin(tie_end_candidates, dim=1).values.flip(1)
    log_denominator = running_log_sum.gather(1, tie_end)
    log_ratio = (sorted_logits - log_denominator)[:, :-1]  # the last column is the anchor
    return -log_ratio.mean(dim=1)


def ordinal_contrastive(
    similarities: Tensor,
    anchor_values: Tensor,
    values: Tensor,
    anchor_columns: Tensor,
    *,
    temperature: float = 1.0,
    score_bound: float | None = None,
) -> Tensor:
    """Per-anchor ordinal contrastive loss, by label buckets or by sorting each row.

    Labels with few distinct values (at most :data:`BINNED_FRACTION` of the batch: groups,
    binned or integer labels) take :func:`binned_ordinal_contrastive_per_anchor`, O(n^2 + nG
    log G) with no sort over ``n``; continuous labels take :func:`ordinal_contrastive_per_anchor`
    on the distances ``|y_i - y_k|`` (:func:`sorted_ordinal_contrastive_per_anchor`, with a
    closed-form backward). All give the value and gradient of :func:`ordinal_contrastive_per_anchor`,
    the autograd formulation kept as the reference.

    Parameters
    ----------
    similarities : Tensor of shape (m, n)
        The logits are ``similarities / temperature``.
    anchor_values : Tensor of shape (m,)
        Label of each anchor (``values[anchor_columns]``).
    values : Tensor of shape (n,)
        Label of each sample.
    anchor_columns : Tensor of shape (m,)
    temperature : float
        May be negative (RnC divides distances by ``-t``).
    score_bound : float, optional
        A bound on ``|similarities|`` (1 for cosines), which saves the bucket path a reduction.

    Returns
    -------
    Tensor of shape (m,)

    Examples
    --------
    >>> values = torch.tensor([0.0, 1.0, 2.0])
    >>> ordinal_contrastive(torch.zeros(3, 3), values, values, torch.arange(3))
    tensor([0.3466, 0.6931, 0.3466])
    """
    levels, columns_bucket = torch.unique(values, return_inverse=True)
    if levels.shape[0] <= BINNED_FRACTION * values.shape[0]:
        return binned_ordinal_contrastive_per_anchor(
            similarities, anchor_values, values, anchor_columns,
            temperature=temperature, score_bound=score_bound, levels=levels,
            columns_bucket=columns_bucket,
        )
    distances = (anchor_values[:, None] - values[None, :]).abs()
    return sorted_ordinal_contrastive_per_anchor(
        similarities, distances, anchor_columns, temperature=temperature
    )
