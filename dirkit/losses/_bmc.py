"""Balanced MSE, batch-based Monte-Carlo variant (BMC; Ren et al., CVPR 2022)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from dirkit._registry import LOSSES
from dirkit._validation import Interval, OneOf, validate_parameter_constraints, validate_params
from dirkit.losses._base import LossModule, random_regression_batch
from dirkit.losses._docs import fill_doc
from dirkit.losses._noise import noise_variance, register_noise_sigma
from dirkit.losses._reduction import (
    REDUCTIONS,
    Reduction,
    check_min_batch,
    check_pred_target,
    check_weight,
    reduce_weighted,
)

__all__ = ["BMCLoss", "bmc_loss"]

_WHY_TWO = (
    "BMC classifies each prediction among the targets of the batch; with one sample that "
    "classification is trivially right, so the loss is constant and has no gradient"
)


@fill_doc
@validate_params({"reduction": [OneOf(REDUCTIONS)]})
def bmc_loss(
    pred: Tensor,
    target: Tensor,
    *,
    noise_sigma: float | Tensor = 1.0,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Balanced MSE with the training label distribution estimated by the batch targets.

    Sample ``i`` gets the cross-entropy of classifying ``pred_i`` as its own target among all
    targets of the batch, with logits ``-(pred_i - target_j)^2 / (2 sigma^2)``; the result is
    multiplied by ``2 sigma^2`` (detached), so the loss keeps the scale of the MSE while sigma
    is learned. Cost O(N^2).

    Parameters
    ----------
    pred : Tensor of shape (N,) or (N, 1)
        Predictions; N >= 2.
    target : Tensor of shape (N,) or (N, 1)
        Regression targets.
    noise_sigma : float or 0-d Tensor
        Label noise scale sigma; pass a learnable ``nn.Parameter`` to learn it.
    %(weight)s
    %(reduction)s

    Returns
    -------
    Tensor
        A scalar, or shape (N,) with ``reduction="none"``.

    Raises
    ------
    ShapeError
        For a batch of one sample (no balancing is possible).

    Examples
    --------
    >>> pred, target = torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0])
    >>> bmc_loss(pred, target, noise_sigma=1.0)
    tensor(0.9482)
    """
    pred, target = check_pred_target(pred, target)
    check_min_batch(pred.shape[0], 2, "bmc_loss", _WHY_TWO)
    vector_weight = check_weight(weight, pred.shape[0], pred)
    variance = noise_variance(noise_sigma, pred)
    logits = -(pred[:, None] - target[None, :]).square() / (2.0 * variance)
    own_target = torch.arange(pred.shape[0], device=pred.device)
    per_sample = F.cross_entropy(logits, own_target, reduction="none") * (2.0 * variance).detach()
    return reduce_weighted(per_sample, vector_weight, reduction)


@LOSSES.register("balanced-mse-bmc")
@fill_doc
class BMCLoss(LossModule):
    """Module form of :func:`bmc_loss`, holding the noise scale sigma.

    Parameters
    ----------
    init_noise_sigma : float
        Initial sigma, on the scale of the labels.
    learn_noise : bool
        Learn sigma (an ``nn.Parameter``: add ``loss.parameters()`` to the optimiser) or keep
        it fixed (a buffer).
    %(reduction)s

    Attributes
    ----------
    noise_sigma : Tensor
        The current sigma (0-d).

    Examples
    --------
    >>> loss = BMCLoss(init_noise_sigma=1.0, learn_noise=False)
    >>> loss(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0]))
    tensor(0.9482)
    """

    _min_batch_size = 2
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "init_noise_sigma": [Interval(float, 0, None, closed="neither")],
        "learn_noise": ["boolean"],
        "reduction": [OneOf(REDUCTIONS)],
    }
    noise_sigma: Tensor

    def __init__(
        self,
        init_noise_sigma: float = 1.0,
        *,
        learn_noise: bool = True,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        register_noise_sigma(self, init_noise_sigma, learn_noise)
        self.reduction = reduction

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
        return bmc_loss(pred, target, noise_sigma=self.noise_sigma, weight=weight, reduction=self.reduction)

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        return random_regression_batch(n, dtype=dtype, generator=generator)
