"""``ranksim``: the RankSim feature-ranking regulariser (Gong et al. 2022)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import Tensor

from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.datasets._batches import Batch
from dirkit.losses import ranksim_loss
from dirkit.methods._compose import register_method
from dirkit.methods._plan import Regularizer, TrainingPlan
from dirkit.nn import DIROutput

__all__ = ["RankSimConfig"]

_CONSTRAINTS: dict[str, list[object]] = {
    "gamma": [Interval(float, 0, None)],
    "interpolation": [Interval(float, 0, None, closed="neither")],
    "features": [OneOf(("features", "calibrated"))],
    "label_ties": [OneOf(("average", "ordinal"))],
}


@dataclass(frozen=True)
class RankSimConfig:
    """Add ``gamma * RankSim(features, labels)`` to the main stage's loss.

    Defaults from Gong et al. 2022 ("RankSim", ICML) and their AgeDB-DIR / IMDB-WIKI-DIR
    commands: balancing weight ``gamma=100.0`` and blackbox interpolation strength
    ``interpolation=2.0`` (their ``--regularization_weight`` and ``--interpolation_lambda``).
    The regulariser reads the encoder's features before FDS calibration, as their code (the
    model returns the un-smoothed encoding); ``features="calibrated"`` uses the FDS output.
    Each batch keeps one random sample per unique label (:func:`~dirkit.losses.ranksim_loss`).

    Attributes
    ----------
    gamma : float
        Weight of the regulariser (paper: 100.0).
    interpolation : float
        Blackbox ranking interpolation strength lambda (paper: 2.0).
    features : {"features", "calibrated"}
        Which :class:`~dirkit.nn.DIROutput` field is regularised (paper: 'features').
    label_ties : {"average", "ordinal"}
        Ranking of equal label distances; ``"ordinal"`` breaks ties by position as the
        reference's sort does.
    """

    gamma: float = 100.0
    interpolation: float = 2.0
    features: Literal["features", "calibrated"] = "features"
    label_ties: Literal["average", "ordinal"] = "average"


@register_method("ranksim", RankSimConfig,
                 summary="RankSim ranking-similarity regulariser on features (Gong et al. 2022)")
def _apply(plan: TrainingPlan, config: RankSimConfig) -> None:
    validate_parameter_constraints(_CONSTRAINTS, vars(config), "ranksim")

    def term(output: DIROutput, batch: Batch) -> Tensor:
        features: Tensor = getattr(output, config.features)
        return ranksim_loss(features, batch.y, interpolation=config.interpolation, gamma=1.0,
                            label_ties=config.label_ties)

    plan.regularizers.append(Regularizer("ranksim", config.gamma, term))
