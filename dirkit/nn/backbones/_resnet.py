"""A ResNet-18-layout image backbone in plain torch (torchvision does not import here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from torch import Tensor, nn

from dirkit._registry import BACKBONES
from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.nn._checks import batch_norm_guard

__all__ = ["BasicBlock", "ResNet"]


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or 1x1 conv-BN) shortcut (He et al. 2016)."""

    def __init__(self, in_channels: int, channels: int, *, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(channels),
            )

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


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
    """ResNet with BasicBlocks (ResNet-18 layout by default) returning a pooled feature vector.

    Parameters
    ----------
    in_channels : int
        Image channels.
    width : int
        Channels of the first stage; the stages have ``width * (1, 2, 4, 8)``. 64 is ResNet-18;
        16-32 trains quickly on CPU at 32-64 px.
    layers : sequence of int
        Blocks per stage (``(2, 2, 2, 2)``: ResNet-18).
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
        Size of a final linear projection; default ``8 * width`` (no projection).

    Attributes
    ----------
    feature_dim : int

    Examples
    --------
    >>> import torch
    >>> net = ResNet(width=8, image_size=32)
    >>> net.feature_dim, net.eval()(torch.zeros(1, 3, 32, 32)).shape
    (64, torch.Size([1, 64]))
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "in_channels": [Interval(int, 1, None)],
        "width": [Interval(int, 1, None)],
        "stem": [OneOf(("imagenet", "small"))],
        "image_size": [Interval(int, 1, None), tuple, None],
        "feature_dim": [Interval(int, 1, None), None],
    }

    def __init__(
        self,
        in_channels: int = 3,
        *,
        width: int = 64,
        layers: Sequence[int] = (2, 2, 2, 2),
        stem: Literal["imagenet", "small"] = "imagenet",
        image_size: int | tuple[int, int] | None = None,
        feature_dim: int | None = None,
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), "ResNet")
        if not layers or any(int(n) < 1 for n in layers):
            raise ConfigError(f"The 'layers' of ResNet must be positive counts. Got {layers!r}.")
        self.in_channels = in_channels
        self.image_size = (image_size, image_size) if isinstance(image_size, int) else image_size
        self.stem = _stem(stem, in_channels, width)
        blocks: list[nn.Module] = []
        channels = width
        for stage, n_blocks in enumerate(layers):
            out_channels = width * 2**stage
            for i in range(int(n_blocks)):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(BasicBlock(channels, out_channels, stride=stride))
                channels = out_channels
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
