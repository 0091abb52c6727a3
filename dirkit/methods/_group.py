"""Group classification with a multi-head regressor (Group-DIR, Pu et al. AAAI 2025, and follow-up).

The head strategy shared by ``group-dir``, ``group-sym`` and ``group-asym`` (registered in
:mod:`dirkit.methods._group_methods`): ``G`` label groups, a classifier trained with descending
soft labels, one regression head per group trained on each sample's true group, the group
contrastive loss on the backbone features, and prediction with the predicted group's head.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import torch
from torch import Tensor, nn

from dirkit.datasets._batches import Batch
from dirkit.density import normalize_within_groups
from dirkit.exceptions import ConfigError
from dirkit.labels import LabelGrouper, descending_soft_labels
from dirkit.losses import group_contrastive_loss, soft_cross_entropy
from dirkit.methods._classes import (
    Grouping,
    check_choice,
    class_diagnostics,
    fit_grouper,
    map_labels,
    outputs_in_chunks,
)
from dirkit.methods._plan import HeadStrategy, LabelContext, Stage, TrainingPlan
from dirkit.methods._scaling import LabelScale
from dirkit.nn import ClassificationHead, DIRModel, DIROutput, MultiHeadRegressor

__all__ = ["GroupAsymConfig", "GroupDIRConfig", "GroupSoftConfig", "GroupStrategy"]


@dataclass(frozen=True)
class GroupDIRConfig:
    """``group-dir``: ``L = gcl_weight * L_gcl + lambda_mse * L_mse + lambda_soft * L_soft``.

    Attributes
    ----------
    n_groups : int
        ``G``; 10 by default (spec section 5; the follow-up's figures use 10 groups).
    grouping : {"uniform", "quantile"}
        Equal-width groups over the training label range (both papers; default) or
        equal-frequency groups (spec section 1).
    beta : float
        Descent of the soft-label logits per group of distance, ``l_j = G - beta |j - g|``;
        1 in both papers ("e.g. beta = 1").
    temperature : float
        ``t`` of the group contrastive loss; 0.07, the Group-DIR code's default (spec sec. 4).
    lambda_mse, lambda_soft : float
        ``lambda_1`` and ``lambda_2`` of eq. 5 (AAAI paper). Neither paper publishes values;
        1.0 (the unweighted sum) is dirkit's default. ``L_soft`` is a batch mean (spec
        section 4: the authors' code sums it over the batch).
    regression_units : {"standardised", "label"}
        Units of ``L_mse``. ``"standardised"`` (default) computes it on predictions and labels
        standardised by the training labels' mean and std, so the balance of the three terms
        does not depend on the label scale (years or months, a 0-5 score or a price).
        ``"label"`` computes it in label units. In label units, the MSE of wide label ranges
        (ages: variance about 320) drowns the batch-mean ``L_soft``. On UTKFace-DIR (seed 0,
        12 epochs), group-dir then predicted 4 of 10 groups (group accuracy 0.22, test MAE 19.3
        against vanilla's 11.2). The same run with the standardised loss reached group accuracy
        0.38 and MAE 12.4 (``docs/results/utkface-dir``).
        The authors' code avoids this by summing ``L_soft`` over the batch instead of averaging.
    gcl_weight : float
        Weight of ``L_gcl`` (1 in eq. 5); 0 turns the contrastive term off (ablation).
    prediction : {"argmax", "mixture"}
        Inference with the predicted group's head (both papers; default) or the mixture
        ``sum_g p(g|x) y_g`` of their decomposition ``p(y|x) = sum_g p(g|x) p(y|x, g)``.
    """

    n_groups: int = 10
    grouping: Grouping = "uniform"
    beta: float = 1.0
    temperature: float = 0.07
    lambda_mse: float = 1.0
    lambda_soft: float = 1.0
    gcl_weight: float = 1.0
    prediction: Literal["argmax", "mixture"] = "argmax"
    regression_units: Literal["standardised", "label"] = "standardised"


@dataclass(frozen=True)
class GroupSoftConfig(GroupDIRConfig):
    """``group-sym``: Group-DIR plus local LDS and a choice of schedule (the follow-up paper).

    Attributes
    ----------
    local_lds : bool
        Weight each sample's regression loss by its inverse LDS density, renormalised to mean 1
        **within its group** (the follow-up's sec. 3.3: the classifier handles the imbalance
        between groups, LDS the imbalance within them). Its eq. 6 literally multiplies by the
        smoothed density ``p~(y)``; that contradicts its own text and LDS (Yang et al. 2021) and
        is read as a typo for the inverse (spec section 5). LDS kernel defaults (gaussian, ks=5,
        sigma=2) are Yang et al.'s; compose with ``+lds`` to change them.
    lds_reweight : {"inverse", "sqrt_inv"}
        Density that is inverted: counts (default, the spec's "inverse LDS weights") or their
        square roots (LDS's SQINV variant). Compose with ``+inv`` to clip the counts first
        (the LDS reference clips them to (5, 1000) for ages).
    schedule : {"joint", "pretrain"}
        ``"joint"``: every term from the start (the AAAI paper's eq. 5; default, spec). ``"pretrain"``:
        first train the backbone with ``L_gcl`` alone, then everything jointly (the follow-up's
        sec. 3.5, "we first train the feature encoder based on Equation 8").
    pretrain_fraction : float
        Length of the contrastive pre-training as a fraction of the main epochs; 0.5, dirkit's
        choice (the follow-up gives none).
    """

    local_lds: bool = True
    lds_reweight: Literal["inverse", "sqrt_inv"] = "inverse"
    schedule: Literal["joint", "pretrain"] = "joint"
    pretrain_fraction: float = 0.5


@dataclass(frozen=True)
class GroupAsymConfig(GroupSoftConfig):
    """``group-asym``: :class:`GroupSoftConfig` with asymmetric descending soft labels.

    Attributes
    ----------
    asymmetric_mode : {"paper", "dev-code"}
        ``"paper"`` (default): ``q = softmax(P * l)`` with ``P_j = 1 - D_j / sum(D)``
        (``P_g = 1``), the follow-up's definition. ``"dev-code"``: ``softmax(l) * P`` without
        renormalising, as in the authors' development code (spec section 5).
    """

    asymmetric_mode: Literal["paper", "dev-code"] = "paper"


class GroupStrategy(HeadStrategy):
    """Soft-label group classifier plus multi-head regressor.

    Parameters
    ----------
    config : GroupDIRConfig, GroupSoftConfig or GroupAsymConfig
        The asymmetric labels are used for a :class:`GroupAsymConfig`, local LDS for a
        :class:`GroupSoftConfig` with ``local_lds=True``.
    """

    def __init__(self, config: GroupDIRConfig) -> None:
        check_choice("grouping", config.grouping, ("uniform", "quantile"), "the group methods")
        check_choice("prediction", config.prediction, ("argmax", "mixture"), "the group methods")
        check_choice("regression_units", config.regression_units, ("standardised", "label"),
                     "the group methods")
        if config.n_groups < 1 or config.beta <= 0 or config.temperature <= 0:
            raise ConfigError(
                "The group methods need n_groups >= 1, beta > 0 and temperature > 0; got "
                f"{config.n_groups}, {config.beta}, {config.temperature}."
            )
        if isinstance(config, GroupSoftConfig):
            check_choice("schedule", config.schedule, ("joint", "pretrain"), "the group methods")
            check_choice("lds_reweight", config.lds_reweight, ("inverse", "sqrt_inv"), "the group methods")
            if config.pretrain_fraction <= 0:
                raise ConfigError(f"pretrain_fraction must be > 0; got {config.pretrain_fraction}.")
        if isinstance(config, GroupAsymConfig):
            check_choice("asymmetric_mode", config.asymmetric_mode, ("paper", "dev-code"), "group-asym")
        self.config = config
        self.asymmetric = isinstance(config, GroupAsymConfig)
        self.local_lds = isinstance(config, GroupSoftConfig) and config.local_lds
        self.grouper: LabelGrouper | None = None
        self.regressor: MultiHeadRegressor | None = None
        self.soft_table = torch.empty(0)
        self.label_location, self.label_scale = 0.0, 1.0  # L_mse units; set by build()

    # ------------------------------------------------------------------ building
    def prepare(self, context: LabelContext) -> dict[str, np.ndarray]:
        self.grouper = fit_grouper(self.config.n_groups, self.config.grouping, context)
        n = self.grouper.n_groups_
        self.soft_table = torch.as_tensor(
            descending_soft_labels(np.arange(n), n, **self.soft_label_settings()), dtype=torch.float32
        )
        return {"group": self.grouper.transform(context.y_train).astype(np.int64)}

    def soft_label_settings(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~dirkit.labels.descending_soft_labels` for this method."""
        settings: dict[str, Any] = {"beta": float(self.config.beta)}
        if self.asymmetric:
            settings["group_counts"] = self._grouper().counts_
            settings["asymmetric_mode"] = cast(GroupAsymConfig, self.config).asymmetric_mode
        return settings

    def _grouper(self) -> LabelGrouper:
        if self.grouper is None:
            raise ConfigError("group methods: call prepare(context) before building or evaluating.")
        return self.grouper

    def _regressor(self) -> MultiHeadRegressor:
        if self.regressor is None:
            raise ConfigError("group methods: build the heads before training or predicting.")
        return self.regressor

    def adjust_weights(
        self, weights: np.ndarray, extras: Mapping[str, np.ndarray], context: LabelContext
    ) -> np.ndarray:
        """Local LDS: renormalise the (inverse LDS) weights to mean 1 within each group."""
        if not self.local_lds:
            return weights
        return normalize_within_groups(weights, extras["group"])

    def build(self, feature_dim: int, context: LabelContext) -> Mapping[str, nn.Module]:
        n = self._grouper().n_groups_
        self.regressor = MultiHeadRegressor(feature_dim, n)
        if self.config.regression_units == "standardised":
            self.label_location, self.label_scale = context.label_mean, context.label_std
        return {
            "cls": ClassificationHead(feature_dim, n),
            "reg": nn.Sequential(self.regressor, LabelScale(context.label_mean, context.label_std)),
        }

    # ------------------------------------------------------------------ training
    def soft_targets(self, groups: Tensor) -> Tensor:
        """Descending soft labels of ``groups`` (rows of the precomputed ``G`` x ``G`` table)."""
        return self.soft_table.to(groups.device)[groups]

    def regression_loss_units(self, plan: TrainingPlan) -> tuple[float, float]:
        return self.label_location, self.label_scale

    def in_loss_units(self, values: Tensor) -> Tensor:
        """Labels or predictions in the units of ``L_mse`` (see ``regression_units``)."""
        return (values - self.label_location) / self.label_scale

    def contrastive(self, output: DIROutput, batch: Batch) -> Tensor:
        """``L_gcl`` on the backbone features (0, keeping the graph, for a batch of one)."""
        if len(batch) < 2:
            return output.features.sum() * 0.0
        return group_contrastive_loss(output.features, batch.extras["group"],
                                      temperature=self.config.temperature, gather=True)

    def loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        groups = batch.extras["group"]
        reg = self._regressor().select(output.prediction["reg"], groups)
        regression = plan.regression_loss(self.in_loss_units(reg), self.in_loss_units(batch.y),
                                          weight=batch.weight)
        soft = soft_cross_entropy(output.prediction["cls"], self.soft_targets(groups))
        total = self.config.lambda_mse * regression + self.config.lambda_soft * soft
        if self.config.gcl_weight > 0:
            total = total + self.config.gcl_weight * self.contrastive(output, batch)
        return total

    def pretrain_stage(self) -> Stage:
        """The ``"pretrain"`` schedule's first stage: the backbone alone, trained with ``L_gcl``."""
        config = cast(GroupSoftConfig, self.config)

        def trainable(model: DIRModel) -> list[nn.Module]:
            return [model.backbone]

        return Stage("gcl-pretrain", "before", config.pretrain_fraction, trainable,
                     lambda output, batch, plan: self.contrastive(output, batch), select_on_val=False)

    # ------------------------------------------------------------------ prediction
    def predict(self, output: DIROutput) -> Tensor:
        return self._regressor().predict(output.prediction["reg"], output.prediction["cls"],
                                         mode=self.config.prediction)

    def diagnostics(
        self, model: DIRModel, x: Tensor, y: np.ndarray, context: LabelContext
    ) -> dict[str, Any]:
        """Group classification quality on ``(x, y)``.

        Keys: ``group_accuracy`` (float), ``group_confusion`` (``G`` x ``G`` nested lists of int
        counts, rows true, columns predicted), ``mean_group_distance`` (mean ``|predicted group -
        true group|``), ``oracle_mae`` (MAE with each sample's true-group head), ``n_groups``,
        ``group_edges`` (the ``G + 1`` group boundaries in label units, from the training labels).
        """
        grouper = self._grouper()
        n = grouper.n_groups_
        both = outputs_in_chunks(
            model, x, lambda out: torch.cat([out.prediction["cls"], out.prediction["reg"]], dim=1)
        )
        true = map_labels(grouper.transform, y)
        logits, reg = both[:, :n], both[:, n:]
        result: dict[str, Any] = class_diagnostics(logits.argmax(dim=1).numpy(), true, n)
        oracle = self._regressor().oracle(reg, torch.as_tensor(true)).numpy()
        result["oracle_mae"] = float(np.abs(oracle - y).mean()) if len(y) else float("nan")
        result["n_groups"] = int(n)
        result["group_edges"] = [float(edge) for edge in grouper.edges_]
        return result
