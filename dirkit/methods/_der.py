"""``der``: deep evidential regression, an NIG head trained by its likelihood (Amini et al. 2020)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from torch import Tensor, nn

from dirkit._validation import Interval, validate_parameter_constraints
from dirkit.datasets._batches import Batch
from dirkit.losses import evidential_regression_loss
from dirkit.methods._classes import outputs_in_chunks
from dirkit.methods._compose import register_method
from dirkit.methods._plan import HeadStrategy, LabelContext, TrainingPlan
from dirkit.nn import DIRModel, DIROutput
from dirkit.nn.heads import NIGHead, nig_uncertainty

__all__ = ["DERConfig", "EvidentialStrategy"]

_CONSTRAINTS: dict[str, list[object]] = {"lam": [Interval(float, 0, None)]}


@dataclass(frozen=True)
class DERConfig:
    """Deep evidential regression: an NIG head, ``NLL_NIG + lam * |y - gamma| (2 nu + alpha)``.

    From Amini et al. 2020 ("Deep Evidential Regression", NeurIPS, eq. 8-10): the head predicts
    ``(gamma, nu, alpha, beta)``, the loss is the NIG negative log-likelihood plus the evidence
    regulariser, and the prediction is ``gamma``. Default ``lam=0.01``: the coefficient of the
    DIR tables' DER runs (VIR release, ``--lambda_reg 0.01``) and of the authors' 1-D example
    (``coeff=1e-2``). Composed re-weighting (``"lds+fds+der"``, as in the DIR tables) multiplies
    each sample's loss (both terms) by its weight, as that release's ``weighted_edl_loss``. The
    likelihood is computed in the head's units: standardised labels by default
    (``TrainConfig.regression_units``), label units with ``"label"``. Regression-loss methods
    (``focal-r``, ``balanced-mse``) do not compose with it: it has its own loss.

    Attributes
    ----------
    lam : float
        Weight of the evidence regulariser (DIR tables / Amini et al.: 0.01).
    """

    lam: float = 0.01


class EvidentialStrategy(HeadStrategy):
    """An :class:`~dirkit.nn.heads.NIGHead` trained with the evidential loss; predicts ``gamma``.

    Parameters
    ----------
    config : DERConfig
    """

    uses_regression_loss: ClassVar[bool] = False

    def __init__(self, config: DERConfig) -> None:
        self.config = config
        self.location, self.scale = 0.0, 1.0  # the likelihood's units; set by build()

    def build(self, feature_dim: int, context: LabelContext) -> nn.Module:
        if context.regression_units == "standardised":
            self.location, self.scale = context.label_mean, context.label_std
        return NIGHead(feature_dim)

    def loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        target = (batch.y - self.location) / self.scale
        return evidential_regression_loss(output.prediction, target, lam=self.config.lam, weight=batch.weight)

    def predict(self, output: DIROutput) -> Tensor:
        gamma: Tensor = output.prediction[:, 0]
        return self.location + self.scale * gamma

    def diagnostics(
        self, model: DIRModel, x: Tensor, y: np.ndarray, context: LabelContext
    ) -> dict[str, Any]:
        """Mean ``aleatoric_std`` and ``epistemic_std`` of the predictions, in label units."""
        params = outputs_in_chunks(model, x, lambda out: out.prediction)
        if len(params) == 0:
            return {}
        aleatoric, epistemic = nig_uncertainty(params.double())
        return {"aleatoric_std": float(aleatoric.sqrt().mean()) * self.scale,
                "epistemic_std": float(epistemic.sqrt().mean()) * self.scale}


@register_method("der", DERConfig, defines_head=True,
                 summary="deep evidential regression, NIG head and likelihood (Amini et al. 2020)")
def _apply(plan: TrainingPlan, config: DERConfig) -> None:
    validate_parameter_constraints(_CONSTRAINTS, vars(config), "der")
    plan.head = EvidentialStrategy(config)
