"""``hca-add``: hierarchical classifiers with the additive adjustment (HCA eq. 7)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from dirkit.datasets import DatasetSplits
from dirkit.engine import TrainConfig, fit_method
from dirkit.exceptions import ConfigError
from dirkit.methods import build_plan
from dirkit.methods._hca import effective_levels
from dirkit.nn import hca_adjust


def test_levels_learn_above_chance_and_predictions_follow_eq7(
    data: DatasetSplits, small: Callable[..., TrainConfig]
) -> None:
    fitted = fit_method(data, "hca-add", train_config=small(5, lr=1e-2))
    losses = [record["train_loss"] for record in fitted.history]
    assert losses[-1] < 0.8 * losses[0]
    diagnostics = fitted.diagnostics(data.x_train, data.y_train)
    assert diagnostics["level_sizes"] == [2, 4, 8, 16, 32, 64, 100]
    for accuracy, size in zip(diagnostics["level_accuracy"], diagnostics["level_sizes"], strict=True):
        assert accuracy > 1.5 / size  # coarse classes hold equal counts: chance is 1 / size

    strategy = fitted.plan.head
    fitted.model.eval()
    with torch.no_grad():
        logits = fitted.model(torch.as_tensor(data.x_test, dtype=torch.float32)).prediction["hierarchy"]
    fine = hca_adjust(logits, strategy.split.transition_matrices_, mode="add").argmax(dim=1).numpy()
    np.testing.assert_allclose(fitted.predict(data.x_test), strategy.split.means_[-1][fine], rtol=1e-6)


def test_levels_are_capped_by_the_number_of_bins(
    data: DatasetSplits, small: Callable[..., TrainConfig]
) -> None:
    assert [effective_levels(9, n) for n in (1, 2, 3, 64, 100, 128, 1000)] == [1, 2, 2, 7, 7, 8, 9]
    fitted = fit_method(data, "hca-add", train_config=small(1),
                        overrides={"hca-add": {"n_levels": 12, "balance": "length"}})
    diagnostics = fitted.diagnostics(data.x_test, data.y_test)
    assert diagnostics["n_levels"] == 7  # 2^6 = 64 <= 100 bins < 2^7
    assert set(diagnostics) == {"n_levels", "level_sizes", "level_accuracy", "adjusted_accuracy"}
    assert len(diagnostics["level_accuracy"]) == 7 and set(diagnostics["adjusted_accuracy"]) == {"add", "mul"}
    # equal-length coarse classes: 50 bins each at the first level
    assert np.bincount(fitted.plan.head.split.fine_to_coarse_[0]).tolist() == [50, 50]


def test_invalid_settings_raise() -> None:
    with pytest.raises(ConfigError, match="balance"):
        build_plan("hca-add", {"hca-add": {"balance": "median"}})
