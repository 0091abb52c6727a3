"""ResNet depths 18/34/50: the standard layouts, parameter counts and output shapes."""

from __future__ import annotations

import pytest
import torch

from dirkit._registry import BACKBONES
from dirkit.exceptions import ConfigError
from dirkit.nn import ResNet
from dirkit.nn.backbones import Bottleneck

# torchvision's resnet<depth>(num_classes=1000) on 3-channel input, and its fc (2048 or 512 -> 1000)
TORCHVISION_PARAMETERS = {18: 11_689_512, 34: 21_797_672, 50: 25_557_032}
FC_PARAMETERS = {18: 512 * 1000 + 1000, 34: 512 * 1000 + 1000, 50: 2048 * 1000 + 1000}


def _count(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("depth", [18, 34, 50])
def test_parameter_counts_match_the_standard_layouts(depth: int) -> None:
    net = ResNet(3, depth=depth, width=64)
    assert _count(net) == TORCHVISION_PARAMETERS[depth] - FC_PARAMETERS[depth]
    assert net.feature_dim == (2048 if depth == 50 else 512)


@pytest.mark.parametrize(("depth", "block", "n_blocks"), [(18, "BasicBlock", 8), (34, "BasicBlock", 16),
                                                          (50, "Bottleneck", 16)])
def test_blocks_of_each_depth(depth: int, block: str, n_blocks: int) -> None:
    net = ResNet(depth=depth, width=8)
    assert [type(m).__name__ for m in net.stages] == [block] * n_blocks


def test_resnet50_output_shape_at_224_px_and_its_bottleneck() -> None:
    net = ResNet(3, depth=50, width=64, image_size=224).eval()
    with torch.no_grad():
        features = net(torch.zeros(2, 3, 224, 224))
    assert features.shape == (2, 2048)
    first = net.stages[0]
    assert isinstance(first, Bottleneck)
    assert (first.conv1.out_channels, first.conv2.out_channels, first.conv3.out_channels) == (64, 64, 256)
    second_stage = net.stages[3]  # the stride is on the 3x3 conv (torchvision's v1.5)
    assert (second_stage.conv1.stride, second_stage.conv2.stride) == ((1, 1), (2, 2))


@pytest.mark.parametrize("depth", [18, 34, 50])
def test_narrow_nets_with_a_projection(depth: int) -> None:
    net = ResNet(1, depth=depth, width=4, feature_dim=10, stem="small").eval()
    assert net(torch.zeros(3, 1, 16, 16)).shape == (3, 10)


def test_default_layout_is_unchanged_and_other_depths_are_registered() -> None:
    assert ResNet().state_dict().keys() == ResNet(depth=18).state_dict().keys()
    assert _count(ResNet(width=8)) == _count(ResNet(width=8, layers=(2, 2, 2, 2)))
    assert _count(BACKBONES.get("resnet50")(3, width=8)) == _count(ResNet(depth=50, width=8))
    assert BACKBONES.get("resnet34")(width=4).depth == 34
    with pytest.raises(ConfigError, match="18, 34, 50, 101, 152"):
        ResNet(depth=20)


def test_layers_override_the_block_counts_of_a_depth() -> None:
    net = ResNet(depth=50, width=4, layers=(1, 1))
    assert [type(m).__name__ for m in net.stages] == ["Bottleneck", "Bottleneck"]
    assert net.feature_dim == 4 * 2 * 4
