"""Group contrastive loss (GCL) of Group-DIR (Pu et al., AAAI 2025, eq. 2; follow-up eq. 8)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
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
from dirkit.losses._gram import self_gram
from dirkit.losses._ordinal_contrastive import ordinal_contrastive
from dirkit.losses._reduction import (
    REDUCTIONS,
    Reduction,
    check_features_labels,
    check_min_batch,
    check_weight,
    reduce_weighted,
)

__all__ = ["GroupContrastiveLoss", "group_contrastive_loss"]

_CONSTRAINTS: dict[str, list[object]] = {
    "temperature": [Interval(float, 0, None, closed="neither")],
    "gather": ["boolean"],
    "reduction": [OneOf(REDUCTIONS)],
}


@fill_doc
@validate_params(_CONSTRAINTS)
def group_contrastive_loss(
    features: Tensor,
    groups: Tensor,
    *,
    temperature: float = 0.07,
    gather: bool = False,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Ordinal group-aware contrastive loss.

    ``L = -1/(n(n-1)) sum_i sum_{j != i} log(s_ij / sum_{k != i, d_ik >= d_ij} s_ik)`` with
    ``s_ij = exp(cos(z_i, z_j) / t)`` and group distance ``d_ik = |g_i - g_k|``: each sample is
    pulled towards samples of nearer groups more than towards samples of farther groups.
    The distances take only ``G`` values, so each anchor's row is reduced to per-group
    log-sum-exps and the denominators are suffix sums over the groups: O(n^2 + nG log G), no
    sort over ``n`` (see :func:`ordinal_contrastive`), exactly equal to the O(n^3)
    per-anchor-mask formulation of the reference code.

    Parameters
    ----------
    features : Tensor of shape (N, D)
        Features (normalised here, so cosine similarity is a dot product).
    groups : Tensor of shape (N,) or (N, 1)
        Group index of each sample.
    temperature : float
        ``t``; 0.07 is the Group-DIR code's default.
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
    >>> features = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    >>> groups = torch.tensor([0, 0, 1])
    >>> group_contrastive_loss(features, groups, temperature=0.5)
    tensor(0.2808)
    """
    features, group_values = check_features_labels(features, groups, "groups")
    vector_weight = check_weight(weight, features.shape[0], features)
    all_features, all_groups, anchor_columns = gather_batch(features, group_values, enabled=gather)
    check_min_batch(all_features.shape[0], 2, "group_contrastive_loss", "each anchor needs another sample")
    samples = F.normalize(all_features, dim=1)
    if all_features is features:  # one process: the anchors are the samples
        cosines = self_gram(samples)
    else:
        cosines = F.normalize(features, dim=1) @ samples.T
    per_anchor = ordinal_contrastive(
        cosines, group_values, all_groups, anchor_columns, temperature=temperature, score_bound=1.0
    )
    return reduce_weighted(per_anchor, vector_weight, reduction)


@LOSSES.register("gcl")
@fill_doc
class GroupContrastiveLoss(LossModule):
    """Module form of :func:`group_contrastive_loss`.

    Parameters
    ----------
    temperature : float
        ``t``; 0.07 is the Group-DIR code's default.
    gather : bool
        Gather the batches of all processes under ``torch.distributed``.
    %(reduction)s

    Examples
    --------
    >>> loss = GroupContrastiveLoss(temperature=0.5)
    >>> loss(torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]), torch.tensor([0, 0, 1]))
    tensor(0.2808)
    """

    _grad_input = "features"
    _min_batch_size = 2
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _CONSTRAINTS

    def __init__(
        self, *, temperature: float = 0.07, gather: bool = False, reduction: Reduction = "mean"
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        self.temperature, self.gather, self.reduction = temperature, gather, reduction

    def forward(self, features: Tensor, groups: Tensor, weight: Tensor | None = None) -> Tensor:
        return group_contrastive_loss(
            features,
            groups,
            temperature=self.temperature,
            gather=self.gather,
            weight=weight,
            reduction=self.reduction,
        )

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        features = torch.randn(n, 16, dtype=dtype, generator=generator)
        return {"features": features, "groups": torch.randint(0, 4, (n,), generator=generator)}
