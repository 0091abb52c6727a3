"""``group-dir``: symmetric soft-label group classifier, GCL and multi-head regressor."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from dirkit.datasets import Batch, DatasetSplits
from dirkit.engine import TrainConfig, fit_method, run_experiment
from dirkit.exceptions import ConfigError
from dirkit.labels import UniformBinner, descending_soft_labels
from dirkit.methods import LabelContext, build_plan
from dirkit.methods._group import GroupDIRConfig, GroupStrategy
from dirkit.nn import DIROutput


def test_groups_are_learned_above_chance(data: DatasetSplits, small: Callable[..., TrainConfig]) -> None:
    fitted = fit_method(data, "group-dir", train_config=small(8, lr=1e-2))
    losses = [record["train_loss"] for record in fitted.history]
    assert losses[-1] < 0.8 * losses[0]
    diagnostics = fitted.diagnostics(data.x_train, data.y_train)
    shares = fitted.plan.head.grouper.counts_ / len(data.y_train)
    assert diagnostics["group_accuracy"] > shares.max() + 0.05  # beats always the largest group
    assert diagnostics["mean_group_distance"] < 1.0


def test_soft_targets_are_symmetric_descending_labels_of_equal_width_groups(
    data: DatasetSplits, small: Callable[..., TrainConfig],
    fed_soft_targets: list[tuple[torch.Tensor, torch.Tensor]],
) -> None:
    fitted = fit_method(data, "group-dir", train_config=small(1))
    y = data.y_train
    width = (y.max() - y.min()) / 10
    expected_groups = np.minimum(np.floor((y - y.min()) / width + 1e-9), 9).astype(np.int64)
    np.testing.assert_array_equal(fitted.plan.head.grouper.transform(y), expected_groups)
    assert sum(len(groups) for groups, _ in fed_soft_targets) == len(y)
    for groups, target in fed_soft_targets:
        expected = descending_soft_labels(groups, 10)
        torch.testing.assert_close(target, expected)


def test_argmax_and_mixture_predictions(data: DatasetSplits, small: Callable[..., TrainConfig]) -> None:
    x = torch.as_tensor(data.x_test[:64], dtype=torch.float32)
    for mode in ("argmax", "mixture"):
        fitted = fit_method(data, "group-dir", train_config=small(2),
                            overrides={"group-dir": {"prediction": mode}})
        fitted.model.eval()
        with torch.no_grad():
            output = fitted.model(x)
        logits, heads = output.prediction["cls"], output.prediction["reg"]
        if mode == "argmax":
            expected = heads.gather(1, logits.argmax(dim=1, keepdim=True)).squeeze(1)
        else:
            expected = (logits.softmax(dim=1) * heads).sum(dim=1)
        np.testing.assert_allclose(fitted.predict(data.x_test[:64]), expected.numpy(), rtol=1e-5)


def test_diagnostics_keys_and_shapes(
    data: DatasetSplits, small: Callable[..., TrainConfig], captured_weights: list[dict[str, np.ndarray]]
) -> None:
    result = run_experiment(data, "group-dir", train_config=small(2),
                            overrides={"group-dir": {"n_groups": 6}})
    diagnostics = result.diagnostics
    assert set(diagnostics) == {"group_accuracy", "group_confusion", "mean_group_distance", "oracle_mae",
                                "n_groups", "group_edges"}
    edges = np.array(diagnostics["group_edges"])
    assert edges.shape == (7,) and np.all(np.diff(edges) > 0)
    assert edges[0] == pytest.approx(data.y_train.min()) and edges[-1] == pytest.approx(data.y_train.max())
    confusion = np.array(diagnostics["group_confusion"])
    assert confusion.shape == (6, 6) and confusion.sum() == len(data.y_test)
    assert np.isclose(np.trace(confusion) / confusion.sum(), diagnostics["group_accuracy"])
    assert diagnostics["oracle_mae"] >= 0 and diagnostics["mean_group_distance"] >= 0
    assert np.all(captured_weights[0]["weight"] == 1)  # group-dir alone: no re-weighting


def test_invalid_settings_raise() -> None:
    with pytest.raises(ConfigError, match="prediction"):
        build_plan("group-dir", {"group-dir": {"prediction": "oracle"}})


@pytest.mark.parametrize("units", ["standardised", "label"])
def test_loss_is_the_weighted_sum_with_mse_in_the_chosen_units(context: LabelContext, units: str) -> None:
    config = GroupDIRConfig(lambda_mse=0.5, lambda_soft=2.0, gcl_weight=0.0, regression_units=units)
    strategy = GroupStrategy(config)
    extras = strategy.prepare(context)
    strategy.build(4, context)
    generator = torch.Generator().manual_seed(0)
    n, g = 40, strategy.grouper.n_groups_
    output = DIROutput(features=torch.zeros(n, 4), calibrated=torch.zeros(n, 4),
                       prediction={"cls": torch.randn(n, g, generator=generator),
                                   "reg": 50 + 20 * torch.randn(n, g, generator=generator)})
    groups = torch.as_tensor(extras["group"][:n])
    batch = Batch(x=torch.zeros(n, 1), y=torch.as_tensor(context.y_train[:n], dtype=torch.float32),
                  index=torch.arange(n), bins=torch.arange(n), weight=torch.ones(n), extras={"group": groups})
    loss = strategy.loss(output, batch, build_plan("group-dir"))
    mean, std = (context.y_train.mean(), context.y_train.std()) if units == "standardised" else (0.0, 1.0)
    squared, soft = 0.0, 0.0
    for i in range(n):
        squared += ((output.prediction["reg"][i, groups[i]].item() - mean) / std
                    - (context.y_train[i] - mean) / std) ** 2
        target = np.asarray(descending_soft_labels(np.array([groups[i].item()]), g)[0])
        soft -= float((target * output.prediction["cls"][i].log_softmax(0).numpy()).sum())
    assert loss.item() == pytest.approx(0.5 * squared / n + 2.0 * soft / n, rel=1e-4)


def test_the_default_loss_does_not_depend_on_the_label_scale(context: LabelContext) -> None:
    """Labels in other units (years -> months) leave the standardised objective unchanged."""
    losses = []
    for factor in (1.0, 12.0):
        y, (low, high) = context.y_train * factor, context.binner.range
        width = context.binner.width * factor
        binner = UniformBinner(width=width, range=(low * factor, high * factor)).fit(y)
        scaled = LabelContext(data=context.data, x_train=context.x_train, y_train=y, binner=binner, seed=0)
        strategy = GroupStrategy(GroupDIRConfig(gcl_weight=0.0))
        groups = torch.as_tensor(strategy.prepare(scaled)["group"][:30])
        strategy.build(4, scaled)
        reg = (torch.linspace(0, 100, 30)[:, None] * factor).expand(30, strategy.grouper.n_groups_)
        output = DIROutput(features=torch.zeros(30, 4), calibrated=torch.zeros(30, 4),
                           prediction={"cls": torch.zeros(30, strategy.grouper.n_groups_), "reg": reg})
        batch = Batch(x=torch.zeros(30, 1), y=torch.as_tensor(scaled.y_train[:30], dtype=torch.float32),
                      index=torch.arange(30), bins=torch.arange(30), weight=torch.ones(30),
                      extras={"group": groups})
        losses.append(strategy.loss(output, batch, build_plan("group-dir")).item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-4)
