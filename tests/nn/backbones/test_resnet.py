"""ResNet backbone: ResNet-18 layout, stems, sizes, registry."""

from __future__ import annotations

import pytest
import torch

from dirkit._registry import BACKBONES
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.nn import ResNet
from dirkit.testing import check_backbone


def test_width_64_has_the_resnet18_layout() -> None:
    net = ResNet()  # torchvision's resnet18 has 11,689,512 parameters, 513,000 of them in fc
    assert sum(p.numel() for p in net.parameters()) == 11_689_512 - 513_000
    assert net.feature_dim == 512
    assert sum(type(m).__name__ == "BasicBlock" for m in net.modules()) == 8


@pytest.mark.parametrize("stem", ["imagenet", "small"])
def test_contract(stem: str) -> None:
    check_backbone(ResNet(width=4, stem=stem, feature_dim=6), (3, 16, 16))  # type: ignore[arg-type]


def test_stems_and_sizes() -> None:
    small = ResNet(width=4, stem="small")
    assert [type(m).__name__ for m in small.stem] == ["Conv2d", "BatchNorm2d", "ReLU"]
    assert type(ResNet(width=4).stem[-1]).__name__ == "MaxPool2d"
    gray = ResNet(1, width=4, layers=(1, 1), image_size=(24, 32)).eval()
    assert gray.feature_dim == 8 and gray(torch.zeros(2, 1, 24, 32)).shape == (2, 8)
    with pytest.raises(ShapeError, match=r"\(24, 32\).*\(2, 1, 32, 32\)"):
        gray(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ShapeError, match=r"\(N, 1, H, W\).*\(2, 3, 24, 32\)"):
        gray(torch.zeros(2, 3, 24, 32))


def test_batch_of_one_in_training_gives_a_clear_error() -> None:
    net = ResNet(width=4, layers=(1, 1))
    with pytest.raises(ShapeError, match="batch of one"):
        net(torch.zeros(1, 3, 8, 8))
    assert net.eval()(torch.zeros(1, 3, 8, 8)).shape == (1, 8)


def test_registered_and_validated() -> None:
    assert BACKBONES.get("resnet18") is ResNet
    with pytest.raises(ConfigError, match="'imagenet', 'small'"):
        ResNet(stem="cifar")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="layers"):
        ResNet(layers=(2, 0))
