"""``group-robust``: group classification that cannot do worse than its own global regressor.

The papers' group methods (:mod:`dirkit.methods._group`) lose to plain regression on every real
benchmark dirkit runs (``docs/results/ANALYSIS.md``). Measured causes: argmax routing to heads
trained only on their own group (a classifier that is right 30 % of the time sends most samples
to a head that never saw them), and a contrastive term that dominates the backbone's gradient.
``group-robust`` keeps the papers' ingredients and removes those failure modes:

- every group head learns from **all** samples, each weighted by its descending soft label for
  that head's group, so a neighbouring head is sensible where the classifier is off by one;
- a **global** regression head is trained alongside, and a **balanced** one (the same head
  trained with inverse-LDS sample weights, on detached features by default, so it does not
  change the backbone);
- the prediction rule (a global head, the posterior mixture ``sum_g p(g|x) y_g``, a blend of
  the two, or a confidence gate) is chosen on the **validation** split after training and
  recorded in the run's diagnostics; the unweighted global head is always a candidate and
  wins ties;
- the group contrastive loss is an option, off by default (see :class:`GroupRobustConfig`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from dirkit.datasets._batches import Batch
from dirkit.density import LDSWeights, normalize_within_groups
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
from dirkit.methods._compose import register_method
from dirkit.methods._plan import HeadStrategy, LabelContext, TrainingPlan
from dirkit.methods._prediction_rules import RULE_NAMES, PredictionRule, choose_rule
from dirkit.nn import ClassificationHead, DIRModel, DIROutput, MultiHeadRegressor, RegressionHead

__all__ = ["GradientStop", "GroupRobustConfig", "GroupRobustStrategy"]


class GradientStop(nn.Module):
    """Passes its input on with the gradient stopped (a head behind it does not train the backbone)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.detach()


@dataclass(frozen=True)
class GroupRobustConfig:
    """``group-robust``: ``L = L_global + lambda_heads * L_heads + lambda_soft * L_soft [+ w L_gcl]``.

    ``L_global`` is the plan's regression loss of the global head (with the plan's sample
    weights: none alone, LDS with ``+lds``); ``L_heads = mean_i sum_g q_ig w_i (y_ig - y_i)^2``
    trains head ``g`` on every sample ``i``, weighted by its soft label ``q_ig`` for group ``g``
    and its local LDS weight ``w_i``; ``L_soft`` is the soft-label cross-entropy of the group
    classifier. With ``balanced_head`` on, a second global head adds ``L_balanced``: the same
    regression loss with inverse-LDS sample weights. Regression terms are computed on
    standardised labels.

    Attributes
    ----------
    n_groups : int
        ``G``; 10 as in the papers.
    grouping : {"uniform", "quantile"}
        Equal-width groups over the training label range (the papers) or equal-frequency ones.
    soft_labels : {"asymmetric", "symmetric"}
        The follow-up's asymmetric descending soft labels (default) or the AAAI paper's
        symmetric ones; they are the classifier's targets and the heads' sample weights.
    beta : float
        Descent of the soft-label logits per group of distance (1 in both papers).
    head_training : {"soft", "true-group"}
        ``"soft"`` (default): every head learns from every sample, weighted by its soft label
        for the head's group. ``"true-group"``: the papers' rule (each sample trains only its
        own group's head), kept for ablations.
    local_lds : bool
        Weight each sample's head losses by its inverse LDS density renormalised to mean 1
        within its group (the follow-up's local LDS); the global head keeps the plan's weights.
    lambda_heads, lambda_soft : float
        Weights of ``L_heads`` and ``L_soft`` (1: the unweighted sum, as the papers' default).
    gcl_weight : float
        Weight of the group contrastive loss on the backbone features; 0 (default) turns it off.
        On STS-B-DIR its gradient on the backbone was 9x that of the MSE at weight 1 and
        ``gcl_weight=0`` improved group-dir's test MAE (issue #10); see ``docs/results``.
    temperature : float
        Of the group contrastive loss (0.07, the Group-DIR code's default).
    balanced_head : {"detached", "joint", "off"}
        A second global head trained with inverse-LDS sample weights (the DIR paper's
        re-weighting with its default kernel), a candidate regressor of every rule.
        ``"detached"`` (default): it reads the features with the gradient stopped, so the
        backbone trains as without it (a re-weighted linear read-out trained concurrently, like
        RRT+LDS); ``"joint"``: its gradient reaches the backbone; ``"off"``: no such head.
    rules : tuple of str
        Kinds of prediction rule chosen among on the validation split after training (see
        :func:`dirkit.methods.choose_rule`): ``"regressor"`` (a global head alone),
        ``"mixture"``, ``"blend"`` (equal parts of a global head and the mixture), ``"gate"``
        (the mixture where the classifier's top posterior reaches a threshold chosen on
        validation, a global head elsewhere). The unweighted global head alone is always a
        candidate.
    checkpoint_rule : {"global", "mixture", "blend"}
        Predictions that select the checkpoint on validation during training: the unweighted
        global head, the mixture, or their blend.
    """

    n_groups: int = 10
    grouping: Grouping = "uniform"
    soft_labels: Literal["asymmetric", "symmetric"] = "asymmetric"
    beta: float = 1.0
    head_training: Literal["soft", "true-group"] = "soft"
    local_lds: bool = True
    lambda_heads: float = 1.0
    lambda_soft: float = 1.0
    gcl_weight: float = 0.0
    temperature: float = 0.07
    balanced_head: Literal["detached", "joint", "off"] = "detached"
    rules: tuple[str, ...] = RULE_NAMES
    checkpoint_rule: Literal["global", "mixture", "blend"] = "blend"


