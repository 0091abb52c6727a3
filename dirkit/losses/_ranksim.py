"""RankSim (Gong et al., ICML 2022): match the ranking of feature similarities to label ranking."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

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
from dirkit.losses._ranking import blackbox_row_ranks, row_ranks
from dirkit.losses._reduction import check_features_labels

__all__ = ["RankSimLoss", "ranksim_loss"]

_CONSTRAINTS: dict[str, list[object]] = {
    "interpolation": [Interval(float, 0, None, closed="neither")],
    "gamma": [Interval(float, 0, None)],
    "label_ties": [OneOf(("average", "ordinal"))],
    "generator": [torch.Generator, None],
}


def _one_per_label(labels: Tensor, generator: torch.Generator | None) -> Tensor:
    """Indices of one randomly chosen sample per unique label, ordered by label."""
    unique, inverse = torch.unique(labels, return_inverse=True)
    if unique.shape[0] == labels.shape[0]:
        return torch.argsort(labels)
    device = generator.device if generator is not None else labels.device
    shuffled = torch.randperm(labels.shape[0], generator=generator, device=device).to(labels.device)
    positions = torch.arange(labels.shape[0], device=labels.device)
    first = torch.full_like(unique, labels.shape[0], dtype=torch.long)
    first = first.scatter_reduce(0, inverse[shuffled], positions, reduce="amin")
    return shuffled[first]


@validate_params(_CONSTRAINTS)
def ranksim_loss(
    features: Tensor,
    labels: Tensor,
    *,
    interpolation: float = 2.0,
    gamma: float = 1.0,
    label_ties: Literal["average", "ordinal"] = "average",
    generator: torch.Generator | None = None,
) -> Tensor:
    """RankSim regulariser: ``gamma * sum_i MSE(rank(S^z_i), rank(S^y_i))``.

    One sample per unique label is kept (chosen at random), which removes ties and boosts rare
    labels. ``S^z`` is the cosine similarity of the kept features, ``S^y_ij = -|y_i - y_j|``;
    ``rank`` ranks each row (rank / row length) and is differentiated as a blackbox
    (:func:`blackbox_row_ranks`). The sum over rows follows the paper and its code.

    Parameters
    ----------
    features : Tensor of shape (N, D)
        Features of the batch.
    labels : Tensor of shape (N,) or (N, 1)
        Regression labels.
    interpolation : float
        Blackbox interpolation strength lambda (paper default 2).
    gamma : float
        Weight of the regulariser.
    label_ties : {"average", "ordinal"}
        How equal label distances (``y_i - 1`` and ``y_i + 1``) are ranked. ``"average"``
        (default) gives them their mean rank, so the loss does not depend on the batch order;
        ``"ordinal"`` breaks ties by position, as the reference code's sort does.
    generator : torch.Generator, optional
        Source of randomness for choosing one sample per label.

    Returns
    -------
    Tensor
        A scalar.

    Examples
    --------
    >>> features = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    >>> ranksim_loss(features, torch.tensor([0.0, 1.0, 3.0]))  # rankings agree
    tensor(0.)
    >>> ranksim_loss(features, torch.tensor([0.0, 2.0, 1.0]))
    tensor(0.1667)
    """
    features, label_values = check_features_labels(features, labels, "labels")
    kept = _one_per_label(label_values, generator)
    kept_features, kept_labels = F.normalize(features[kept], dim=1), label_values[kept]
    feature_ranks = blackbox_row_ranks(kept_features @ kept_features.T, interpolation)
    label_similarity = -(kept_labels[:, None] - kept_labels[None, :]).abs()
    label_ranks = row_ranks(label_similarity, ties=label_ties)
    return gamma * (feature_ranks - label_ranks).square().mean(dim=1).sum()


@LOSSES.register("ranksim")
class RankSimLoss(LossModule):
    """Module form of :func:`ranksim_loss`.

    Parameters
    ----------
    interpolation : float
        Blackbox interpolation strength lambda (paper default 2).
    gamma : float
        Weight of the regulariser.
    label_ties : {"average", "ordinal"}
        How equal label distances are ranked (see :func:`ranksim_loss`).
    generator : torch.Generator, optional
        Source of randomness for choosing one sample per label.

    Examples
    --------
    >>> loss = RankSimLoss(interpolation=2.0, gamma=100.0)
    >>> features = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], requires_grad=True)
    >>> loss(features, torch.tensor([0.0, 2.0, 1.0])).backward()
    >>> features.grad.abs().sum() > 0
    tensor(True)
    """

    _grad_input = "features"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _CONSTRAINTS
    _xfail_checks: ClassVar[dict[str, str]] = {
        "weight_none_equals_ones": "RankSim ranks a batch of unique labels; it has no per-sample weights",
        "reduction_none_shape": "RankSim sums over one row per unique label, not per sample; "
        "it has no per-sample reduction",
    }

    def __init__(
        self,
        *,
        interpolation: float = 2.0,
        gamma: float = 1.0,
        label_ties: Literal["average", "ordinal"] = "average",
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        self.interpolation, self.gamma = interpolation, gamma
        self.label_ties, self.generator = label_ties, generator

    def forward(self, features: Tensor, labels: Tensor) -> Tensor:
        return ranksim_loss(
            features,
            labels,
            interpolation=self.interpolation,
            gamma=self.gamma,
            label_ties=self.label_ties,
            generator=self.generator,
        )

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        features = torch.randn(n, 16, dtype=dtype, generator=generator)
        labels = torch.randperm(n, generator=generator).to(dtype) * 0.5  # unique labels
        return {"features": features, "labels": labels}
