"""``focal-r``: the error-aware Focal-R regression loss (Yang et al. 2021)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.losses import focal_regression
from dirkit.methods._compose import register_method
from dirkit.methods._loss_choice import choose_regression_loss
from dirkit.methods._plan import TrainingPlan

__all__ = ["FocalRConfig"]

_CONSTRAINTS: dict[str, list[object]] = {
    "variant": [OneOf(("l1", "mse"))],
    "beta": [Interval(float, 0, None, closed="neither")],
    "gamma": [Interval(float, 0, None)],
    "activation": [OneOf(("sigmoid", "tanh"))],
}


@dataclass(frozen=True)
class FocalRConfig:
    """Focal-R: ``|e|^p * a(beta * |e|)^gamma`` with ``a(x) = 2 sigmoid(x) - 1`` (or ``tanh``).

    Defaults from Yang et al. 2021 ("Delving into Deep Imbalanced Regression", Sec. 4, and the
    reference code's ``weighted_focal_l1_loss``): ``variant="l1"`` (the loss of their age
    experiments), ``beta=0.2``, ``gamma=1``, ``activation="sigmoid"``. Errors are in label
    units (heads predict in label units), so ``beta`` keeps the paper's scale. Composed
    re-weighting (``"focal-r+lds"``) multiplies each sample's loss by its weight, as the paper.

    Attributes
    ----------
    variant : {"l1", "mse"}
        Focal-L1 (``p=1``, default 'l1') or focal-MSE (``p=2``).
    beta : float
        Scale of the error inside the activation (paper: 0.2).
    gamma : float
        Exponent of the focal factor (paper: 1.0).
    activation : {"sigmoid", "tanh"}
        ``2 * sigmoid(x) - 1`` (paper: 'sigmoid') or ``tanh(x)``.
    """

    variant: Literal["l1", "mse"] = "l1"
    beta: float = 0.2
    gamma: float = 1.0
    activation: Literal["sigmoid", "tanh"] = "sigmoid"


@register_method("focal-r", FocalRConfig,
                 summary="Focal-R error-aware regression loss (Yang et al. 2021)")
def _apply(plan: TrainingPlan, config: FocalRConfig) -> None:
    validate_parameter_constraints(_CONSTRAINTS, vars(config), "focal-r")
    power = 1.0 if config.variant == "l1" else 2.0
    loss = functools.partial(
        focal_regression, power=power, beta=config.beta, gamma=config.gamma,
        activation=config.activation,
    )
    choose_regression_loss(plan, loss, f"focal-{config.variant}", method="focal-r", label_units=True)
