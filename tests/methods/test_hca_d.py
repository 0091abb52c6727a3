"""``hca-d``: a distilled classifier trained alone in a second stage, then used for inference."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn

from dirkit.datasets import DatasetSplits, make_synthetic
from dirkit.engine import TrainConfig, fit_method, run_experiment
from dirkit.exceptions import ConfigError
from dirkit.methods import METHODS
from dirkit.methods._hca import HCADistillConfig, HCAStrategy
from dirkit.methods._plan import Stage, TrainingPlan
from dirkit.nn import DIRModel


def _state(module: nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def test_second_stage_trains_only_the_distilled_head(
    data: DatasetSplits, small: Callable[..., TrainConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshots: list[dict[str, dict[str, torch.Tensor]]] = []
    original = HCAStrategy.stages

    def snapshot(model: DIRModel) -> None:
        heads = model.head
        snapshots.append({"backbone": _state(model.backbone), "hierarchy": _state(heads["hierarchy"]),
                          "distilled": _state(heads["distilled"])})

    def stages(self: HCAStrategy, plan: TrainingPlan) -> list[Stage]:
        return [dataclasses.replace(stage, prepare_model=snapshot) for stage in original(self, plan)]

    monkeypatch.setattr(HCAStrategy, "stages", stages)
    fitted = fit_method(data, "hca-d", train_config=small(5, lr=1e-2),
                        overrides={"hca-d": {"min_epochs": 1}})
    assert [r["stage"] for r in fitted.history] == ["main"] * 5 + ["hca-distill"]  # 20% of 5 epochs
    (before,) = snapshots
    after = {"backbone": _state(fitted.model.backbone), "hierarchy": _state(fitted.model.head["hierarchy"]),
             "distilled": _state(fitted.model.head["distilled"])}
    for part in ("backbone", "hierarchy"):  # parameters and batch-norm statistics alike
        for name, value in before[part].items():
            assert torch.equal(value, after[part][name]), f"{part}.{name} changed"
    assert any(not torch.equal(v, after["distilled"][k]) for k, v in before["distilled"].items())
    assert fitted.model.head["distilled"].hidden == 16 // 4


def test_inference_uses_the_distilled_head_alone(
    data: DatasetSplits, small: Callable[..., TrainConfig]
) -> None:
    fitted = fit_method(data, "hca-d", train_config=small(3, lr=1e-2))
    strategy = fitted.plan.head
    fitted.model.eval()
    with torch.no_grad():
        distilled = fitted.model(torch.as_tensor(data.x_test, dtype=torch.float32)).prediction["distilled"]
    expected = strategy.split.means_[-1][distilled.argmax(dim=1).numpy()]
    np.testing.assert_allclose(fitted.predict(data.x_test), expected, rtol=1e-6)
    diagnostics = fitted.diagnostics(data.x_test, data.y_test)
    assert set(diagnostics) == {"n_levels", "level_sizes", "level_accuracy", "adjusted_accuracy",
                                "distilled_accuracy"}
    assert 0 <= diagnostics["distilled_accuracy"] <= 1


def test_composes_with_lds_and_ranksim(data: DatasetSplits, small: Callable[..., TrainConfig]) -> None:
    spec = "hca-d+lds+ranksim" if "ranksim" in METHODS.names() else "hca-d+lds"
    result = run_experiment(data, spec, train_config=small(2), overrides={"hca-d": {"alignment": "sum"}})
    assert np.isfinite(result.metrics["test"]["all"]["mae"])
    assert [r["stage"] for r in result.history][-1] == "hca-distill"


@pytest.mark.parametrize(("epochs", "min_epochs", "expected"),
                         [(3, 5, 5), (10, 5, 5), (30, 5, 6), (50, 5, 10), (3, 1, 1), (30, 8, 8)])
def test_the_distillation_stage_has_a_floor_of_epochs(epochs, min_epochs, expected):
    (stage,) = HCAStrategy(HCADistillConfig(min_epochs=min_epochs), "distill").stages(None)  # type: ignore[arg-type]
    assert stage.epochs(epochs) == expected


def test_min_epochs_must_be_a_positive_integer():
    for bad in (0, 2.5, True):
        with pytest.raises(ConfigError, match=f"integer min_epochs >= 1; got {bad!r}"):
            HCAStrategy(HCADistillConfig(min_epochs=bad), "distill")  # type: ignore[arg-type]


@pytest.mark.slow
def test_a_small_budget_still_gives_many_distinct_predictions():
    """5 epochs on the full synthetic set: 20 % is one distillation epoch, the floor gives 5."""
    data = make_synthetic(1)
    distinct = {}
    for floor in (5, 1):
        result = run_experiment(data, "hca-d", seed=1, train_config=TrainConfig(epochs=5),
                                overrides={"hca-d": {"min_epochs": floor}})
        assert [r["stage"] for r in result.history].count("hca-distill") == floor
        distinct[floor] = len(np.unique(result.predictions["test"]))
    assert distinct[5] >= 12 and distinct[5] > distinct[1]  # measured 16 against 8
