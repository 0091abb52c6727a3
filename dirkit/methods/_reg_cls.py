"""``reg-cls``: regression plus a training-only classification loss (Pintea et al., ICCV 2023)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dirkit.datasets._batches import Batch
from dirkit.exceptions import ConfigError
from dirkit.labels import LabelGrouper
from dirkit.methods._classes import check_choice, fit_grouper, map_labels, outputs_in_chunks
from dirkit.methods._compose import register_method
from dirkit.methods._plan import HeadStrategy, LabelContext, TrainingPlan
from dirkit.methods._scaling import LabelScale
from dirkit.nn import ClassificationHead, DIRModel, DIROutput, RegressionHead

__all__ = ["RegClsConfig", "RegressionClassificationStrategy"]


@dataclass(frozen=True)
class RegClsConfig:
    """Regression trained with ``lambda * MSE + CE`` over ``C`` label classes (Pintea eq. 4).

    The classification head (one linear layer, as in the paper's sec. 4) is used only in
    training; predictions come from the regressor. Sample weights of composed re-weighting
    methods (``"reg-cls+sqinv"``) apply to the regression term only.

    Attributes
    ----------
    n_classes : int
        ``C``. Default 10 with ``lam=1.0``: the paper's IMDB-WIKI-DIR setting ("lambda=1.0 for
        10 and 2 classes", sec. 4; age labels, like the synthetic data set's 0..100). Its
        100-class setting is ``n_classes=100, lam=0.1``.
    lam : float
        ``lambda`` of eq. 4, multiplying the regression loss (label units). The 1D experiments
        of the paper, with labels in [-1.5, 1.5], use 1e2 / 1e3 / 1e4 (clean / noisy / OOD).
    classes : {"uniform", "balanced"}
        ``"uniform"``: equal-width classes over the training range. ``"balanced"``: histogram
        equalisation of the fine bins (eq. 12; fewer than ``C`` classes may result) plus the
        class-keeping probability ``rho(k) = min_j n_j / n_k`` of eq. 13: in every batch each
        sample's class term is kept with probability ``rho`` of its class (a seeded generator,
        seed = the run's seed), its regression term always. The class term is the mean
        cross-entropy over the kept samples of the batch (0 when none is kept).
    """

    n_classes: int = 10
    lam: float = 1.0
    classes: Literal["uniform", "balanced"] = "uniform"


class RegressionClassificationStrategy(HeadStrategy):
    """A regressor plus a training-only classifier over label classes.

    Parameters
    ----------
    config : RegClsConfig
    """

    def __init__(self, config: RegClsConfig) -> None:
        check_choice("classes", config.classes, ("uniform", "balanced"), "reg-cls")
        if config.n_classes < 1 or config.lam < 0:
            raise ConfigError(
                f"reg-cls needs n_classes >= 1 and lam >= 0; got {config.n_classes}, {config.lam}."
            )
        self.config = config
        self.grouper: LabelGrouper | None = None
        self.generator = torch.Generator()

    def prepare(self, context: LabelContext) -> dict[str, np.ndarray]:
        balanced = self.config.classes == "balanced"
        self.grouper = fit_grouper(self.config.n_classes, "quantile" if balanced else "uniform", context)
        self.generator = torch.Generator().manual_seed(context.seed)
        classes = self.grouper.transform(context.y_train)
        keep = (self.grouper.keep_probability_[classes] if self.config.classes == "balanced"
                else np.ones(len(classes)))
        return {"cls_class": classes.astype(np.int64), "cls_keep": keep.astype(np.float32)}

    def _grouper(self) -> LabelGrouper:
        if self.grouper is None:
            raise ConfigError("reg-cls: call prepare(context) before building or evaluating.")
        return self.grouper

    def build(self, feature_dim: int, context: LabelContext) -> Mapping[str, nn.Module]:
        return {
            "reg": nn.Sequential(
                RegressionHead(feature_dim), LabelScale(context.label_mean, context.label_std)
            ),
            "cls": ClassificationHead(feature_dim, self._grouper().n_groups_),
        }

    def keep_mask(self, keep_probability: Tensor) -> Tensor:
        """Which samples keep their class term in this batch: ``u < rho`` with ``u ~ U(0, 1)``.

        All True for uniform classes (no random numbers are drawn then).
        """
        if self.config.classes != "balanced":
            return torch.ones_like(keep_probability, dtype=torch.bool)
        draw = torch.rand(keep_probability.shape[0], generator=self.generator)
        return draw.to(keep_probability.device) < keep_probability

    def loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        regression = plan.regression_loss(output.prediction["reg"], batch.y, weight=batch.weight)
        keep = self.keep_mask(batch.extras["cls_keep"]).to(regression.dtype)
        per_sample = F.cross_entropy(output.prediction["cls"], batch.extras["cls_class"],
                                     reduction="none")
        classification = (per_sample * keep).sum() / keep.sum().clamp_min(1.0)
        return self.config.lam * regression + classification

    def predict(self, output: DIROutput) -> Tensor:
        return cast(Tensor, output.prediction["reg"])

    def diagnostics(
        self, model: DIRModel, x: Tensor, y: np.ndarray, context: LabelContext
    ) -> dict[str, Any]:
        """``class_accuracy`` of the (training-only) classifier and ``n_classes`` formed."""
        grouper = self._grouper()
        logits = outputs_in_chunks(model, x, lambda out: out.prediction["cls"])
        true = map_labels(grouper.transform, y)
        accuracy = float((logits.argmax(dim=1).numpy() == true).mean()) if len(true) else float("nan")
        return {"class_accuracy": accuracy, "n_classes": int(grouper.n_groups_)}


@register_method("reg-cls", RegClsConfig, defines_head=True,
                 summary="regression + training-only classification loss (Pintea et al. 2023)")
def _apply(plan: TrainingPlan, config: RegClsConfig) -> None:
    plan.head = RegressionClassificationStrategy(config)
