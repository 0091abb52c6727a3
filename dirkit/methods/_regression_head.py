"""Plain regression: one linear regressor on the (calibrated) features."""

from __future__ import annotations

from torch import Tensor, nn

from dirkit.datasets._batches import Batch
from dirkit.methods._plan import HeadStrategy, LabelContext, TrainingPlan
from dirkit.methods._scaling import LabelScale
from dirkit.nn import DIROutput, RegressionHead

__all__ = ["RegressionStrategy"]


class RegressionStrategy(HeadStrategy):
    """A linear regressor trained with the plan's regression loss and sample weights."""

    def build(self, feature_dim: int, context: LabelContext) -> nn.Module:
        return nn.Sequential(
            RegressionHead(feature_dim), LabelScale(context.label_mean, context.label_std)
        )

    def loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        return plan.regression_loss(output.prediction, batch.y, weight=batch.weight)

    def predict(self, output: DIROutput) -> Tensor:
        prediction: Tensor = output.prediction
        return prediction
