"""ResNet image backbones in plain torch: the ResNet-18/34/50/101/152 layouts (no torchvision needed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from torch import Tensor, nn

from dirkit._registry import BACKBONES
from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.nn._checks import batch_norm_guard

__all__ = ["RESNET_DEPTHS", "BasicBlock", "Bottleneck", "ResNet"]

#: Block type and blocks per stage of each standard depth (He et al. 2016, table 1).
RESNET_DEPTHS: dict[int, tuple[str, tuple[int, ...]]] = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}


def _shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or 1x1 conv-BN) shortcut (He et al. 2016).

    The block of ResNet-18 and ResNet-34; its output has ``channels`` channels.
    """

    expansion: ClassVar[int] = 1

    def __init__(self, in_channels: int, channels: int, *, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = _shortcut(in_channels, channels, stride)

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand to ``4 * channels``, each with BN, plus the shortcut.

    The block of ResNet-50/101/152, with the stride on the 3x3 conv as in torchvision
    ("ResNet v1.5"); its output has ``expansion * channels`` channels.
    """

    expansion: ClassVar[int] = 4

    def __init__(self, in_channels: int, channels: int, *, stride: int = 1) -> None:
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = _shortcut(in_channels, out_channels, stride)

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + self.shortcut(x))


_BLOCKS: dict[str, type[BasicBlock] | type[Bottleneck]] = {"basic": BasicBlock, "bottleneck": Bottleneck}


def _stem(kind: str, in_channels: int, width: int) -> nn.Sequential:
    if kind == "imagenet":  # 7x7 stride-2 conv + 3x3 stride-2 max-pool: 4x downsampling
        return nn.Sequential(
            nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
    return nn.Sequential(  # CIFAR-style: 3x3 stride-1 conv, no pooling
        nn.Conv2d(in_channels, width, 3, stride=1, padding=1, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
    )


@BACKBONES.register("resnet18")
class ResNet(nn.Module):
    """ResNet returning a pooled feature vector: ResNet-18 by default, 34, 50, 101 or 152 by ``depth``.

    With ``width=64`` and the ImageNet stem, every depth has the layers (and the parameter count,
    less the final classifier) of torchvision's ``resnet<depth>``.

    Parameters
    ----------
    in_channels : int
        Image channels.
    depth : {18, 34, 50, 101, 152}
        The standard layout: BasicBlocks for 18 and 34, Bottleneck blocks (expansion 4) for 50,
        101 and 152 (the DIR papers' face-age models are ResNet-50).
    width : int
        Channels of the first stage; the stages have ``width * (1, 2, 4, 8)`` channels inside
        their blocks (times 4 at the output of Bottleneck blocks). 64 is the standard ResNet;
        16-32 trains quickly on CPU at 32-64 px.
    layers : sequence of int, optional
        Blocks per stage, replacing those of ``depth`` (whose block type is kept), e.g.
        ``(1, 1)`` for a tiny two-stage net.
    stem : {"imagenet", "small"}
        ``"imagenet"``: 7x7 stride-2 conv and max-pool (4x downsampling). ``"small"``: the
        CIFAR-style 3x3 stride-1 conv without pooling, for tiny images; it keeps 16x more
        activations in the stages and is much slower on CPU: training measured 4.7x slower at
        width 16 / 32 px, 11.5x at width 32 / 64 px, and about 15x for ResNet-18 (width 64) at
        64 px (roughly 10 img/s on 2 cores). Prefer ``"imagenet"`` on CPU.
    image_size : int or (int, int), optional
        When given, inputs of another spatial size raise :class:`~dirkit.exceptions.ShapeError`.
        Any size works otherwise (global average pooling).
    feature_dim : int, optional
        Size of a final linear projection; default the channels of the last stage
        (``8 * width`` for depths 18 and 34, ``32 * width`` for 50 and deeper; no projection).

    Attributes
    ----------
    feature_dim : int

    Examples
    --------
    >>> import torch
    >>> net = ResNet(width=8, image_size=32)
    >>> net.feature_dim, net.eval()(torch.zeros(1, 3, 32, 32)).shape
    (64, torch.Size([1, 64]))
    >>> ResNet(depth=50, width=8).feature_dim
    256
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "in_channels": [Interval(int, 1, None)],
        "depth": [OneOf(tuple(RESNET_DEPTHS))],
        "width": [Interval(int, 1, None)],
        "stem": [OneOf(("imagenet", "small"))],
        "image_size": [Interval(int, 1, None), tuple, None],
        "feature_dim": [Interval(int, 1, None), None],
    }

    def __init__(
        self,
        in_channels: int = 3,
        *,
        depth: int = 18,
        width: int = 64,
        layers: Sequence[int] | None = None,
        stem: Literal["imagenet", "small"] = "imagenet",
        image_size: int | tuple[int, int] | None = None,
        feature_dim: int | None = None,
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), "ResNet")
        block_kind, depth_layers = RESNET_DEPTHS[depth]
        layers = depth_layers if layers is None else tuple(layers)
        if not layers or any(int(n) < 1 for n in layers):
            raise ConfigError(f"The 'layers' of ResNet must be positive counts. Got {layers!r}.")
        block = _BLOCKS[block_kind]
        self.in_channels, self.depth = in_channels, depth
        self.image_size = (image_size, image_size) if isinstance(image_size, int) else image_size
        self.stem = _stem(stem, in_channels, width)
        blocks: list[nn.Module] = []
        channels = width
        for stage, n_blocks in enumerate(layers):
            inner = width * 2**stage
            for i in range(int(n_blocks)):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(block(channels, inner, stride=stride))
                channels = inner * block.expansion
        self.stages = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.project: nn.Module = nn.Identity()
        if feature_dim is not None:
            self.project = nn.Linear(channels, feature_dim)
        self.feature_dim = channels if feature_dim is None else feature_dim
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        """Return features of shape (N, feature_dim) for images of shape (N, C, H, W)."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ShapeError(
                f"ResNet expects images of shape (N, {self.in_channels}, H, W); got {tuple(x.shape)}."
            )
        if self.image_size is not None and tuple(x.shape[2:]) != tuple(self.image_size):
            raise ShapeError(
                f"ResNet was built for images of size {tuple(self.image_size)}; got {tuple(x.shape)}."
            )
        with batch_norm_guard("ResNet"):
            out = self.stages(self.stem(x))
        return self.project(self.pool(out).flatten(1))


def _at_depth(depth: int) -> Any:
    def build(in_channels: int = 3, **kwargs: Any) -> ResNet:
        return ResNet(in_channels, depth=depth, **kwargs)

    build.__name__ = build.__qualname__ = f"resnet{depth}"
    build.__doc__ = f"ResNet-{depth}: ``ResNet(in_channels, depth={depth}, **kwargs)``."
    return build


for _depth in (34, 50, 101, 152):
    BACKBONES.register(f"resnet{_depth}")(_at_depth(_depth))
