"""``group-sym``: Group-DIR with local LDS (mean-1 weights per group) and a pre-training schedule."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from dirkit.datasets import DatasetSplits
from dirkit.density import LDSWeights
from dirkit.engine import TrainConfig, fit_method
from dirkit.labels import UniformBinner, descending_soft_labels
from dirkit.methods import build_plan


def test_local_lds_weights_average_one_within_each_group(
    data: DatasetSplits, small: Callable[..., TrainConfig],
    captured_weights: list[dict[str, np.ndarray]],
    fed_soft_targets: list[tuple[torch.Tensor, torch.Tensor]],
) -> None:
    fit_method(data, "group-sym", train_config=small(1))
    weights, groups = captured_weights[0]["weight"], captured_weights[0]["group"]
    for g in np.unique(groups):
        assert np.isclose(weights[groups == g].mean(), 1.0)
    assert weights.std() > 0.1  # within-group imbalance is still re-weighted
    # the weights are the inverse LDS density (eq. 6 read as a typo), rescaled per group
    binner = UniformBinner(width=data.bin_width, range=data.label_range)
    inverse = LDSWeights(binner=binner, reweight="inverse", lds=True).fit(data.y_train).weights_
    in_group = groups == np.bincount(groups).argmax()
    ratio = weights[in_group] / inverse[in_group]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-5)
    for batch_groups, target in fed_soft_targets:  # symmetric labels
        torch.testing.assert_close(target, descending_soft_labels(batch_groups, 10))


def test_lds_composition_sets_the_kernel_and_keeps_inverse_weights() -> None:
    plan = build_plan("group-sym+lds", {"lds": {"kernel": "triangular", "ks": 3}})
    assert plan.weights["reweight"] == "inverse" and plan.weights["lds"]
    assert plan.weights["kernel"] == "triangular" and plan.weights["ks"] == 3
    plan = build_plan("group-sym", {"group-sym": {"local_lds": False}})
    assert plan.weights["reweight"] == "none"


def test_pretrain_schedule_trains_the_backbone_with_gcl_first(
    data: DatasetSplits, small: Callable[..., TrainConfig]
) -> None:
    fitted = fit_method(data, "group-sym", train_config=small(4, lr=3e-3),
                        overrides={"group-sym": {"schedule": "pretrain", "pretrain_fraction": 0.75}})
    stages = [record["stage"] for record in fitted.history]
    assert stages == ["gcl-pretrain"] * 3 + ["main"] * 4
    pretrain = [r["train_loss"] for r in fitted.history if r["stage"] == "gcl-pretrain"]
    assert pretrain[-1] < pretrain[0]
    assert "val_mae" not in fitted.history[0]  # representation stage: no checkpoint selection
    diagnostics = fitted.diagnostics(data.x_test, data.y_test)
    assert np.array(diagnostics["group_confusion"]).shape == (10, 10)
