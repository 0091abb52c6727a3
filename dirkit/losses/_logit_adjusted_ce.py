"""Logit-adjusted cross-entropy (Menon et al., ICLR 2021) for imbalanced group classification."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from dirkit._registry import LOSSES
from dirkit._validation import Interval, OneOf, validate_parameter_constraints, validate_params
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.losses._base import LossModule
from dirkit.losses._docs import fill_doc
from dirkit.losses._reduction import (
    REDUCTIONS,
    Reduction,
    as_sample_vector,
    check_weight,
    reduce_weighted,
)

__all__ = ["LogitAdjustedCELoss", "logit_adjusted_cross_entropy"]

_CONSTRAINTS: dict[str, list[object]] = {"tau": [Interval(float, 0, None)], "reduction": [OneOf(REDUCTIONS)]}


@fill_doc
@validate_params(_CONSTRAINTS)
def logit_adjusted_cross_entropy(
    logits: Tensor,
    target: Tensor,
    *,
    class_prior: Tensor,
    tau: float = 1.0,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Cross-entropy of ``logits + tau * log(prior)`` against hard class labels.

    Adding the log prior during training only (predict with the raw logits) makes the
    classifier Fisher-consistent for the balanced error.

    Parameters
    ----------
    logits : Tensor of shape (N, C)
        Unnormalised class scores.
    target : Tensor of shape (N,) or (N, 1)
        Class indices in ``0..C-1`` (integer dtype).
    class_prior : Tensor of shape (C,)
        Training class frequencies or counts (positive; divided by their sum).
    tau : float
        Strength of the adjustment; 0 gives the plain cross-entropy.
    %(weight)s
    %(reduction)s

    Returns
    -------
    Tensor
        A scalar, or shape (N,) with ``reduction="none"``.

    Examples
    --------
    >>> prior = torch.tensor([0.9, 0.1])
    >>> logit_adjusted_cross_entropy(torch.zeros(1, 2), torch.tensor([1]), class_prior=prior)
    tensor(2.3026)
    """
    if logits.ndim != 2 or class_prior.shape != (logits.shape[1],):
        raise ShapeError(
            f"logits must have shape (N, C) and class_prior shape (C,); got logits "
            f"{tuple(logits.shape)} and class_prior {tuple(class_prior.shape)}."
        )
    labels = as_sample_vector(target, "target")
    if labels.shape[0] != logits.shape[0] or labels.dtype.is_floating_point:
        raise ShapeError(
            f"target must hold one integer class index per row of logits; got shape "
            f"{tuple(target.shape)} and dtype {target.dtype} for logits {tuple(logits.shape)}."
        )
    vector_weight = check_weight(weight, logits.shape[0], logits)
    prior = class_prior.to(logits.dtype)
    adjusted = logits + tau * (torch.log(prior) - torch.log(prior.sum()))
    per_sample = F.cross_entropy(adjusted, labels.long(), reduction="none")
    return reduce_weighted(per_sample, vector_weight, reduction)


@LOSSES.register("logit-adjusted-ce")
@fill_doc
class LogitAdjustedCELoss(LossModule):
    """Module form of :func:`logit_adjusted_cross_entropy`, holding the class prior.

    Parameters
    ----------
    class_prior : array-like of shape (C,)
        Training class counts or frequencies; every entry must be positive.
    tau : float
        Strength of the adjustment.
    %(reduction)s

    Examples
    --------
    >>> loss = LogitAdjustedCELoss([90, 10], tau=1.0)
    >>> loss(torch.zeros(1, 2), torch.tensor([1]))
    tensor(2.3026)
    """

    _grad_input = "logits"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _CONSTRAINTS
    class_prior: Tensor

    def __init__(self, class_prior: object, *, tau: float = 1.0, reduction: Reduction = "mean") -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        prior = np.asarray(class_prior, dtype=np.float64)
        if prior.ndim != 1 or not (prior > 0).all():
            raise ConfigError(
                f"class_prior must be a 1-D array of positive counts or frequencies; got "
                f"{prior.tolist()}. Merge or drop empty classes first."
            )
        self.register_buffer("class_prior", torch.as_tensor(prior / prior.sum()).float())
        self.tau = tau
        self.reduction = reduction

    def forward(self, logits: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
        return logit_adjusted_cross_entropy(
            logits,
            target,
            class_prior=self.class_prior,
            tau=self.tau,
            weight=weight,
            reduction=self.reduction,
        )

    @classmethod
    def _example_init_kwargs(cls) -> dict[str, Any]:
        return {"class_prior": [50.0, 25.0, 15.0, 7.0, 3.0]}

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        logits = torch.randn(n, 5, dtype=dtype, generator=generator)
        return {"logits": logits, "target": torch.randint(0, 5, (n,), generator=generator)}
