"""Which composed method sets the plan's regression loss (Focal-R, Balanced MSE, RnC's probe)."""

from __future__ import annotations

from dirkit._registry import METHODS
from dirkit.exceptions import ConfigError
from dirkit.methods._plan import RegressionLoss, TrainingPlan

__all__ = ["LOSS_METHODS", "choose_regression_loss", "loss_method_composed"]

LOSS_METHODS = ("balanced-mse", "focal-r")
"""Methods that replace the regression loss; at most one of them per composition."""


def loss_method_composed(plan: TrainingPlan) -> bool:
    """True when a method of :data:`LOSS_METHODS` has already been applied to ``plan``.

    ``build_plan`` records each method's config in ``plan.configs`` right after applying it, so
    whichever of two methods is applied second sees the first, whatever the spec order.
    """
    return any(name in plan.configs for name in LOSS_METHODS)


def choose_regression_loss(
    plan: TrainingPlan, loss: RegressionLoss, name: str, *, method: str, label_units: bool = False
) -> None:
    """Set ``plan.regression_loss`` for ``method``, refusing a second loss-replacing method.

    ``label_units``: the loss has parameters in label units, so heads compute it in label units
    (``plan.regression_loss_in_label_units``).

    Raises
    ------
    ConfigError
        When another method of :data:`LOSS_METHODS` is in the composition.
    """
    if not plan.head.uses_regression_loss:
        heads = [name for name in plan.configs if METHODS.get(name).defines_head]
        raise ConfigError(
            f"{method!r} replaces the regression loss, but {heads[0] if heads else 'the head'!r} "
            "trains with its own loss (classifiers or a likelihood), not a regression loss; "
            f"drop {method!r} from the spec."
        )
    others = [other for other in LOSS_METHODS if other != method and other in plan.configs]
    if others:
        raise ConfigError(
            f"{method!r} and {others[0]!r} both replace the regression loss; compose only one of "
            "them (re-weighting, FDS and regularisers combine with either)."
        )
    plan.regression_loss = loss
    plan.regression_loss_name = name
    plan.regression_loss_in_label_units = label_units
