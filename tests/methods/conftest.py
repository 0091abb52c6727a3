"""Fixtures of the method recipe tests: a tiny synthetic data set and fast training settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from dirkit.datasets import DatasetSplits, make_synthetic
from dirkit.engine import TrainConfig
from dirkit.engine import _fit as fit_module
from dirkit.labels import UniformBinner
from dirkit.methods import LabelContext


@pytest.fixture(scope="session")
def data() -> DatasetSplits:
    """About 610 skewed training labels in [0, 100], balanced validation and test splits."""
    return make_synthetic(0, scale=0.1)


@pytest.fixture
def small() -> Callable[..., TrainConfig]:
    """``small(epochs=3, **changes)``: a tiny MLP trained in well under a second."""

    def make(epochs: int = 3, **changes: Any) -> TrainConfig:
        settings: dict[str, Any] = {"hidden": (32,), "feature_dim": 16, "batch_size": 64}
        return TrainConfig(epochs=epochs, **(settings | changes))

    return make


@pytest.fixture
def captured_weights(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, np.ndarray]]:
    """Records the training table's sample weights and extras of every fit in the test."""
    records: list[dict[str, np.ndarray]] = []
    original = fit_module.SampleTable

    def recording(x: Any, y: Any, bins: Any, weight: Any, extras: Any = None, **kwargs: Any) -> Any:
        if extras is not None:  # the training table (the validation table has no extras)
            records.append({"weight": np.asarray(weight), **{k: np.asarray(v) for k, v in extras.items()}})
        return original(x, y, bins, weight, extras, **kwargs)

    monkeypatch.setattr(fit_module, "SampleTable", recording)
    return records



@pytest.fixture(scope="session")
def context(data: DatasetSplits) -> LabelContext:
    """The label context a fit on ``data`` builds its heads from."""
    binner = UniformBinner(width=data.bin_width, range=data.label_range).fit(data.y_train)
    return LabelContext(data=data, x_train=data.x_train, y_train=data.y_train, binner=binner, seed=0)


@pytest.fixture
def fed_soft_targets(monkeypatch: pytest.MonkeyPatch) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Records ``(batch groups, soft targets passed to soft_cross_entropy)`` of every group-method step."""
    from dirkit.methods import _group

    records: list[tuple[torch.Tensor, torch.Tensor]] = []
    batch_groups: list[torch.Tensor] = []
    original_loss, original_ce = _group.GroupStrategy.loss, _group.soft_cross_entropy

    def loss(self: Any, output: Any, batch: Any, plan: Any) -> torch.Tensor:
        batch_groups.append(batch.extras["group"].clone())
        return original_loss(self, output, batch, plan)

    def soft_ce(logits: torch.Tensor, target: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        records.append((batch_groups[-1], target.detach().clone()))
        return original_ce(logits, target, **kwargs)

    monkeypatch.setattr(_group.GroupStrategy, "loss", loss)
    monkeypatch.setattr(_group, "soft_cross_entropy", soft_ce)
    return records