class GroupRobustStrategy(HeadStrategy):
    """Global regressor, soft-label group classifier and soft-trained group heads.

    Parameters
    ----------
    config : GroupRobustConfig
    """

    def __init__(self, config: GroupRobustConfig) -> None:
        check_choice("grouping", config.grouping, ("uniform", "quantile"), "group-robust")
        check_choice("soft_labels", config.soft_labels, ("asymmetric", "symmetric"), "group-robust")
        check_choice("head_training", config.head_training, ("soft", "true-group"), "group-robust")
        check_choice("checkpoint_rule", config.checkpoint_rule, ("global", "mixture", "blend"),
                     "group-robust")
        check_choice("balanced_head", config.balanced_head, ("detached", "joint", "off"),
                     "group-robust")
        for rule in config.rules:
            check_choice("rules", rule, RULE_NAMES, "group-robust")
        if config.n_groups < 1 or config.beta <= 0 or config.temperature <= 0:
            raise ConfigError(
                "group-robust needs n_groups >= 1, beta > 0 and temperature > 0; got "
                f"{config.n_groups}, {config.beta}, {config.temperature}."
            )
        if min(config.lambda_heads, config.lambda_soft, config.gcl_weight) < 0:
            raise ConfigError("group-robust's lambda_heads, lambda_soft and gcl_weight must be >= 0.")
        self.config = config
        self.grouper: LabelGrouper | None = None
        self.soft_table = self.head_table = torch.empty(0)
        self.location, self.scale = 0.0, 1.0
        self.rule = (PredictionRule("regressor") if config.checkpoint_rule == "global"
                     else PredictionRule(config.checkpoint_rule))
        self.rule_scores: dict[str, float] = {}

    # ------------------------------------------------------------------ building
    def prepare(self, context: LabelContext) -> dict[str, np.ndarray]:
        grouper = self.grouper = fit_grouper(self.config.n_groups, self.config.grouping, context)
        n = grouper.n_groups_
        settings: dict[str, Any] = {"beta": float(self.config.beta)}
        if self.config.soft_labels == "asymmetric":
            settings["group_counts"] = grouper.counts_
        self.soft_table = torch.as_tensor(
            descending_soft_labels(np.arange(n), n, **settings), dtype=torch.float32
        )
        if self.config.head_training == "true-group":
            self.head_table = torch.eye(n)
        else:
            self.head_table = self.soft_table / self.soft_table.sum(dim=1, keepdim=True)
        groups = grouper.transform(context.y_train).astype(np.int64)
        inverse_lds = LDSWeights(binner=context.binner, reweight="inverse", lds=True)
        balanced = inverse_lds.fit(context.y_train).weights_
        local = normalize_within_groups(balanced, groups) if self.config.local_lds else np.ones(len(groups))
        extras: dict[str, np.ndarray] = {"group": groups, "local_weight": local.astype(np.float32)}
        if self.config.balanced_head != "off":
            extras["balanced_weight"] = balanced.astype(np.float32)
        return extras

    def build(self, feature_dim: int, context: LabelContext) -> Mapping[str, nn.Module]:
        n = self._grouper().n_groups_
        self.location, self.scale = context.label_mean, context.label_std
        # The regression heads output standardised labels; candidates() maps them to label units.
        heads: dict[str, nn.Module] = {
            "global": RegressionHead(feature_dim),
            "cls": ClassificationHead(feature_dim, n),
            "heads": MultiHeadRegressor(feature_dim, n),
        }
        if self.config.balanced_head != "off":
            stop = [GradientStop()] if self.config.balanced_head == "detached" else []
            heads["balanced"] = nn.Sequential(*stop, RegressionHead(feature_dim))
        return heads

    @property
    def regressor_names(self) -> list[str]:
        """The global heads, in the order the rule choice tries them (the unweighted one first)."""
        return ["global", *(["balanced"] if self.config.balanced_head != "off" else [])]

    def _grouper(self) -> LabelGrouper:
        if self.grouper is None:
            raise ConfigError("group-robust: call prepare(context) before building or evaluating.")
        return self.grouper

    # ------------------------------------------------------------------ training
    def regression_loss_units(self, plan: TrainingPlan) -> tuple[float, float]:
        return self.location, self.scale

    def _standardised(self, values: Tensor) -> Tensor:
        return (values - self.location) / self.scale

    def _in_label_units(self, values: Tensor) -> Tensor:
        return values * self.scale + self.location

    def head_weights(self, groups: Tensor) -> Tensor:
        """Weight of every (sample, head) pair in ``L_heads``, shape (N, G); rows sum to 1."""
        return self.head_table.to(groups.device)[groups]

    def loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        prediction, groups = output.prediction, batch.extras["group"]
        y = self._standardised(batch.y)
        total = plan.regression_loss(prediction["global"], y, weight=batch.weight)
        if "balanced" in prediction:
            total = total + plan.regression_loss(prediction["balanced"], y,
                                                 weight=batch.extras["balanced_weight"])
        if self.config.lambda_heads > 0:
            heads = prediction["heads"]  # (N, G), standardised
            pair_weight = self.head_weights(groups) * batch.extras["local_weight"][:, None]
            n_heads = heads.shape[1]
            per_pair = plan.regression_loss(heads.reshape(-1), y[:, None].expand_as(heads).reshape(-1),
                                            weight=pair_weight.reshape(-1))
            total = total + self.config.lambda_heads * n_heads * per_pair
        if self.config.lambda_soft > 0:
            soft = self.soft_table.to(groups.device)[groups]
            total = total + self.config.lambda_soft * soft_cross_entropy(prediction["cls"], soft)
        if self.config.gcl_weight > 0 and len(batch) > 1:
            total = total + self.config.gcl_weight * group_contrastive_loss(
                output.features, groups, temperature=self.config.temperature, gather=True)
        return total

    # ------------------------------------------------------------------ prediction
    def candidates(self, output: DIROutput) -> tuple[dict[str, Tensor], Tensor, Tensor]:
        """The global heads' predictions (by name), the posterior mixture and the top posterior.

        Predictions are in label units.
        """
        prediction = output.prediction
        posterior = prediction["cls"].softmax(dim=1)
        mixture = self._in_label_units((posterior * prediction["heads"]).sum(dim=1))
        regressors = {name: self._in_label_units(prediction[name]) for name in self.regressor_names}
        return regressors, mixture, posterior.max(dim=1).values

    def predict(self, output: DIROutput) -> Tensor:
        regressors, mixture, confidence = self.candidates(output)
        return self.rule.apply(regressors[self.rule.regressor], mixture, confidence)

    def tune_on_validation(self, model: DIRModel, x: Tensor, y: np.ndarray) -> None:
        """Choose the prediction rule with the lowest validation MAE (the global head on ties)."""
        def stack(output: DIROutput) -> Tensor:
            regressors, mixture, confidence = self.candidates(output)
            return torch.stack([*regressors.values(), mixture, confidence], dim=1)

        names = self.regressor_names
        stacked = outputs_in_chunks(model, x, stack).numpy()
        regressors = {name: stacked[:, i] for i, name in enumerate(names)}
        self.rule, self.rule_scores = choose_rule(
            regressors, stacked[:, -2], stacked[:, -1], y, rules=self.config.rules)

    def diagnostics(
        self, model: DIRModel, x: Tensor, y: np.ndarray, context: LabelContext
    ) -> dict[str, Any]:
        """The chosen rule and the group classifier's quality on ``(x, y)``.

        Keys: ``prediction_rule`` (name and threshold), ``rule_val_mae`` (validation MAE of every
        candidate rule), ``group_accuracy``, ``group_confusion``, ``mean_group_distance``,
        ``oracle_mae`` (each sample's true-group head), ``global_mae``, ``balanced_mae`` (with the
        balanced head), ``mixture_mae``, ``n_groups``, ``group_edges`` (the ``G + 1`` group
        boundaries in label units).
        """
        grouper = self._grouper()
        n = grouper.n_groups_
        names = self.regressor_names
        both = outputs_in_chunks(model, x, lambda out: torch.cat(
            [out.prediction["cls"], self._in_label_units(out.prediction["heads"]),
             *(self._in_label_units(out.prediction[name])[:, None] for name in names)], dim=1))
        logits, heads = both[:, :n], both[:, n : 2 * n]
        regressors = {name: both[:, 2 * n + i].numpy() for i, name in enumerate(names)}
        true = map_labels(grouper.transform, y)
        result: dict[str, Any] = {"prediction_rule": self.rule.describe(),
                                  "rule_val_mae": dict(self.rule_scores)}
        result |= class_diagnostics(logits.argmax(dim=1).numpy(), true, n)
        oracle = heads.gather(1, torch.as_tensor(true)[:, None]).squeeze(1).numpy()
        mixture = (logits.softmax(dim=1) * heads).sum(dim=1).numpy()
        for name, values in {"oracle": oracle, **regressors, "mixture": mixture}.items():
            result[f"{name}_mae"] = float(np.abs(values - y).mean()) if len(y) else float("nan")
        result["n_groups"] = int(n)
        result["group_edges"] = [float(edge) for edge in grouper.edges_]
        return result


@register_method("group-robust", GroupRobustConfig, defines_head=True,
                 summary="global regressor + soft-trained group heads, rule chosen on validation")
def _apply_group_robust(plan: TrainingPlan, config: GroupRobustConfig) -> None:
    plan.head = GroupRobustStrategy(config)
