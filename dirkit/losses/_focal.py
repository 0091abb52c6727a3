"""Focal-R (Yang et al., ICML 2021): regression errors scaled by an error-aware factor in [0, 1]."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
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

__all__ = ["FocalL1Loss", "FocalMSELoss", "focal_l1", "focal_mse", "focal_regression"]

Activation = Literal["sigmoid", "tanh"]

_CONSTRAINTS: dict[str, list[object]] = {
    "power": [Interval(float, 0, None, closed="neither")],
    "beta": [Interval(float, 0, None, closed="neither")],
    "gamma": [Interval(float, 0, None)],
    "activation": [OneOf(("sigmoid", "tanh"))],
    "reduction": [OneOf(REDUCTIONS)],
}


@fill_doc
@validate_params(_CONSTRAINTS)
def focal_regression(
    pred: Tensor,
    target: Tensor,
    *,
    power: float,
    beta: float = 0.2,
    gamma: float = 1.0,
    activation: Activation = "sigmoid",
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Focal-R loss ``|e|^power * a(beta * |e|)^gamma`` with ``e = pred - target``.

    ``a(x) = 2 * sigmoid(x) - 1`` maps the absolute error into [0, 1) (the DIR reference code;
    the paper writes ``sigmoid``, whose range [0.5, 1) would not down-weight easy samples);
    ``activation="tanh"`` uses ``a(x) = tanh(x)`` instead.

    Parameters
    ----------
    pred : Tensor of shape (N,) or (N, 1)
        Predictions.
    target : Tensor of shape (N,) or (N, 1)
        Regression targets.
    power : float
        Exponent of the base error: 1 for focal-L1, 2 for focal-MSE.
    beta : float
        Scale of the error inside the activation (paper default 0.2).
    gamma : float
        Exponent of the focal factor (paper default 1).
    activation : {"sigmoid", "tanh"}
        The map from error size to focal factor.
    %(weight)s
    %(reduction)s

    Returns
    -------
    Tensor
        A scalar, or shape (N,) with ``reduction="none"``.

    Examples
    --------
    >>> pred, target = torch.tensor([0.0, 10.0]), torch.zeros(2)
    >>> focal_regression(pred, target, power=1.0, reduction="none")
    tensor([0.0000, 7.6159])
    """
    pred, target = check_pred_target(pred, target)
    vector_weight = check_weight(weight, pred.shape[0], pred)
    error = (pred - target).abs()
    scaled = beta * error
    factor = torch.tanh(scaled) if activation == "tanh" else 2.0 * torch.sigmoid(scaled) - 1.0
    return reduce_weighted(error.pow(power) * factor.pow(gamma), vector_weight, reduction)


@fill_doc
def focal_l1(
    pred: Tensor,
    target: Tensor,
    *,
    beta: float = 0.2,
    gamma: float = 1.0,
    activation: Activation = "sigmoid",
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Focal-L1: :func:`focal_regression` with ``power=1``.

    Parameters
    ----------
    pred, target : Tensor of shape (N,) or (N, 1)
        Predictions and regression targets.
    beta, gamma, activation
        As in :func:`focal_regression`.
    %(weight)s
    %(reduction)s

    Examples
    --------
    >>> focal_l1(torch.tensor([10.0]), torch.tensor([0.0]))
    tensor(7.6159)
    """
    return focal_regression(
        pred,
        target,
        power=1.0,
        beta=beta,
        gamma=gamma,
        activation=activation,
        weight=weight,
        reduction=reduction,
    )


@fill_doc
def focal_mse(
    pred: Tensor,
    target: Tensor,
    *,
    beta: float = 0.2,
    gamma: float = 1.0,
    activation: Activation = "sigmoid",
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Focal-MSE: :func:`focal_regression` with ``power=2``.

    Parameters
    ----------
    pred, target : Tensor of shape (N,) or (N, 1)
        Predictions and regression targets.
    beta, gamma, activation
        As in :func:`focal_regression`.
    %(weight)s
    %(reduction)s

    Examples
    --------
    >>> focal_mse(torch.tensor([10.0]), torch.tensor([0.0]))
    tensor(76.1594)
    """
    return focal_regression(
        pred,
        target,
        power=2.0,
        beta=beta,
        gamma=gamma,
        activation=activation,
        weight=weight,
        reduction=reduction,
    )


class _FocalModule(LossModule):
    """Shared constructor and forward of the two Focal-R Modules (power fixed per subclass)."""

    _power: ClassVar[float] = 1.0
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        name: _CONSTRAINTS[name] for name in ("beta", "gamma", "activation", "reduction")
    }

    def __init__(
        self,
        *,
        beta: float = 0.2,
        gamma: float = 1.0,
        activation: Activation = "sigmoid",
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        self.beta, self.gamma, self.activation, self.reduction = beta, gamma, activation, reduction

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
        return focal_regression(
            pred,
            target,
            power=self._power,
            beta=self.beta,
            gamma=self.gamma,
            activation=self.activation,
            weight=weight,
            reduction=self.reduction,
        )

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        return random_regression_batch(n, dtype=dtype, generator=generator)


@LOSSES.register("focal-l1")
@fill_doc
class FocalL1Loss(_FocalModule):
    """Module form of :func:`focal_l1`; the sample weights are passed to ``forward``.

    Parameters
    ----------
    beta : float
        Scale of the error inside the activation (paper default 0.2).
    gamma : float
        Exponent of the focal factor (paper default 1).
    activation : {"sigmoid", "tanh"}
        ``2 * sigmoid(x) - 1`` or ``tanh(x)``.
    %(reduction)s

    Examples
    --------
    >>> FocalL1Loss(beta=0.2, gamma=1.0)(torch.tensor([10.0]), torch.tensor([0.0]))
    tensor(7.6159)
    """

    _power = 1.0


@LOSSES.register("focal-mse")
@fill_doc
class FocalMSELoss(_FocalModule):
    """Module form of :func:`focal_mse`; the sample weights are passed to ``forward``.

    Parameters
    ----------
    beta : float
        Scale of the error inside the activation (paper default 0.2).
    gamma : float
        Exponent of the focal factor (paper default 1).
    activation : {"sigmoid", "tanh"}
        ``2 * sigmoid(x) - 1`` or ``tanh(x)``.
    %(reduction)s

    Examples
    --------
    >>> FocalMSELoss(activation="tanh")(torch.tensor([10.0]), torch.tensor([0.0]))
    tensor(96.4028)
    """

    _power = 2.0
