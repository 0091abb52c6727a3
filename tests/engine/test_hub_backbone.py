"""torchvision / timm models by name: a one-line error where the package does not import, and the
model without its classifier where it does (here with stand-in packages)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types

import numpy as np
import pytest
import torch
from torch import nn

from dirkit.datasets import DatasetSplits
from dirkit.engine import TrainConfig, fit_method, hub_backbone, import_backbone
from dirkit.engine._hub_backbone import is_hub_spec
from dirkit.exceptions import ConfigError
from dirkit.nn import ResNet

ONE_EPOCH = TrainConfig(epochs=1, batch_size=32)

pytestmark = pytest.mark.filterwarnings("ignore::dirkit.exceptions.DegenerateFitWarning")  # 1 epoch


class Classifier(nn.Module):
    """A torchvision-style model: features, then ``fc`` to 1000 classes."""

    def __init__(self) -> None:
        super().__init__()
        self.body = ResNet(width=4, layers=(1, 1))
        self.fc = nn.Linear(8, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.body(x))


@pytest.fixture
def fake_torchvision(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """A stand-in ``torchvision`` with ``models.get_model`` / ``list_models``; records the calls."""
    calls: list[dict[str, object]] = []
    package = types.ModuleType("torchvision")
    models = types.ModuleType("torchvision.models")

    def get_model(name: str, **kwargs: object) -> nn.Module:
        calls.append({"name": name, **kwargs})
        return Classifier()

    models.get_model = get_model  # type: ignore[attr-defined]
    models.list_models = lambda: ["resnet18", "resnet50"]  # type: ignore[attr-defined]
    package.models = models  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torchvision", package)
    monkeypatch.setitem(sys.modules, "torchvision.models", models)
    return calls


@pytest.fixture
def fake_timm(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    calls: list[dict[str, object]] = []
    package = types.ModuleType("timm")

    def create_model(name: str, **kwargs: object) -> nn.Module:
        calls.append({"name": name, **kwargs})
        return ResNet(int(kwargs["in_chans"]), width=4, layers=(1,))  # type: ignore[call-overload]

    package.create_model = create_model  # type: ignore[attr-defined]
    package.list_models = lambda: ["resnet50", "convnext_tiny"]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "timm", package)
    return calls


def images(n: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, size=(n, channels, 16, 16)).astype(np.uint8)


def image_data(channels: int = 3) -> DatasetSplits:
    rng = np.random.default_rng(0)
    y = {split: rng.uniform(0, 10, n) for split, n in (("train", 64), ("val", 16), ("test", 16))}
    return DatasetSplits(name="img", x_train=images(64, channels), y_train=y["train"],
                         x_val=images(16, channels, 1), y_val=y["val"], x_test=images(16, channels, 2),
                         y_test=y["test"], bin_width=1.0, label_range=(0.0, 10.0))


@pytest.mark.skipif(importlib.util.find_spec("torchvision") is not None, reason="torchvision is installed")
def test_missing_torchvision_is_one_line_naming_the_package_and_the_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        import_backbone("torchvision:resnet50")
    message = str(caught.value)
    assert "\n" not in message
    assert "needs the torchvision package, but it is not installed" in message
    assert "pip install torchvision" in message and "resnet_depth=50" in message


def test_a_package_that_fails_to_import_is_reported_as_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def broken(name: str, *args: object) -> object:
        if name == "timm":
            raise RuntimeError("operator torchvision::nms does not exist\nmore lines")
        return real_import(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(ConfigError, match=r"timm package, but it is installed but does not import "
                                          r"\(RuntimeError: operator torchvision::nms does not exist\)"):
        hub_backbone("timm:resnet50")


def test_the_cli_reports_a_missing_package_before_loading_data(capsys: pytest.CaptureFixture[str]) -> None:
    if importlib.util.find_spec("timm") is not None:
        pytest.skip("timm is installed")
    result = subprocess.run(
        [sys.executable, "-m", "dirkit", "train", "--dataset", "synthetic", "--method", "vanilla",
         "--backbone", "timm:resnet50"], capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if line.startswith("dirkit train: error:")
    ]
    assert "needs the timm package" in result.stderr


def test_torchvision_model_loses_its_classifier_and_trains(fake_torchvision: list[dict[str, object]]) -> None:
    fitted = fit_method(image_data(), "vanilla", train_config=ONE_EPOCH, backbone="torchvision:resnet50")
    assert fake_torchvision == [{"name": "resnet50", "weights": None}]
    net = fitted.model.backbone.net
    assert isinstance(net.fc, nn.Identity) and fitted.model.backbone.feature_dim == 8
    assert fitted.backbone == "torchvision:resnet50"
    assert fitted.predict(image_data().x_test).shape == (16,)


def test_torchvision_weights_and_names(fake_torchvision: list[dict[str, object]]) -> None:
    hub_backbone("torchvision:resnet18@pretrained")((3, 16, 16))
    hub_backbone("torchvision:resnet18@IMAGENET1K_V1")((3, 16, 16))
    assert [c["weights"] for c in fake_torchvision] == ["DEFAULT", "IMAGENET1K_V1"]
    with pytest.raises(ConfigError, match=r"torchvision has no model 'resnet05'.*close: resnet50"):
        hub_backbone("torchvision:resnet05")
    with pytest.raises(ConfigError, match="3-channel images"):
        hub_backbone("torchvision:resnet18")((1, 16, 16))
    with pytest.raises(ConfigError, match=r"PACKAGE:MODEL or PACKAGE:MODEL@WEIGHTS"):
        hub_backbone("torchvision:resnet18@")


def test_timm_models_are_built_headless_with_the_input_channels(fake_timm: list[dict[str, object]]) -> None:
    fitted = fit_method(image_data(channels=1), "vanilla", train_config=ONE_EPOCH,
                         backbone="timm:resnet50.a1_in1k@pretrained")
    assert fake_timm == [{"name": "resnet50.a1_in1k", "pretrained": True, "num_classes": 0, "in_chans": 1}]
    assert fitted.model.backbone.feature_dim == 4


def test_only_the_two_package_prefixes_are_named_backbones() -> None:
    assert is_hub_spec("torchvision:resnet50") and is_hub_spec("timm:vit_small_patch16_224")
    assert not is_hub_spec("torchvision.models:resnet50") and not is_hub_spec("mypkg:make")
