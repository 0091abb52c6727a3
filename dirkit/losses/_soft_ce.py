"""Cross-entropy against soft class targets (Group-DIR's descending soft labels)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor

from dirkit._registry import LOSSES
from dirkit._validation import OneOf, validate_parameter_constraints, validate_params
from dirkit.exceptions import ShapeError
from dirkit.losses._base import LossModule
from dirkit.losses._docs import fill_doc
from dirkit.losses._reduction import REDUCTIONS, Reduction, check_weight, reduce_weighted

__all__ = ["SoftCrossEntropyLoss", "soft_cross_entropy"]


@fill_doc
@validate_params({"reduction": [OneOf(REDUCTIONS)]})
def soft_cross_entropy(
    logits: Tensor,
    target: Tensor,
    *,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Cross-entropy ``-sum_j q_j log p_j`` of ``p = softmax(logits)`` against soft targets ``q``.

    The default ``"mean"`` averages over the batch, so the balance against a batch-mean MSE does
    not depend on the batch size. The Group-DIR authors' code sums over the batch instead;
    ``reduction="sum"`` reproduces it.

    Parameters
    ----------
    logits : Tensor of shape (N, C)
        Unnormalised class scores.
    target : Tensor of shape (N, C)
        Soft targets, one row per sample, e.g. from
        :func:`dirkit.labels.descending_soft_labels`. Rows normally sum to 1; rows that do not
        (the "dev-code" asymmetric labels) are used as given.
    %(weight)s
    %(reduction)s

    Returns
    -------
    Tensor
        A scalar, or shape (N,) with ``reduction="none"``.

    Examples
    --------
    >>> logits = torch.zeros(2, 4)
    >>> soft_cross_entropy(logits, torch.full((2, 4), 0.25))
    tensor(1.3863)
    """
    if not isinstance(logits, Tensor) or not isinstance(target, Tensor):
        raise TypeError("logits and target must be torch.Tensors.")
    if logits.ndim != 2 or target.shape != logits.shape:
        raise ShapeError(
            f"logits and target must both have shape (N, C); got logits {tuple(logits.shape)} "
            f"and target {tuple(target.shape)}."
        )
    vector_weight = check_weight(weight, logits.shape[0], logits)
    log_probability = torch.log_softmax(logits, dim=1)
    per_sample = -(target.to(logits.dtype) * log_probability).sum(dim=1)
    return reduce_weighted(per_sample, vector_weight, reduction)


@LOSSES.register("soft-ce")
@fill_doc
class SoftCrossEntropyLoss(LossModule):
    """Module form of :func:`soft_cross_entropy`.

    Parameters
    ----------
    %(reduction)s

    Examples
    --------
    >>> loss = SoftCrossEntropyLoss(reduction="sum")
    >>> loss(torch.zeros(2, 4), torch.full((2, 4), 0.25))
    tensor(2.7726)
    """

    _grad_input = "logits"

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"reduction": [OneOf(REDUCTIONS)]}

    def __init__(self, *, reduction: Reduction = "mean") -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        self.reduction = reduction

    def forward(self, logits: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
        return soft_cross_entropy(logits, target, weight=weight, reduction=self.reduction)

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        logits = torch.randn(n, 5, dtype=dtype, generator=generator)
        target = torch.softmax(2.0 * torch.randn(n, 5, dtype=dtype, generator=generator), dim=1)
        return {"logits": logits, "target": target}
