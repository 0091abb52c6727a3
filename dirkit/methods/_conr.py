"""``conr``: the ConR contrastive regulariser (Keramati et al. 2024)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import Tensor

from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.datasets._batches import Batch
from dirkit.losses import conr_loss
from dirkit.methods._compose import register_method
from dirkit.methods._plan import Regularizer, TrainingPlan
from dirkit.nn import DIROutput

__all__ = ["ConRConfig"]

_CONSTRAINTS: dict[str, list[object]] = {
    "beta": [Interval(float, 0, None)],
    "window": [Interval(float, 0, None)],
    "temperature": [Interval(float, 0, None, closed="neither")],
    "push_scale": [Interval(float, 0, None)],
    "weighted": ["boolean"],
    "features": [OneOf(("features", "calibrated"))],
}


@dataclass(frozen=True)
class ConRConfig:
    """Add ``beta * ConR(features, labels, predictions)`` to the main stage's loss.

    Defaults from Keramati et al. 2024 ("ConR", ICLR) and their AgeDB-DIR command:
    ``beta=4.0``, similarity window ``window=1.0`` (label units), ``temperature=0.2`` and
    pushing scale ``push_scale=0.01`` (their ``--beta``, ``-w``, ``-t``, ``-e``). Their loss
    code hard-codes a temperature of 0.07 despite the flag: pass ``temperature=0.07`` to
    reproduce it. Negatives are chosen by the head's predicted values (detached); the
    features are the encoder's, before FDS calibration, as their model returns them. The
    release contrasts two augmented views of each image; vector inputs have one view.

    Attributes
    ----------
    beta : float
        Weight of the regulariser (paper: 4.0).
    window : float
        Label and prediction similarity window ``w`` (paper: 1.0).
    temperature : float
        ``t`` (paper: 0.2).
    push_scale : float
        ``e`` in the pushing weight ``eta_i * exp(e * |y_i - y_q|)`` (paper: 0.01).
    weighted : bool
        Use the batch's sample weights (re-weighting, LDS) as each anchor's pushing power
        ``eta_i`` and as its loss weight, as the reference code does; without re-weighting
        they are all 1. False: ``eta_i = 1`` and unweighted anchors.
    features : {"features", "calibrated"}
        Which :class:`~dirkit.nn.DIROutput` field is contrasted (paper: 'features').
    """

    beta: float = 4.0
    window: float = 1.0
    temperature: float = 0.2
    push_scale: float = 0.01
    weighted: bool = True
    features: Literal["features", "calibrated"] = "features"


@register_method("conr", ConRConfig,
                 summary="ConR contrastive regulariser with label-aware pushing (Keramati et al. 2024)")
def _apply(plan: TrainingPlan, config: ConRConfig) -> None:
    validate_parameter_constraints(_CONSTRAINTS, vars(config), "conr")

    def term(output: DIROutput, batch: Batch) -> Tensor:
        features: Tensor = getattr(output, config.features)
        weight = batch.weight if config.weighted else None
        return conr_loss(
            features, batch.y, plan.head.predict(output).detach(), window=config.window,
            temperature=config.temperature, push_scale=config.push_scale,
            push_weight=weight, weight=weight,
        )

    plan.regularizers.append(Regularizer("conr", config.beta, term))
