"""Weighted L1 (mean absolute error) loss."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor

from dirkit._registry import LOSSES
from dirkit._validation import OneOf, validate_parameter_constraints, validate_params
from dirkit.losses._base import LossModule, random_regression_batch
from dirkit.losses._docs import fill_doc
from dirkit.losses._reduction import (
    REDUCTIONS,
    Reduction,
    check_pred_target,
    check_weight,
    reduce_weighted,
)

__all__ = ["L1Loss", "weighted_l1"]


@fill_doc
@validate_params({"reduction": [OneOf(REDUCTIONS)]})
def weighted_l1(
    pred: Tensor,
    target: Tensor,
    *,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Sample-weighted L1 loss ``w_i * |pred_i - target_i|``.

    Parameters
    ----------
    pred : Tensor of shape (N,) or (N, 1)
        Predictions.
    target : Tensor of shape (N,) or (N, 1)
        Regression targets.
    %(weight)s
    %(reduction)s

    Returns
    -------
    Tensor
        A scalar, or shape (N,) with ``reduction="none"``.

    Examples
    --------
    >>> pred, target = torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0])
    >>> weighted_l1(pred, target)
    tensor(1.5000)
    >>> weighted_l1(pred, target, weight=torch.tensor([2.0, 0.0]))
    tensor(1.)
    """
    pred, target = check_pred_target(pred, target)
    vector_weight = check_weight(weight, pred.shape[0], pred)
    return reduce_weighted((pred - target).abs(), vector_weight, reduction)


@LOSSES.register("l1")
@fill_doc
class L1Loss(LossModule):
    """Module form of :func:`weighted_l1`; the sample weights are passed to ``forward``.

    Parameters
    ----------
    %(reduction)s

    Examples
    --------
    >>> L1Loss()(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0]))
    tensor(1.5000)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"reduction": [OneOf(REDUCTIONS)]}

    def __init__(self, *, reduction: Reduction = "mean") -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        self.reduction = reduction

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
        return weighted_l1(pred, target, weight=weight, reduction=self.reduction)

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        return random_regression_batch(n, dtype=dtype, generator=generator)
