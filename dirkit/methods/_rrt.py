"""``rrt``: regressor re-training with re-weighting on a frozen encoder (Yang et al. 2021)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from torch import Tensor, nn

from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.datasets._batches import Batch
from dirkit.exceptions import ConfigError
from dirkit.methods._compose import register_method
from dirkit.methods._plan import Stage, TrainingPlan
from dirkit.nn import DIRModel, DIROutput

__all__ = ["RRTConfig", "reinitialise_head"]

_CONSTRAINTS: dict[str, list[object]] = {
    "reweight": [OneOf(("inverse", "sqrt_inv", "none"))],
    "epoch_fraction": [Interval(float, 0, None, closed="neither")],
}
_REWEIGHTING_METHODS = ("inv", "sqinv")


@dataclass(frozen=True)
class RRTConfig:
    """Two stages: train the whole model normally, then re-train a re-initialised regressor.

    Yang et al. 2021 (Sec. 4, "two-stage training", after Kang et al. 2020's cRT): stage 1
    trains encoder and regressor without re-weighting; stage 2 freezes the encoder and
    re-trains the regressor with inverse re-weighting, based on the LDS-smoothed density when
    LDS is added (``"rrt+lds"``). The reference code re-initialises the regressor for stage 2
    (its ``--pretrained`` loader skips the regression layer); dirkit does the same.

    How composed weights are split between the stages: the plan's re-weighting settings
    (``lds`` and its kernel; ``inv``'s clip) apply to the **RRT stage**, whose weighting kind
    is ``reweight`` below unless ``inv`` or ``sqinv`` is composed (``"rrt+sqinv+lds"``: square-
    root inverse). The main stage is trained unweighted, as the paper's stage 1.

    Attributes
    ----------
    reweight : {"inverse", "sqrt_inv", "none"}
        Re-weighting of the regressor stage (paper: 'inverse').
    epoch_fraction : float
        Epochs of the regressor stage as a fraction of ``TrainConfig.epochs``. Default 1.0:
        the reference code re-trains the regressor with its ordinary training script and
        schedule (``--retrain_fc``); the best epoch is kept on validation, so a shorter stage
        only saves time. ``0.11`` mirrors the 10-of-90 epochs of Kang et al.'s cRT and of the
        Balanced MSE release's re-training commands.
    """

    reweight: Literal["inverse", "sqrt_inv", "none"] = "inverse"
    epoch_fraction: float = 1.0


def reinitialise_head(model: DIRModel) -> None:
    """Reset every parameterised layer of ``model.head`` (fresh regressor for stage 2).

    Examples
    --------
    >>> import torch
    >>> from dirkit.nn import MLP, RegressionHead
    >>> model = DIRModel(MLP(3, hidden=(4,)), RegressionHead(4))
    >>> with torch.no_grad():
    ...     _ = model.head.linear.weight.fill_(7.0)
    >>> reinitialise_head(model)
    >>> bool((model.head.linear.weight != 7.0).all())
    True
    """
    for module in model.head.modules():
        reset = getattr(module, "reset_parameters", None)
        if callable(reset):
            reset()


def _head_only(model: DIRModel) -> list[nn.Module]:
    return [model.head]


def _head_loss(output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
    return plan.head.loss(output, batch, plan)  # regularisers act on the frozen features: none


@register_method("rrt", RRTConfig,
                 summary="regressor re-training with inverse re-weighting (Yang et al. 2021)")
def _apply(plan: TrainingPlan, config: RRTConfig) -> None:
    validate_parameter_constraints(_CONSTRAINTS, vars(config), "rrt")
    if plan.main_weights is not None:
        raise ConfigError("'rrt' cannot be combined with another method that sets main_weights.")

    def stage_weights(finished: TrainingPlan) -> Mapping[str, Any]:
        settings = dict(finished.weights)
        if not any(name in finished.configs for name in _REWEIGHTING_METHODS):
            settings["reweight"] = config.reweight
        return settings

    plan.main_weights = {"reweight": "none", "lds": False}
    plan.stages.append(Stage(
        "rrt", "after", config.epoch_fraction, _head_only, _head_loss,
        prepare_model=reinitialise_head, weights=stage_weights,
    ))
