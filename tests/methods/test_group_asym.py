"""``group-asym``: asymmetric descending soft labels from the training group counts."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from dirkit.datasets import DatasetSplits
from dirkit.engine import TrainConfig, fit_method, run_experiment
from dirkit.labels import descending_soft_labels
from dirkit.nn import FDS


def test_soft_targets_are_asymmetric_labels_from_training_counts(
    data: DatasetSplits, small: Callable[..., TrainConfig],
    fed_soft_targets: list[tuple[torch.Tensor, torch.Tensor]],
) -> None:
    fitted = fit_method(data, "group-asym", train_config=small(1))
    counts = fitted.plan.head.grouper.counts_
    assert counts.sum() == len(data.y_train)
    for groups, target in fed_soft_targets:
        torch.testing.assert_close(target, descending_soft_labels(groups, 10, group_counts=counts))
        assert not torch.allclose(target, descending_soft_labels(groups, 10))
        torch.testing.assert_close(target.sum(dim=1), torch.ones(len(groups)))


def test_dev_code_mode_does_not_renormalise(
    data: DatasetSplits, small: Callable[..., TrainConfig],
    fed_soft_targets: list[tuple[torch.Tensor, torch.Tensor]],
) -> None:
    fitted = fit_method(data, "group-asym", train_config=small(1),
                        overrides={"group-asym": {"asymmetric_mode": "dev-code"}})
    counts = fitted.plan.head.grouper.counts_
    groups, target = fed_soft_targets[0]
    expected = descending_soft_labels(groups, 10, group_counts=counts, asymmetric_mode="dev-code")
    torch.testing.assert_close(target, expected)
    assert (target.sum(dim=1) < 1).all()


def test_composes_with_fds_and_mixture_prediction(
    data: DatasetSplits, small: Callable[..., TrainConfig]
) -> None:
    result = run_experiment(data, "group-asym+fds", train_config=small(3),
                            overrides={"group-asym": {"prediction": "mixture"}})
    assert np.isfinite(result.metrics["test"]["all"]["mae"])
    assert result.config["methods"]["fds"]["kernel"] == "gaussian"
    diagnostics = result.diagnostics
    assert set(diagnostics) >= {"group_accuracy", "group_confusion", "mean_group_distance", "oracle_mae"}
    assert np.array(diagnostics["group_confusion"]).sum() == len(data.y_test)


def test_fds_layer_is_built(data: DatasetSplits, small: Callable[..., TrainConfig]) -> None:
    fitted = fit_method(data, "group-asym+fds", train_config=small(1))
    assert isinstance(fitted.model.fds, FDS)
