"""``cls``: regression by classification over label classes (the HCA paper's "CLS" baseline)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from dirkit.datasets._batches import Batch
from dirkit.exceptions import ConfigError
from dirkit.labels import LabelGrouper
from dirkit.methods._classes import (
    ClassValue,
    Grouping,
    check_choice,
    class_diagnostics,
    fit_grouper,
    map_labels,
    outputs_in_chunks,
    weighted_cross_entropy,
)
from dirkit.methods._compose import register_method
from dirkit.methods._plan import HeadStrategy, LabelContext, TrainingPlan
from dirkit.nn import ClassificationHead, DIRModel, DIROutput

__all__ = ["ClassificationConfig", "ClassificationStrategy"]


@dataclass(frozen=True)
class ClassificationConfig:
    """Classify into ``C`` label classes with cross-entropy; predict the class's value.

    Composed re-weighting methods (``"cls+inv"``) weight each sample's cross-entropy.

    Attributes
    ----------
    n_classes : int or None
        ``C``. None (default): one class per fine bin of the data set (``bin_width`` over its
        label range), as the HCA paper's plain classifier (``C_H`` = 121 one-year bins for ages,
        Xiong & Yao 2024 sec. 4).
    grouping : {"uniform", "quantile"}
        For an explicit ``n_classes``: equal-width classes over the training range, or
        equal-frequency classes by histogram equalisation (spec section 1).
    class_value : {"mean", "midpoint"}
        A class maps back to the mean of the training labels in it (the HCA paper, following
        its ref. [36]; default) or to its interval midpoint (the HCA code).
    """

    n_classes: int | None = None
    grouping: Grouping = "uniform"
    class_value: ClassValue = "mean"


class ClassificationStrategy(HeadStrategy):
    """One linear classifier over label classes; the prediction is the predicted class's value.

    Parameters
    ----------
    config : ClassificationConfig
    """

    uses_regression_loss = False  # trained by cross-entropy only

    def __init__(self, config: ClassificationConfig) -> None:
        check_choice("grouping", config.grouping, ("uniform", "quantile"), "cls")
        check_choice("class_value", config.class_value, ("mean", "midpoint"), "cls")
        if config.n_classes is not None and config.n_classes < 1:
            raise ConfigError(f"cls needs n_classes >= 1 or None; got {config.n_classes}.")
        self.config = config
        self.grouper: LabelGrouper | None = None
        self.values = torch.empty(0)

    def prepare(self, context: LabelContext) -> dict[str, np.ndarray]:
        if self.config.n_classes is None:  # every fine bin is a class
            grouper = LabelGrouper(context.binner.n_bins_, strategy="uniform", binner=context.binner)
            self.grouper = grouper.fit(context.y_train)
        else:
            self.grouper = fit_grouper(self.config.n_classes, self.config.grouping, context)
        values = self.grouper.inverse_transform(np.arange(self.grouper.n_groups_),
                                                value=self.config.class_value)
        self.values = torch.as_tensor(values, dtype=torch.float32)
        return {"cls_class": self.grouper.transform(context.y_train).astype(np.int64)}

    def _grouper(self) -> LabelGrouper:
        if self.grouper is None:
            raise ConfigError("cls: call prepare(context) before building or evaluating.")
        return self.grouper

    def build(self, feature_dim: int, context: LabelContext) -> nn.Module:
        return ClassificationHead(feature_dim, self._grouper().n_groups_)

    def loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        return weighted_cross_entropy(output.prediction, batch.extras["cls_class"], batch.weight)

    def predict(self, output: DIROutput) -> Tensor:
        classes = output.prediction.argmax(dim=1)
        return self.values.to(classes.device)[classes]

    def diagnostics(
        self, model: DIRModel, x: Tensor, y: np.ndarray, context: LabelContext
    ) -> dict[str, Any]:
        """``class_accuracy``, ``class_confusion`` (C x C counts), ``mean_class_distance``, ``n_classes``."""
        grouper = self._grouper()
        predicted = outputs_in_chunks(model, x, lambda out: out.prediction.argmax(dim=1)).numpy()
        true = map_labels(grouper.transform, y)
        result: dict[str, Any] = class_diagnostics(predicted, true, grouper.n_groups_, prefix="class")
        result["n_classes"] = int(grouper.n_groups_)
        return result


@register_method("cls", ClassificationConfig, defines_head=True,
                 summary="classification over label classes, predicts the class value (HCA baseline)")
def _apply(plan: TrainingPlan, config: ClassificationConfig) -> None:
    plan.head = ClassificationStrategy(config)
