"""``cls``: classification over label classes; predictions are class values."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from dirkit.datasets import DatasetSplits
from dirkit.engine import TrainConfig, fit_method, run_experiment
from dirkit.exceptions import ConfigError
from dirkit.methods import build_plan


def test_loss_decreases_and_predictions_are_class_means(
    data: DatasetSplits, small: Callable[..., TrainConfig]
) -> None:
    fitted = fit_method(data, "cls", train_config=small(5, lr=1e-2))
    losses = [record["train_loss"] for record in fitted.history]
    assert losses[-1] < 0.85 * losses[0]
    grouper = fitted.plan.head.grouper
    assert grouper.n_groups_ == 100  # one class per unit bin of the data set by default
    predictions = fitted.predict(data.x_test)
    means = grouper.inverse_transform(np.arange(grouper.n_groups_))
    assert np.isin(predictions.astype(np.float32), means.astype(np.float32)).all()
    assert len(np.unique(predictions)) > 3
    # a class's value is the mean training label in it
    classes = grouper.transform(data.y_train)
    some = classes[0]
    assert np.isclose(means[some], data.y_train[classes == some].mean())


def test_midpoint_values_and_quantile_classes(data: DatasetSplits, small: Callable[..., TrainConfig]) -> None:
    settings = {"n_classes": 8, "grouping": "quantile", "class_value": "midpoint"}
    fitted = fit_method(data, "cls", train_config=small(2), overrides={"cls": settings})
    grouper = fitted.plan.head.grouper
    midpoints = (grouper.edges_[:-1] + grouper.edges_[1:]) / 2
    assert np.isin(fitted.predict(data.x_test).astype(np.float32), midpoints.astype(np.float32)).all()
    assert grouper.counts_.max() / grouper.counts_.min() < 3  # equal-frequency classes


def test_composes_with_inverse_weights(
    data: DatasetSplits, small: Callable[..., TrainConfig], captured_weights: list[dict[str, np.ndarray]]
) -> None:
    result = run_experiment(data, "cls+inv", train_config=small(2))
    assert np.isfinite(result.metrics["test"]["all"]["mae"])
    assert captured_weights[0]["weight"].std() > 0.1


def test_diagnostics_keys_and_shapes(data: DatasetSplits, small: Callable[..., TrainConfig]) -> None:
    fitted = fit_method(data, "cls", train_config=small(1), overrides={"cls": {"n_classes": 6}})
    diagnostics = fitted.diagnostics(data.x_test, data.y_test)
    assert set(diagnostics) == {"class_accuracy", "class_confusion", "mean_class_distance", "n_classes"}
    confusion = np.array(diagnostics["class_confusion"])
    assert confusion.shape == (6, 6) and confusion.sum() == len(data.y_test)
    assert diagnostics["n_classes"] == 6 and diagnostics["mean_class_distance"] >= 0


def test_invalid_settings_raise() -> None:
    with pytest.raises(ConfigError, match="class_value"):
        build_plan("cls", {"cls": {"class_value": "median"}})
