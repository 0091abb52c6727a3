"""``group-robust``: global head, soft-trained group heads, prediction rule chosen on validation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from dirkit.datasets import Batch, DatasetSplits
from dirkit.density import LDSWeights, normalize_within_groups
from dirkit.engine import TrainConfig, fit_method, run_experiment
from dirkit.exceptions import ConfigError
from dirkit.labels import descending_soft_labels
from dirkit.methods import METHODS, LabelContext, PredictionRule, build_plan
from dirkit.methods._group_robust import GroupRobustConfig, GroupRobustStrategy
from dirkit.nn import DIROutput


def _random_output(strategy: GroupRobustStrategy, n: int, seed: int = 0) -> DIROutput:
    generator = torch.Generator().manual_seed(seed)
    g = strategy.soft_table.shape[0]
    return DIROutput(
        features=torch.zeros(n, 4), calibrated=torch.zeros(n, 4),
        prediction={"cls": torch.randn(n, g, generator=generator),  # regression heads: standardised
                    "heads": torch.randn(n, g, generator=generator),
                    "global": torch.randn(n, generator=generator),
                    "balanced": torch.randn(n, generator=generator)},
    )


def _batch(context: LabelContext, extras: dict[str, np.ndarray], n: int, weight: torch.Tensor) -> Batch:
    return Batch(x=torch.zeros(n, 1), y=torch.as_tensor(context.y_train[:n], dtype=torch.float32),
                 index=torch.arange(n), bins=torch.arange(n), weight=weight,
                 extras={key: torch.as_tensor(value[:n]) for key, value in extras.items()})


def test_is_registered() -> None:
    assert "group-robust" in METHODS.names()


@pytest.mark.parametrize("soft_labels", ["asymmetric", "symmetric"])
@pytest.mark.parametrize("head_training", ["soft", "true-group"])
def test_loss_matches_a_naive_loop_over_samples_and_heads(
    context: LabelContext, soft_labels: str, head_training: str
) -> None:
    config = GroupRobustConfig(soft_labels=soft_labels, head_training=head_training,  # type: ignore[arg-type]
                               lambda_heads=0.7, lambda_soft=1.5)
    strategy = GroupRobustStrategy(config)
    extras = strategy.prepare(context)
    strategy.build(4, context)
    n, g = 40, strategy.soft_table.shape[0]
    output = _random_output(strategy, n)
    weight = torch.linspace(0.5, 2.0, n)
    loss = strategy.loss(output, _batch(context, extras, n, weight), build_plan("group-robust"))

    y, mean, std = context.y_train, context.y_train.mean(), context.y_train.std()
    groups = extras["group"]
    counts = strategy.grouper.counts_ if soft_labels == "asymmetric" else None
    inverse = LDSWeights(binner=context.binner, reweight="inverse", lds=True).fit(y).weights_
    local = normalize_within_groups(inverse, groups)
    expected_global = expected_heads = expected_soft = 0.0
    for i in range(n):
        target = (y[i] - mean) / std
        global_error = output.prediction["global"][i].item() - target
        balanced_error = output.prediction["balanced"][i].item() - target
        expected_global += weight[i].item() * global_error**2 + inverse[i] * balanced_error**2
        soft = np.asarray(descending_soft_labels(np.array([groups[i]]), g, group_counts=counts)[0])
        share = soft / soft.sum() if head_training == "soft" else np.eye(g)[groups[i]]
        for head in range(g):
            error = output.prediction["heads"][i, head].item() - target
            expected_heads += share[head] * local[i] * error**2
        expected_soft -= float((soft * output.prediction["cls"][i].log_softmax(0).numpy()).sum())
    expected = (expected_global + 0.7 * expected_heads + 1.5 * expected_soft) / n
    assert loss.item() == pytest.approx(expected, rel=1e-4)


def test_candidates_are_in_label_units(context: LabelContext) -> None:
    strategy = GroupRobustStrategy(GroupRobustConfig())
    strategy.prepare(context)
    strategy.build(4, context)
    output = _random_output(strategy, 20)
    regressors, mixture, confidence = strategy.candidates(output)
    mean, std = context.label_mean, context.label_std
    prediction = output.prediction
    torch.testing.assert_close(regressors["global"], prediction["global"] * std + mean)
    torch.testing.assert_close(regressors["balanced"], prediction["balanced"] * std + mean)
    posterior = prediction["cls"].softmax(dim=1)
    torch.testing.assert_close(mixture, (posterior * (prediction["heads"] * std + mean)).sum(dim=1))
    torch.testing.assert_close(confidence, posterior.max(dim=1).values)


def test_soft_head_weights_reach_every_head(context: LabelContext) -> None:
    strategy = GroupRobustStrategy(GroupRobustConfig())
    strategy.prepare(context)
    weights = strategy.head_weights(torch.arange(strategy.soft_table.shape[0]))
    assert (weights > 0).all()
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(len(weights)))
    assert (weights.argmax(dim=1) == torch.arange(len(weights))).all()  # own group weighs most


def test_local_lds_off_gives_unit_head_weights(context: LabelContext) -> None:
    extras = GroupRobustStrategy(GroupRobustConfig(local_lds=False)).prepare(context)
    assert np.all(extras["local_weight"] == 1)
    local = GroupRobustStrategy(GroupRobustConfig()).prepare(context)["local_weight"]
    for group in np.unique(extras["group"]):  # local LDS has mean 1 within each group
        assert local[extras["group"] == group].mean() == pytest.approx(1.0, rel=1e-5)


def test_rule_is_chosen_on_validation_and_applied(
    data: DatasetSplits, small: Callable[..., TrainConfig]
) -> None:
    fitted = fit_method(data, "group-robust", train_config=small(3))
    strategy = fitted.plan.head
    scores = strategy.rule_scores
    assert {"global", "balanced", "mixture", "blend(global)", "blend(balanced)"} <= set(scores)
    assert any(name.startswith("gate(global)@") for name in scores)
    assert scores[strategy.rule.describe()] == min(scores.values())
    val_pred = fitted.predict(data.x_val)
    assert np.abs(val_pred - data.y_val).mean() == pytest.approx(min(scores.values()), rel=1e-4)

    x = torch.as_tensor(data.x_test[:50], dtype=torch.float32)
    fitted.model.eval()
    with torch.no_grad():
        regressors, mixture, confidence = strategy.candidates(fitted.model(x))
    chosen = regressors[strategy.rule.regressor]
    np.testing.assert_allclose(fitted.predict(data.x_test[:50]),
                               strategy.rule.apply(chosen, mixture, confidence).numpy(), rtol=1e-5)


def test_only_global_rule_predicts_with_the_global_head(
    data: DatasetSplits, small: Callable[..., TrainConfig]
) -> None:
    result = run_experiment(data, "group-robust", train_config=small(2),
                            overrides={"group-robust": {"rules": ["mixture"], "balanced_head": "off"}})
    diagnostics = result.diagnostics
    assert set(diagnostics["rule_val_mae"]) == {"global", "mixture"}
    chosen = diagnostics["prediction_rule"]
    assert diagnostics[f"{chosen}_mae"] == pytest.approx(result.metrics["test"]["all"]["mae"], rel=1e-4)
    assert "balanced_mae" not in diagnostics
    assert set(diagnostics) >= {"rule_val_mae", "group_accuracy", "group_confusion", "oracle_mae",
                                "mixture_mae", "n_groups", "group_edges"}
    assert np.array(diagnostics["group_confusion"]).sum() == len(data.y_test)
    assert len(diagnostics["group_edges"]) == diagnostics["n_groups"] + 1
    assert diagnostics["group_edges"][0] == pytest.approx(data.y_train.min())


def test_composes_with_lds_on_the_global_head(
    data: DatasetSplits, small: Callable[..., TrainConfig], captured_weights: list[dict[str, np.ndarray]]
) -> None:
    fit_method(data, "group-robust+inv+lds", train_config=small(1))
    weights = captured_weights[0]
    assert not np.allclose(weights["weight"], 1)  # the plan's LDS weights reach the global head
    assert set(weights) >= {"group", "local_weight"}


def test_contrastive_option_changes_the_loss(context: LabelContext) -> None:
    losses = []
    for gcl_weight in (0.0, 1.0):
        strategy = GroupRobustStrategy(GroupRobustConfig(gcl_weight=gcl_weight))
        extras = strategy.prepare(context)
        strategy.build(4, context)
        output = _random_output(strategy, 30)
        output = DIROutput(features=torch.randn(30, 4, generator=torch.Generator().manual_seed(1)),
                           calibrated=output.calibrated, prediction=output.prediction)
        losses.append(strategy.loss(output, _batch(context, extras, 30, torch.ones(30)),
                                    build_plan("group-robust")).item())
    assert losses[1] > losses[0]


@pytest.mark.parametrize(("field", "value"), [
    ("soft_labels", "uniform"), ("head_training", "argmax"), ("checkpoint_rule", "gate"),
    ("rules", ("regressor", "oracle")), ("n_groups", 0), ("lambda_heads", -1.0),
    ("balanced_head", "frozen"),
])
def test_invalid_settings_raise_and_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=field if field not in ("n_groups",) else "n_groups"):
        build_plan("group-robust", {"group-robust": {field: value}})


def test_checkpoint_rule_is_the_rule_before_tuning() -> None:
    strategy = GroupRobustStrategy(GroupRobustConfig(checkpoint_rule="mixture"))
    assert strategy.rule == PredictionRule("mixture")
    strategy = GroupRobustStrategy(GroupRobustConfig(checkpoint_rule="global"))
    assert strategy.rule.describe() == "global"


@pytest.mark.parametrize(("mode", "backbone_moves"), [("detached", False), ("joint", True)])
def test_the_detached_balanced_head_does_not_train_the_backbone(
    data: DatasetSplits, small: Callable[..., TrainConfig], mode: str, backbone_moves: bool
) -> None:
    fitted = fit_method(data, "group-robust", train_config=small(1),
                        overrides={"group-robust": {"balanced_head": mode}})
    model = fitted.model
    x = torch.as_tensor(data.x_train[:32], dtype=torch.float32)
    model.train()
    model.zero_grad()
    model(x).prediction["balanced"].sum().backward()
    backbone_grad = sum(p.grad.abs().sum().item() for p in model.backbone.parameters() if p.grad is not None)
    assert (backbone_grad > 0) == backbone_moves
    assert all(p.grad is not None for p in model.head["balanced"].parameters())
