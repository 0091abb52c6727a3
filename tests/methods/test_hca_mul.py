"""``hca-mul``: hierarchical classifiers with the multiplicative adjustment (HCA eq. 8)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from dirkit.datasets import DatasetSplits
from dirkit.engine import TrainConfig, fit_method, run_experiment
from dirkit.nn import hca_adjust


def test_predictions_follow_eq8_with_midpoint_values(
    data: DatasetSplits, small: Callable[..., TrainConfig]
) -> None:
    fitted = fit_method(data, "hca-mul", train_config=small(4, lr=1e-2),
                        overrides={"hca-mul": {"class_value": "midpoint", "balance": "sqrt_count"}})
    losses = [record["train_loss"] for record in fitted.history]
    assert losses[-1] < 0.85 * losses[0]
    strategy = fitted.plan.head
    fitted.model.eval()
    with torch.no_grad():
        logits = fitted.model(torch.as_tensor(data.x_test, dtype=torch.float32)).prediction["hierarchy"]
    fine = hca_adjust(logits, strategy.split.transition_matrices_, mode="mul").argmax(dim=1).numpy()
    np.testing.assert_allclose(fitted.predict(data.x_test), strategy.split.midpoints_[-1][fine], rtol=1e-6)
    diagnostics = fitted.diagnostics(data.x_train, data.y_train)
    assert diagnostics["adjusted_accuracy"]["mul"] > 3 / 100


def test_hierarchy_loss_is_weighted_by_lds(
    data: DatasetSplits, small: Callable[..., TrainConfig], captured_weights: list[dict[str, np.ndarray]]
) -> None:
    result = run_experiment(data, "hca-mul+lds", train_config=small(2))
    assert np.isfinite(result.metrics["test"]["all"]["mae"])
    record = captured_weights[0]
    assert record["hca_classes"].shape == (len(data.y_train), 7)
    assert record["weight"].std() > 0.1
