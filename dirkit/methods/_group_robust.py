"""``group-robust``: group classification that cannot do worse than its own global regressor.

The papers' group methods (:mod:`dirkit.methods._group`) lose to plain regression on every real
benchmark dirkit runs (``docs/results/ANALYSIS.md``). Measured causes: argmax routing to heads
trained only on their own group (a classifier that is right 30 % of the time sends most samples
to a head that never saw them), and a contrastive term that dominates the backbone's gradient.
``group-robust`` keeps the papers' ingredients and removes those failure modes:

- every group head learns from **all** samples, each weighted by its descending soft label for
  that head's group, so a neighbouring head is sensible where the classifier is off by one;
- a **global** regression head is trained alongside;
- the prediction rule (the global head, the posterior mixture ``sum_g p(g|x) y_g``, a blend of
  the two, or a confidence gate) is chosen on the **validation** split after training and
  recorded in the run's diagnostics; the global head is always a candidate;
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
from dirkit.methods._prediction_rules import PredictionRule, choose_rule
from dirkit.methods._scaling import LabelScale
from dirkit.nn import ClassificationHead, DIRModel, DIROutput, MultiHeadRegressor, RegressionHead

__all__ = ["GroupRobustConfig", "GroupRobustStrategy"]


@dataclass(frozen=True)
class GroupRobustConfig:
    """``group-robust``: ``L = L_global + lambda_heads * L_heads + lambda_soft * L_soft [+ w L_gcl]``.

    ``L_global`` is the plan's regression loss of the global head (with the plan's sample
    weights: none alone, LDS with ``+lds``); ``L_heads = mean_i sum_g q_ig w_i (y_ig - y_i)^2``
    trains head ``g`` on every sample ``i``, weighted by its soft label ``q_ig`` for group ``g``
    and its local LDS weight ``w_i``; ``L_soft`` is the soft-label cross-entropy of the group
    classifier. Regression terms are computed on standardised labels.

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
    rules : tuple of str
        Candidate prediction rules, chosen on the validation split after training (see
        :func:`dirkit.methods.choose_rule`): ``"global"``, ``"mixture"``, ``"blend"`` (equal
        parts of both), ``"gate"`` (the mixture where the classifier's top posterior reaches a
        threshold chosen on validation, the global head elsewhere). ``"global"`` is always
        included.
    checkpoint_rule : {"global", "mixture", "blend"}
        Rule of the predictions that select the checkpoint on validation during training.
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
    rules: tuple[str, ...] = ("global", "mixture", "blend", "gate")
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
        for rule in config.rules:
            check_choice("rules", rule, ("global", "mixture", "blend", "gate"), "group-robust")
        if config.n_groups < 1 or config.beta <= 0 or config.temperature <= 0:
            raise ConfigError(
                "group-robust needs n_groups >= 1, beta > 0 and temperature > 0; got "
                f"{config.n_groups}, {config.beta}, {config.temperature}."
            )
        if min(config.lambda_heads, config.lambda_soft, config.gcl_weight) < 0:
            raise ConfigError("group-robust's lambda_heads, lambda_soft and gcl_weight must be >= 0.")
        self.config = config
        self.grouper: LabelGrouper | None = None
        self.soft_table = torch.empty(0)
        self.location, self.scale = 0.0, 1.0
        self.rule = PredictionRule(config.checkpoint_rule)
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
        groups = grouper.transform(context.y_train).astype(np.int64)
        local = np.ones(len(groups))
        if self.config.local_lds:
            density = LDSWeights(binner=context.binner, reweight="inverse", lds=True)
            local = normalize_within_groups(density.fit(context.y_train).weights_, groups)
        return {"group": groups, "local_weight": local.astype(np.float32)}

    def build(self, feature_dim: int, context: LabelContext) -> Mapping[str, nn.Module]:
        n = self._grouper().n_groups_
        self.location, self.scale = context.label_mean, context.label_std
        scale = LabelScale(context.label_mean, context.label_std)
        return {
            "global": nn.Sequential(RegressionHead(feature_dim), scale),
            "cls": ClassificationHead(feature_dim, n),
            "heads": nn.Sequential(MultiHeadRegressor(feature_dim, n),
                                   LabelScale(context.label_mean, context.label_std)),
        }

    def _grouper(self) -> LabelGrouper:
        if self.grouper is None:
            raise ConfigError("group-robust: call prepare(context) before building or evaluating.")
        return self.grouper

    # ------------------------------------------------------------------ training
    def _standardised(self, values: Tensor) -> Tensor:
        return (values - self.location) / self.scale

    def head_weights(self, groups: Tensor) -> Tensor:
        """Weight of every (sample, head) pair in ``L_heads``, shape (N, G); rows sum to 1."""
        if self.config.head_training == "true-group":
            return nn.functional.one_hot(groups, self.soft_table.shape[0]).float()
        soft = self.soft_table.to(groups.device)[groups]
        return soft / soft.sum(dim=1, keepdim=True)

    def loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        prediction, groups = output.prediction, batch.extras["group"]
        y = self._standardised(batch.y)
        total = plan.regression_loss(self._standardised(prediction["global"]), y, weight=batch.weight)
        if self.config.lambda_heads > 0:
            heads = self._standardised(prediction["heads"])  # (N, G)
            pair_weight = self.head_weights(groups) * batch.extras["local_weight"][:, None]
            n_heads = heads.shape[1]
            per_pair = plan.regression_loss(heads.reshape(-1), y.repeat_interleave(n_heads),
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
    def candidates(self, output: DIROutput) -> tuple[Tensor, Tensor, Tensor]:
        """The global head's prediction, the posterior mixture and the top posterior, each (N,)."""
        prediction = output.prediction
        posterior = prediction["cls"].softmax(dim=1)
        mixture = (posterior * prediction["heads"]).sum(dim=1)
        return prediction["global"], mixture, posterior.max(dim=1).values

    def predict(self, output: DIROutput) -> Tensor:
        return self.rule.apply(*self.candidates(output))

    def tune_on_validation(self, model: DIRModel, x: Tensor, y: np.ndarray) -> None:
        """Choose the prediction rule with the lowest validation MAE (the global head on ties)."""
        stacked = outputs_in_chunks(model, x, lambda out: torch.stack(self.candidates(out), dim=1))
        self.rule, self.rule_scores = choose_rule(
            stacked[:, 0].numpy(), stacked[:, 1].numpy(), stacked[:, 2].numpy(), y,
            rules=self.config.rules,
        )

    def diagnostics(
        self, model: DIRModel, x: Tensor, y: np.ndarray, context: LabelContext
    ) -> dict[str, Any]:
        """The chosen rule and the group classifier's quality on ``(x, y)``.

        Keys: ``prediction_rule`` (name and threshold), ``rule_val_mae`` (validation MAE of every
        candidate rule), ``group_accuracy``, ``group_confusion``, ``mean_group_distance``,
        ``oracle_mae`` (each sample's true-group head), ``global_mae``, ``mixture_mae``,
        ``n_groups``.
        """
        grouper = self._grouper()
        n = grouper.n_groups_
        both = outputs_in_chunks(model, x, lambda out: torch.cat(
            [out.prediction["cls"], out.prediction["heads"], out.prediction["global"][:, None]], dim=1))
        logits, heads, global_ = both[:, :n], both[:, n : 2 * n], both[:, 2 * n]
        true = map_labels(grouper.transform, y)
        result: dict[str, Any] = {"prediction_rule": self.rule.describe(),
                                  "rule_val_mae": dict(self.rule_scores)}
        result |= class_diagnostics(logits.argmax(dim=1).numpy(), true, n)
        oracle = heads.gather(1, torch.as_tensor(true)[:, None]).squeeze(1).numpy()
        mixture = (logits.softmax(dim=1) * heads).sum(dim=1).numpy()
        for name, values in (("oracle", oracle), ("global", global_.numpy()), ("mixture", mixture)):
            result[f"{name}_mae"] = float(np.abs(values - y).mean()) if len(y) else float("nan")
        result["n_groups"] = int(n)
        return result


@register_method("group-robust", GroupRobustConfig, defines_head=True,
                 summary="global regressor + soft-trained group heads, rule chosen on validation")
def _apply_group_robust(plan: TrainingPlan, config: GroupRobustConfig) -> None:
    plan.head = GroupRobustStrategy(config)
