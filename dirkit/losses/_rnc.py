"""Rank-N-Contrast (Zha et al., NeurIPS 2023): contrast samples by their ranking in label space."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor

from dirkit._registry import LOSSES
from dirkit._validation import (
    Interval,
    OneOf,
    validate_parameter_constraints,
    validate_params,
)
from dirkit.losses._base import LossModule
from dirkit.losses._docs import fill_doc
from dirkit.losses._gather import gather_batch
from dirkit.losses._ordinal_contrastive import ordinal_contrastive
from dirkit.losses._reduction import (
    REDUCTIONS,
    Reduction,
    check_features_labels,
    check_min_batch,
    check_weight,
    reduce_weighted,
)

__all__ = ["RankNContrastLoss", "rank_n_contrast_loss"]

_CONSTRAINTS: dict[str, list[object]] = {
    "temperature": [Interval(float, 0, None, closed="neither")],
    "gather": ["boolean"],
    "reduction": [OneOf(REDUCTIONS)],
}


def _euclidean_distances(anchors: Tensor, samples: Tensor) -> Tensor:
    """Pairwise L2 distances via one matrix product, centred first to limit cancellation.

    Squared distances are floored at the smallest normal float before the square root, so a
    pair of identical features (the anchor itself included) has a zero, not a NaN, gradient.
    """
    centre = samples.detach().mean(dim=0)
    a, b = anchors - centre, samples - centre
    squared = a.square().sum(1)[:, None] + b.square().sum(1)[None, :] - 2.0 * (a @ b.T)
    return squared.clamp_min(torch.finfo(squared.dtype).tiny).sqrt()


@fill_doc
@validate_params(_CONSTRAINTS)
def rank_n_contrast_loss(
    features: Tensor,
    labels: Tensor,
    *,
    temperature: float = 2.0,
    gather: bool = False,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Rank-N-Contrast loss.

    ``L = -1/(n(n-1)) sum_i sum_{j != i} log(s_ij / sum_{k != i, d_ik >= d_ij} s_ik)`` with
    ``s_ij = exp(-||z_i - z_j||_2 / t)`` and label distance ``d_ik = |y_i - y_k|``. Computed in
    O(n^2 log n) by sorting each anchor's row for continuous labels, and in O(n^2 + nG log G)
    from per-label buckets when the batch has few distinct labels (binned or integer labels; see
    :func:`ordinal_contrastive`), exactly equal to the O(n^3) formulation. For two augmented
    views, concatenate the views and repeat the labels.

    Parameters
    ----------
    features : Tensor of shape (N, D)
        Features (not normalised: RnC uses the plain L2 distance).
    labels : Tensor of shape (N,) or (N, 1)
        Regression labels.
    temperature : float
        ``t``; the paper's default is 2.
    gather : bool
        Under ``torch.distributed``, contrast this process's samples (the anchors) with the
        batches of all processes, gathered with gradients. Each process returns the loss of its
        own anchors; the mean over processes (which DDP's gradient averaging takes) equals the
        loss of the whole gathered batch. No effect on one process.
    %(weight)s
    %(reduction)s

    Returns
    -------
    Tensor
        A scalar, or the per-anchor losses of shape (N,) with ``reduction="none"``.

    Raises
    ------
    ShapeError
        For a (gathered) batch of fewer than 2 samples.

    Examples
    --------
    >>> features = torch.tensor([[0.0], [1.0], [3.0]])
    >>> rank_n_contrast_loss(features, torch.tensor([0.0, 1.0, 3.0]), temperature=1.0)
    tensor(0.1256)
    """
    features, label_values = check_features_labels(features, labels, "labels")
    vector_weight = check_weight(weight, features.shape[0], features)
    all_features, all_labels, anchor_columns = gather_batch(features, label_values, enabled=gather)
    check_min_batch(all_features.shape[0], 2, "rank_n_contrast_loss", "each anchor needs another sample")
    distances = _euclidean_distances(features, all_features)  # logits: distances / -temperature
    per_anchor = ordinal_contrastive(
        distances, label_values, all_labels, anchor_columns, temperature=-temperature
    )
    return reduce_weighted(per_anchor, vector_weight, reduction)


@LOSSES.register("rnc")
@fill_doc
class RankNContrastLoss(LossModule):
    """Module form of :func:`rank_n_contrast_loss`.

    Parameters
    ----------
    temperature : float
        ``t``; the paper's default is 2.
    gather : bool
        Gather the batches of all processes under ``torch.distributed``.
    %(reduction)s

    Examples
    --------
    >>> loss = RankNContrastLoss(temperature=1.0)
    >>> loss(torch.tensor([[0.0], [1.0], [3.0]]), torch.tensor([0.0, 1.0, 3.0]))
    tensor(0.1256)
    """

    _grad_input = "features"
    _min_batch_size = 2
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _CONSTRAINTS

    def __init__(
        self, *, temperature: float = 2.0, gather: bool = False, reduction: Reduction = "mean"
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        self.temperature, self.gather, self.reduction = temperature, gather, reduction

    def forward(self, features: Tensor, labels: Tensor, weight: Tensor | None = None) -> Tensor:
        return rank_n_contrast_loss(
            features,
            labels,
            temperature=self.temperature,
            gather=self.gather,
            weight=weight,
            reduction=self.reduction,
        )

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        features = torch.randn(n, 16, dtype=dtype, generator=generator)
        labels = torch.randint(0, 6, (n,), generator=generator).to(dtype)
        return {"features": features, "labels": labels}
