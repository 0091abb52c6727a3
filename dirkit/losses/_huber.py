"""Weighted Huber loss: quadratic for small errors, linear for large ones."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from dirkit._registry import LOSSES
from dirkit._validation import Interval, OneOf, validate_parameter_constraints, validate_params
from dirkit.losses._base import LossModule, random_regression_batch
from dirkit.losses._docs import fill_doc
from dirkit.losses._reduction import (
    REDUCTIONS,
    Reduction,
    check_pred_target,
    check_weight,
    reduce_weighted,
)

__all__ = ["HuberLoss", "weighted_huber"]

_CONSTRAINTS: dict[str, list[object]] = {
    "delta": [Interval(float, 0, None, closed="neither")],
    "reduction": [OneOf(REDUCTIONS)],
}


@fill_doc
@validate_params(_CONSTRAINTS)
def weighted_huber(
    pred: Tensor,
    target: Tensor,
    *,
    delta: float = 1.0,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Sample-weighted Huber loss.

    Per sample, with ``e = pred - target``: ``0.5 * e^2`` when ``|e| <= delta``, else
    ``delta * (|e| - 0.5 * delta)`` (the convention of :func:`torch.nn.functional.huber_loss`).

    Parameters
    ----------
    pred : Tensor of shape (N,) or (N, 1)
        Predictions.
    target : Tensor of shape (N,) or (N, 1)
        Regression targets.
    delta : float
        Error size where the loss turns from quadratic to linear.
    %(weight)s
    %(reduction)s

    Returns
    -------
    Tensor
        A scalar, or shape (N,) with ``reduction="none"``.

    Examples
    --------
    >>> pred, target = torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0])
    >>> weighted_huber(pred, target, reduction="none")
    tensor([0.1250, 2.5000])
    >>> weighted_huber(pred, target, delta=5.0, reduction="sum")
    tensor(4.6250)
    """
    pred, target = check_pred_target(pred, target)
    vector_weight = check_weight(weight, pred.shape[0], pred)
    per_sample = F.huber_loss(pred, target, reduction="none", delta=delta)
    return reduce_weighted(per_sample, vector_weight, reduction)


@LOSSES.register("huber")
@fill_doc
class HuberLoss(LossModule):
    """Module form of :func:`weighted_huber`; the sample weights are passed to ``forward``.

    Parameters
    ----------
    delta : float
        Error size where the loss turns from quadratic to linear.
    %(reduction)s

    Examples
    --------
    >>> HuberLoss(delta=1.0)(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0]))
    tensor(1.3125)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _CONSTRAINTS

    def __init__(self, *, delta: float = 1.0, reduction: Reduction = "mean") -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        self.delta = delta
        self.reduction = reduction

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
        return weighted_huber(pred, target, delta=self.delta, weight=weight, reduction=self.reduction)

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        return random_regression_batch(n, dtype=dtype, generator=generator)
