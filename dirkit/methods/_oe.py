"""``oe``: the ordinal entropy feature regulariser (Zhang et al., ICLR 2023)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import Tensor

from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.datasets._batches import Batch
from dirkit.losses import ordinal_entropy_loss
from dirkit.methods._compose import register_method
from dirkit.methods._plan import Regularizer, TrainingPlan
from dirkit.nn import DIROutput

__all__ = ["OEConfig"]

_CONSTRAINTS: dict[str, list[object]] = {
    "weight": [Interval(float, 0, None)],
    "lambda_d": [Interval(float, 0, None)],
    "lambda_t": [Interval(float, 0, None)],
    "tightness": [OneOf(("squared", "l2"))],
    "groups": [OneOf(("bin", "label"))],
    "features": [OneOf(("features", "calibrated"))],
}


@dataclass(frozen=True)
class OEConfig:
    """Add ``weight * (lambda_d * L_d + lambda_t * L_t)`` (ordinal entropy) to the main loss.

    From Zhang et al. 2023 ("Improving Deep Regression with Ordinal Entropy", ICLR) and their
    release (``AgeEstimation/OrdinalEntropy.py``, added to the DIR age code as
    ``loss = loss + oe_loss``): diversity and tightness weighted equally, ``lambda_d = lambda_t
    = 1``, the regulariser added with weight 1, squared tightness (their age file). The
    regulariser reads the encoder's features (before FDS calibration). Centres are taken per
    fine label bin of the batch (``groups="bin"``), which on integer ages with unit bins are
    the release's per-label centres; ``groups="label"`` uses exact label values (every sample
    its own centre on continuous labels, so the tightness term vanishes).

    Attributes
    ----------
    weight : float
        Weight of the regulariser in the main loss (release: 1.0).
    lambda_d : float
        Weight of the diversity term (release: 1.0).
    lambda_t : float
        Weight of the tightness term (release: 1.0).
    tightness : {"squared", "l2"}
        Squared distance to the centre (release, age: 'squared') or the distance.
    groups : {"bin", "label"}
        What a centre collects: samples of one fine bin, or of one exact label value.
    features : {"features", "calibrated"}
        Which :class:`~dirkit.nn.DIROutput` field is regularised (release: 'features').
    """

    weight: float = 1.0
    lambda_d: float = 1.0
    lambda_t: float = 1.0
    tightness: Literal["squared", "l2"] = "squared"
    groups: Literal["bin", "label"] = "bin"
    features: Literal["features", "calibrated"] = "features"


@register_method("oe", OEConfig, summary="ordinal entropy feature regulariser (Zhang et al. 2023)")
def _apply(plan: TrainingPlan, config: OEConfig) -> None:
    validate_parameter_constraints(_CONSTRAINTS, vars(config), "oe")

    def term(output: DIROutput, batch: Batch) -> Tensor:
        features: Tensor = getattr(output, config.features)
        groups = batch.bins if config.groups == "bin" else None
        return ordinal_entropy_loss(features, batch.y, groups=groups, lambda_d=config.lambda_d,
                                    lambda_t=config.lambda_t, tightness=config.tightness)

    plan.regularizers.append(Regularizer("oe", config.weight, term))
