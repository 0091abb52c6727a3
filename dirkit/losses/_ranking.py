"""Ranks of each row of a matrix, with the blackbox-differentiation gradient (Vlastelica et al.).

Ranking is piecewise constant, so its true gradient is zero almost everywhere. Blackbox
differentiation (Vlastelica et al., ICLR 2020; used for ranks by Rolinek et al., CVPR 2020 and
RankSim, Gong et al., ICML 2022) returns the gradient of a piecewise-linear interpolation
instead: ``-(rank(s) - rank(s + lambda * dL/drank)) / lambda``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from dirkit.losses._row_sort import row_argsort, tie_bounds

__all__ = ["blackbox_row_ranks", "row_ranks"]


def row_ranks(scores: Tensor, *, ties: str = "ordinal") -> Tensor:
    """Descending ranks of each row, normalised to ``rank / n_columns`` (largest gets ``1/n``).

    Parameters
    ----------
    scores : Tensor of shape (m, n)
    ties : {"ordinal", "average"}
        ``"ordinal"`` breaks ties by column order (the first tied column gets the smaller rank);
        ``"average"`` gives tied entries the mean of their ranks, so the result does not depend
        on the column order.

    Examples
    --------
    >>> row_ranks(torch.tensor([[0.5, 2.0, 0.5]]), ties="average")
    tensor([[0.8333, 0.3333, 0.8333]])
    """
    n_columns = scores.shape[1]
    order = row_argsort(scores, descending=True)
    if ties == "average":
        # In a row sorted by decreasing score, a tie group at positions start..end (0-based)
        # shares the rank (start + end) / 2 + 1: the mean of its ordinal ranks.
        sorted_scores = scores.gather(1, order)
        if sorted_scores.is_cuda or not bool((sorted_scores[:, 1:] != sorted_scores[:, :-1]).all()):
            start, end = tie_bounds(sorted_scores)
            sorted_ranks = (start + end).to(scores.dtype) / 2.0 + 1.0
        else:  # no ties
            sorted_ranks = torch.arange(1, n_columns + 1, device=scores.device, dtype=scores.dtype)
            sorted_ranks = sorted_ranks.expand_as(scores)
        ranks = torch.empty_like(scores).scatter_(1, order, sorted_ranks)
    else:
        ranks = torch.empty_like(order)
        positions = torch.arange(1, n_columns + 1, device=scores.device).expand_as(order)
        ranks.scatter_(1, order, positions)
    return ranks.to(scores.dtype) / n_columns


class _BlackboxRowRanks(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, scores: Tensor, interpolation: float) -> Tensor:
        ranks = row_ranks(scores)
        ctx.interpolation = interpolation
        ctx.save_for_backward(scores, ranks)
        return ranks

    @staticmethod
    def backward(ctx: Any, grad_ranks: Tensor) -> tuple[Tensor, None]:
        scores, ranks = ctx.saved_tensors
        perturbed_ranks = row_ranks(scores + ctx.interpolation * grad_ranks)
        return -(ranks - perturbed_ranks) / ctx.interpolation, None


def blackbox_row_ranks(scores: Tensor, interpolation: float) -> Tensor:
    """:func:`row_ranks` (ordinal ties) with the blackbox gradient of strength ``interpolation``.

    Examples
    --------
    >>> scores = torch.tensor([[0.1, 0.9, 0.5]], requires_grad=True)
    >>> ranks = blackbox_row_ranks(scores, interpolation=2.0)
    >>> ranks
    tensor([[1.0000, 0.3333, 0.6667]], grad_fn=<_BlackboxRowRanksBackward>)
    """
    ranks: Tensor = _BlackboxRowRanks.apply(scores, interpolation)
    return ranks
