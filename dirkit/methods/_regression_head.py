"""Plain regression: one linear regressor on the (calibrated) features."""

from __future__ import annotations

from torch import Tensor, nn

from dirkit.datasets._batches import Batch
from dirkit.methods._plan import HeadStrategy, LabelContext, TrainingPlan
from dirkit.methods._scaling import LabelScale
from dirkit.nn import DIROutput, RegressionHead

__all__ = ["RegressionStrategy"]


class RegressionStrategy(HeadStrategy):
    """A linear regressor trained with the plan's regression loss and sample weights.

    The loss is computed on standardised labels and predictions (``(y - mean) / std`` of the
    training labels) unless ``TrainConfig.regression_units="label"`` or the loss has parameters in
    label units (Focal-R); predictions are in label units either way. Balanced MSE is built in
    the units reported by :meth:`regression_loss_units`.
    """

    def __init__(self) -> None:
        self.location, self.scale = 0.0, 1.0  # the loss's units; set by build()

    def build(self, feature_dim: int, context: LabelContext) -> nn.Module:
        if context.regression_units == "standardised":
            self.location, self.scale = context.label_mean, context.label_std
        return nn.Sequential(
            RegressionHead(feature_dim), LabelScale(context.label_mean, context.label_std)
        )

    def loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        if plan.regression_loss_in_label_units:
            return plan.regression_loss(output.prediction, batch.y, weight=batch.weight)
        pred = (output.prediction - self.location) / self.scale
        target = (batch.y - self.location) / self.scale
        return plan.regression_loss(pred, target, weight=batch.weight)

    def regression_loss_units(self, plan: TrainingPlan) -> tuple[float, float]:
        if plan.regression_loss_in_label_units:
            return 0.0, 1.0
        return self.location, self.scale

    def predict(self, output: DIROutput) -> Tensor:
        prediction: Tensor = output.prediction
        return prediction
