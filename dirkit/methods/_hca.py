"""Hierarchical classification adjustment (Xiong & Yao, CVPR 2024): the shared head strategy.

``hca-add``, ``hca-mul`` and ``hca-d`` (registered in :mod:`dirkit.methods._hca_methods`) differ
only in how the trained hierarchy predicts; this module trains the hierarchy and implements the
three prediction rules plus HCA-d's distillation stage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import torch
from torch import Tensor, nn

from dirkit.datasets._batches import Batch
from dirkit.exceptions import ConfigError
from dirkit.labels import HierarchicalSplit
from dirkit.methods._classes import (
    ClassValue,
    check_choice,
    map_labels,
    outputs_in_chunks,
    weighted_cross_entropy,
)
from dirkit.methods._plan import HeadStrategy, LabelContext, Stage, TrainingPlan
from dirkit.nn import (
    DIRModel,
    DIROutput,
    DistilledClassifier,
    HierarchicalClassifier,
    hca_adjust,
    hierarchical_distillation_loss,
)

__all__ = ["HCAConfig", "HCADistillConfig", "HCAStrategy", "effective_levels"]


@dataclass(frozen=True)
class HCAConfig:
    """Settings of the hierarchy shared by ``hca-add`` and ``hca-mul``.

    Attributes
    ----------
    n_levels : int
        ``H``, levels of the hierarchy including the finest (one class per fine bin of the data
        set). Default 7, the paper's value for every data set ("since C_H <= 2^7 ... we set H as
        7", sec. 4). It is **capped** at ``floor(log2(C_H)) + 1`` so that the coarsest-but-one
        level's ``2^(H-1)`` classes never outnumber the ``C_H`` fine bins (100 unit bins give
        H = 7, 20 bins give H = 5); the level count used is in the diagnostics.
    balance : {"count", "sqrt_count", "length"}
        What each coarse class equalises: training samples (the paper's "E-Num", its better
        setting in Table 1; default), sqrt-count mass (the authors' code), or interval length.
    class_value : {"mean", "midpoint"}
        Value of a predicted fine class: the mean training label in it (paper, sec. 4) or the
        interval midpoint (the authors' code).
    """

    n_levels: int = 7
    balance: Literal["count", "sqrt_count", "length"] = "count"
    class_value: ClassValue = "mean"


@dataclass(frozen=True)
class HCADistillConfig(HCAConfig):
    """``hca-d``: the hierarchy of :class:`HCAConfig` plus a distilled classifier ``G_T``.

    Attributes
    ----------
    epoch_fraction : float
        Length of the distillation stage as a fraction of the main stage's epochs: "additional
        20% epochs of stage 1" (sec. 4), so 0.2.
    min_epochs : int
        Floor of the distillation stage's epochs (dirkit's addition; the paper trains 100+
        epochs, where 20% is 20 or more). ``G_T`` starts from scratch, and one or two epochs
        of a small budget (3-10 main epochs) leave it predicting 1-4 distinct classes; with the
        floor it trains ``max(min_epochs, round(0.2 * epochs))`` epochs, which changes nothing
        from 25 main epochs on (default 5; 1 reproduces the plain 20%).
    alignment : {"max", "sum"}
        ``"max"``: the range-preserving alignment (eqs. 13-14, the paper's HCA-d; default);
        ``"sum"``: eq. 10, the ablation of its Table 3.
    hidden : int or None
        Hidden width of ``G_T``; None is ``d / 4`` with a softplus (sec. 4).
    main_mode : {"add", "mul"}
        Prediction rule of the hierarchy during the main stage, which selects its checkpoint on
        validation before distillation (dirkit's choice: the paper does not say; "add").
    """

    epoch_fraction: float = 0.2
    min_epochs: int = 5
    alignment: Literal["max", "sum"] = "max"
    hidden: int | None = None
    main_mode: Literal["add", "mul"] = "add"


def effective_levels(n_levels: int, n_bins: int) -> int:
    """``min(n_levels, floor(log2(n_bins)) + 1)``: the most levels ``n_bins`` fine classes allow.

    Examples
    --------
    >>> effective_levels(7, 100), effective_levels(7, 121), effective_levels(7, 20)
    (7, 7, 5)
    """
    if n_levels < 1 or n_bins < 1:
        raise ConfigError(f"HCA needs n_levels >= 1 and n_bins >= 1; got {n_levels}, {n_bins}.")
    return min(n_levels, math.floor(math.log2(n_bins)) + 1)


class HCAStrategy(HeadStrategy):
    """Hierarchical classifiers trained with the sum of their cross-entropies (HCA eq. 6).

    Parameters
    ----------
    config : HCAConfig or HCADistillConfig
    mode : {"add", "mul", "distill"}
        ``"add"``/``"mul"``: predict the argmax of the adjusted fine distribution (eqs. 7, 8).
        ``"distill"``: add HCA-d's stage training ``G_T`` with the frozen backbone and hierarchy.
    """

    uses_regression_loss = False  # trained by cross-entropy only

    def __init__(self, config: HCAConfig, mode: Literal["add", "mul", "distill"]) -> None:
        check_choice("mode", mode, ("add", "mul", "distill"), "HCA")
        check_choice("balance", config.balance, ("count", "sqrt_count", "length"), "HCA")
        check_choice("class_value", config.class_value, ("mean", "midpoint"), "HCA")
        if mode == "distill":
            if not isinstance(config, HCADistillConfig):
                raise ConfigError("HCA's 'distill' mode needs an HCADistillConfig.")
            check_choice("alignment", config.alignment, ("max", "sum"), "hca-d")
            check_choice("main_mode", config.main_mode, ("add", "mul"), "hca-d")
            if config.epoch_fraction <= 0:
                raise ConfigError(f"hca-d needs epoch_fraction > 0; got {config.epoch_fraction}.")
            if isinstance(config.min_epochs, bool) or not isinstance(config.min_epochs, int) \
                    or config.min_epochs < 1:
                raise ConfigError(f"hca-d needs an integer min_epochs >= 1; got {config.min_epochs!r}.")
        if config.n_levels < 1:
            raise ConfigError(f"HCA needs n_levels >= 1; got {config.n_levels}.")
        self.config, self.mode = config, mode
        self.split: HierarchicalSplit | None = None
        self.transitions: list[Tensor] = []
        self.values = torch.empty(0)

    # ------------------------------------------------------------------ building
    def prepare(self, context: LabelContext) -> dict[str, np.ndarray]:
        levels = effective_levels(self.config.n_levels, context.binner.n_bins_)
        self.split = HierarchicalSplit(levels, balance=self.config.balance, binner=context.binner)
        self.split.fit(context.y_train)
        self.transitions = [torch.as_tensor(t, dtype=torch.float32)
                            for t in self.split.transition_matrices_[:-1]]
        table = self.split.means_ if self.config.class_value == "mean" else self.split.midpoints_
        self.values = torch.as_tensor(table[-1], dtype=torch.float32)
        return {"hca_classes": self.split.transform(context.y_train).astype(np.int64)}

    def _split(self) -> HierarchicalSplit:
        if self.split is None:
            raise ConfigError("HCA: call prepare(context) before building or evaluating.")
        return self.split

    def build(self, feature_dim: int, context: LabelContext) -> Mapping[str, nn.Module]:
        split = self._split()
        heads: dict[str, nn.Module] = {
            "hierarchy": HierarchicalClassifier(feature_dim, split.level_sizes_,
                                                transitions=self.transitions),
        }
        if self.mode == "distill":
            hidden = cast(HCADistillConfig, self.config).hidden
            heads["distilled"] = DistilledClassifier(feature_dim, split.level_sizes_[-1], hidden=hidden)
        return heads

    # ------------------------------------------------------------------ training
    def loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        """``sum_h CE(logits_h, class_h)``, each sample weighted by the plan's sample weight."""
        classes = batch.extras["hca_classes"]
        logits: list[Tensor] = output.prediction["hierarchy"]
        total = logits[0].new_zeros(())
        for level, level_logits in enumerate(logits):
            total = total + weighted_cross_entropy(level_logits, classes[:, level], batch.weight)
        return total

    def distillation_loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        """HCA-d's ``L_hd``: KL of every level against ``G_T``'s aligned distribution (eq. 12)."""
        config = cast(HCADistillConfig, self.config)
        return hierarchical_distillation_loss(
            output.prediction["distilled"], output.prediction["hierarchy"],
            [t.to(output.calibrated.device) for t in self.transitions], alignment=config.alignment,
        )

    def stages(self, plan: TrainingPlan) -> list[Stage]:
        """HCA-d: train ``G_T`` alone for ``max(min_epochs, epoch_fraction * epochs)`` more
        epochs, then predict with it."""
        if self.mode != "distill":
            return []
        config = cast(HCADistillConfig, self.config)

        def trainable(model: DIRModel) -> list[nn.Module]:
            return [cast(nn.ModuleDict, model.head)["distilled"]]

        return [Stage("hca-distill", "after", config.epoch_fraction, trainable,
                      self.distillation_loss, predict=self.predict_distilled,
                      min_epochs=config.min_epochs)]

    # ------------------------------------------------------------------ prediction
    def _scores(self, logits: list[Tensor], mode: str) -> Tensor:
        if mode == "fine" or not self.transitions:
            return logits[-1]
        transitions = [t.to(logits[-1].device) for t in self.transitions]
        return hca_adjust(logits, transitions, mode=cast(Literal["add", "mul"], mode))

    def _value_of(self, classes: Tensor) -> Tensor:
        return self.values.to(classes.device)[classes]

    def predict(self, output: DIROutput) -> Tensor:
        """Value of the argmax of the adjusted fine distribution (HCA-add / HCA-mul)."""
        mode = cast(HCADistillConfig, self.config).main_mode if self.mode == "distill" else self.mode
        return self._value_of(self._scores(output.prediction["hierarchy"], mode).argmax(dim=1))

    def predict_distilled(self, output: DIROutput) -> Tensor:
        """HCA-d at inference: ``G_T`` alone."""
        return self._value_of(output.prediction["distilled"].argmax(dim=1))

    def diagnostics(
        self, model: DIRModel, x: Tensor, y: np.ndarray, context: LabelContext
    ) -> dict[str, Any]:
        """Per-level and adjusted class accuracies on ``(x, y)``.

        Keys: ``n_levels`` (int), ``level_sizes`` (list of H ints), ``level_accuracy`` (list of
        H floats: each head's own argmax), ``adjusted_accuracy`` (``{"add": float, "mul":
        float}``: fine-class accuracy of HCA-add and HCA-mul), and for ``hca-d``
        ``distilled_accuracy`` (float, ``G_T``).
        """
        split = self._split()
        true = map_labels(split.transform, y)
        n_levels = len(split.level_sizes_)

        def predicted_classes(out: DIROutput) -> Tensor:
            logits = out.prediction["hierarchy"]
            columns = [lg.argmax(dim=1) for lg in logits]
            columns += [self._scores(logits, m).argmax(dim=1) for m in ("add", "mul")]
            if self.mode == "distill":
                columns.append(out.prediction["distilled"].argmax(dim=1))
            return torch.stack(columns, dim=1)

        pred = outputs_in_chunks(model, x, predicted_classes).numpy()

        def accuracy(column: np.ndarray, target: np.ndarray) -> float:
            return float((column == target).mean()) if len(target) else float("nan")

        result: dict[str, Any] = {
            "n_levels": n_levels,
            "level_sizes": [int(s) for s in split.level_sizes_],
            "level_accuracy": [accuracy(pred[:, h], true[:, h]) for h in range(n_levels)],
            "adjusted_accuracy": {m: accuracy(pred[:, n_levels + i], true[:, -1])
                                  for i, m in enumerate(("add", "mul"))},
        }
        if self.mode == "distill":
            result["distilled_accuracy"] = accuracy(pred[:, -1], true[:, -1])
        return result
