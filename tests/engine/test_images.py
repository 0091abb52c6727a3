"""Image inputs end to end: uint8 images, ImageNormalize + ResNet, augmentation in training only."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from dirkit.datasets import DatasetSplits, make_synthetic
from dirkit.engine import TrainConfig, fit_method, run_experiment
from dirkit.engine import _fit as fit_module
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.methods import ImageNormalize, Standardize
from dirkit.nn import ResNet

TINY = TrainConfig(epochs=4, batch_size=64, resnet_width=8, feature_dim=16, lr=3e-3)


def images_for(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """16x16 RGB images whose centre square brightness encodes the label, with noise."""
    x = rng.integers(0, 40, size=(len(y), 3, 16, 16))
    x[:, :, 4:12, 4:12] += (2 * y).astype(int)[:, None, None, None]
    return np.clip(x, 0, 255).astype(np.uint8)


def make_images(seed: int = 0) -> DatasetSplits:
    rng = np.random.default_rng(seed)
    y = {"train": 100 * rng.beta(1.5, 4.0, size=400), "val": rng.uniform(0, 100, 80),
         "test": rng.uniform(0, 100, 80)}
    return DatasetSplits(
        name="images", x_train=images_for(y["train"], rng), y_train=y["train"],
        x_val=images_for(y["val"], rng), y_val=y["val"], x_test=images_for(y["test"], rng),
        y_test=y["test"], bin_width=1.0, label_range=(0.0, 100.0),
    )


DATA = make_images()


@pytest.fixture
def model_inputs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, torch.Tensor]]:
    """(gradients enabled, backbone input) of every forward pass of the next fit."""
    seen: list[tuple[bool, torch.Tensor]] = []
    original = fit_module.build_model

    def recording(*args: Any, **kwargs: Any) -> Any:
        model = original(*args, **kwargs)
        model.backbone.register_forward_pre_hook(
            lambda _, inputs: seen.append((torch.is_grad_enabled(), inputs[0].detach().clone()))
        )
        return model

    monkeypatch.setattr(fit_module, "build_model", recording)
    return seen


def raw_rows(*arrays: np.ndarray) -> set[bytes]:
    return {row.tobytes() for array in arrays for row in array}


@pytest.mark.parametrize("method", ["vanilla", "group-asym"])
def test_image_runs_end_to_end_and_the_loss_decreases(method: str) -> None:
    result = run_experiment(DATA, method, train_config=TINY)
    losses = [r["train_loss"] for r in result.history if r["stage"] == "main"]
    assert len(losses) == TINY.epochs and losses[-1] < losses[0]
    assert np.isfinite(result.predictions["test"]).all()
    assert result.config["train"]["backbone"] == "auto"
    assert np.isfinite(result.metrics["test"]["all"]["mae"])


def test_images_build_normalize_and_resnet_and_stay_uint8() -> None:
    fitted = fit_method(DATA, "vanilla", train_config=TrainConfig(epochs=1, resnet_width=8, feature_dim=16))
    normalize, resnet = fitted.model.backbone
    assert isinstance(normalize, ImageNormalize) and isinstance(resnet, ResNet)
    assert resnet.feature_dim == 16 and resnet.stages[0].conv1.in_channels == 8
    assert torch.allclose(normalize.mean.flatten(), torch.tensor(DATA.x_train.mean(axis=(0, 2, 3)),
                                                                  dtype=torch.float32), atol=1e-3)
    prediction = fitted.predict(DATA.x_test)
    np.testing.assert_array_equal(fitted.predict(DATA.x_test), prediction)  # eval: no random draws


def test_augmentation_in_training_batches_only(model_inputs: list[tuple[bool, torch.Tensor]]) -> None:
    fitted = fit_method(DATA, "vanilla", train_config=TINY)
    fitted.predict(DATA.x_test)
    raw = raw_rows(DATA.x_train, DATA.x_val, DATA.x_test)
    trained = [row.numpy().tobytes() for grad, x in model_inputs if grad for row in x]
    evaluated = [row.numpy().tobytes() for grad, x in model_inputs if not grad for row in x]
    assert all(x.dtype == torch.uint8 for _, x in model_inputs)  # converted inside the model
    assert len(trained) == TINY.epochs * len(DATA.y_train)
    assert np.mean([row in raw for row in trained]) < 0.2  # shifted and flipped copies
    assert evaluated and all(row in raw for row in evaluated)  # validation and prediction: raw


def test_augment_false_trains_on_the_raw_images(model_inputs: list[tuple[bool, torch.Tensor]]) -> None:
    fit_method(DATA, "vanilla", train_config=TrainConfig(epochs=1, resnet_width=8, augment=False))
    raw = raw_rows(DATA.x_train)
    assert all(row.numpy().tobytes() in raw for grad, x in model_inputs if grad for row in x)


def test_image_runs_repeat_exactly() -> None:
    config = TrainConfig(epochs=2, batch_size=64, resnet_width=8, feature_dim=16)
    first, again = (fit_method(DATA, "vanilla", seed=3, train_config=config) for _ in range(2))
    np.testing.assert_array_equal(again.predict(DATA.x_test), first.predict(DATA.x_test))


def test_backbone_choice_must_fit_the_inputs() -> None:
    vectors = make_synthetic(0, scale=0.05)
    with pytest.raises(ShapeError, match=r"backbone 'mlp' needs vectors .* shape \(400, 3, 16, 16\)"):
        fit_method(DATA, "vanilla", train_config=TrainConfig(epochs=1, backbone="mlp"))
    with pytest.raises(ShapeError, match="backbone 'resnet' needs images"):
        fit_method(vectors, "vanilla", train_config=TrainConfig(epochs=1, backbone="resnet"))
    with pytest.raises(ConfigError, match="'auto', 'mlp', 'resnet', 'bilstm'"):
        fit_method(vectors, "vanilla", train_config=TrainConfig(epochs=1, backbone="vit"))  # type: ignore[arg-type]
    fitted = fit_method(vectors, "vanilla", train_config=TrainConfig(epochs=1, backbone="mlp", hidden=(8,)))
    assert isinstance(fitted.model.backbone[0], Standardize)
    assert isinstance(fitted.model.backbone, nn.Sequential)


def test_resnet_depth_and_stem_from_the_training_config() -> None:
    config = TrainConfig(epochs=1, batch_size=64, resnet_width=4, feature_dim=8, resnet_depth=50,
                         resnet_stem="small")
    fitted = fit_method(DATA, "vanilla", train_config=config)
    resnet = fitted.model.backbone[1]
    assert isinstance(resnet, ResNet) and resnet.depth == 50
    assert [type(m).__name__ for m in resnet.stages].count("Bottleneck") == 16
    assert type(resnet.stem[-1]).__name__ == "ReLU"  # the small stem has no max-pool
    assert fitted.predict(DATA.x_test).shape == (len(DATA.x_test),)
