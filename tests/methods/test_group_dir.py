"""``group-dir``: symmetric soft-label group classifier, GCL and multi-head regressor."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from dirkit.datasets import DatasetSplits
from dirkit.engine import TrainConfig, fit_method, run_experiment
from dirkit.exceptions import ConfigError
from dirkit.labels import descending_soft_labels
from dirkit.methods import build_plan


def test_groups_are_learned_above_chance(data: DatasetSplits, small: Callable[..., TrainConfig]) -> None:
    fitted = fit_method(data, "group-dir", train_config=small(8, lr=1e-2))
    losses = [record["train_loss"] for record in fitted.history]
    assert losses[-1] < 0.3 * losses[0]
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
                                "n_groups"}
    confusion = np.array(diagnostics["group_confusion"])
    assert confusion.shape == (6, 6) and confusion.sum() == len(data.y_test)
    assert np.isclose(np.trace(confusion) / confusion.sum(), diagnostics["group_accuracy"])
    assert diagnostics["oracle_mae"] >= 0 and diagnostics["mean_group_distance"] >= 0
    assert np.all(captured_weights[0]["weight"] == 1)  # group-dir alone: no re-weighting


def test_invalid_settings_raise() -> None:
    with pytest.raises(ConfigError, match="prediction"):
        build_plan("group-dir", {"group-dir": {"prediction": "oracle"}})
