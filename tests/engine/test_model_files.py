"""Model files: every method saves, loads with weights_only=True and predicts exactly as before."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import dirkit.methods  # noqa: F401  (registers the methods)
from dirkit._registry import METHODS
from dirkit.datasets import DatasetSplits, make_synthetic
from dirkit.engine import FittedMethod, TrainConfig, fit_method, load_model
from dirkit.exceptions import CheckpointError, ConfigError
from dirkit.methods._prediction_rules import PredictionRule

pytestmark = pytest.mark.filterwarnings("ignore::dirkit.exceptions.DegenerateFitWarning")

DATA = make_synthetic(0, scale=0.05)
FAST = TrainConfig(epochs=2, batch_size=64, hidden=(32,), feature_dim=16)


@pytest.mark.parametrize("method", [*METHODS.names(), "sqinv+lds+fds", "rrt+lds", "hca-d+lds+ranksim"])
def test_every_method_predicts_identically_after_a_round_trip(tmp_path, method):
    fitted = fit_method(DATA, method, seed=3, train_config=FAST)
    path = fitted.save(tmp_path / "model.pt")
    state = torch.load(path, weights_only=True)  # plain tensors and containers only
    assert state["format"] == "dirkit-model"
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(DATA.x_test), fitted.predict(DATA.x_test))
    assert loaded.method == method and loaded.config == FAST


def test_the_validation_choice_of_group_robust_is_kept(tmp_path):
    fitted = fit_method(DATA, "group-robust", train_config=FAST)
    assert "rule" in fitted.head_state  # chosen on validation after training
    default = fitted.predict(DATA.x_test)
    blend = PredictionRule("blend")  # another choice than the default rule: it must travel
    fitted.plan.head.rule = fitted.head_state["rule"] = blend  # type: ignore[attr-defined]
    assert not np.array_equal(fitted.predict(DATA.x_test), default)
    loaded = FittedMethod.load(fitted.save(tmp_path / "m.pt"))
    assert loaded.plan.head.rule == blend  # type: ignore[attr-defined]
    np.testing.assert_array_equal(loaded.predict(DATA.x_test), fitted.predict(DATA.x_test))


def make_cnn(shape: tuple[int, ...]) -> nn.Module:
    return nn.Sequential(nn.Conv2d(shape[0], 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten())


def image_data() -> DatasetSplits:
    rng = np.random.default_rng(0)
    y = {s: rng.uniform(0, 10, n) for s, n in (("train", 96), ("val", 32), ("test", 32))}
    x = {s: rng.integers(0, 255, size=(len(v), 3, 8, 8)).astype(np.uint8) for s, v in y.items()}
    return DatasetSplits(name="images", x_train=x["train"], y_train=y["train"], x_val=x["val"],
                         y_val=y["val"], x_test=x["test"], y_test=y["test"], bin_width=1.0,
                         label_range=(0.0, 10.0))


def test_images_with_the_resnet_and_with_a_user_backbone(tmp_path):
    data = image_data()
    config = TrainConfig(epochs=1, batch_size=32, resnet_width=4, feature_dim=8)
    resnet = fit_method(data, "sqinv+lds+fds", train_config=config)
    np.testing.assert_array_equal(load_model(resnet.save(tmp_path / "r.pt")).predict(data.x_test),
                                  resnet.predict(data.x_test))
    own = fit_method(data, "vanilla", train_config=config, backbone=make_cnn)
    path = own.save(tmp_path / "own.pt")
    with pytest.raises(ConfigError, match=r"trained with the backbone .*make_cnn .*pass that backbone"):
        load_model(path)
    with pytest.raises(ConfigError, match="trained with the backbone"):
        load_model(path, backbone=lambda shape: nn.Flatten())
    np.testing.assert_array_equal(load_model(path, backbone=make_cnn).predict(data.x_test),
                                  own.predict(data.x_test))
    with pytest.raises(ConfigError, match="built-in backbone"):
        load_model(tmp_path / "r.pt", backbone=make_cnn)


def test_a_crafted_or_foreign_file_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "code-ran"

    class RunsCode:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (type(marker).touch, (marker,))

    torch.save({"format": "dirkit-model", "model": RunsCode()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="cannot be loaded safely"):
        load_model(tmp_path / "evil.pt")
    assert not marker.exists()
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a dirkit model file"):
        load_model(tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="No model file"):
        load_model(tmp_path / "missing.pt")
