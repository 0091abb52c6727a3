"""Feature extractors registered in ``dirkit.BACKBONES``; each has a ``feature_dim`` attribute."""

from dirkit.nn.backbones._bilstm import BiLSTMPairEncoder
from dirkit.nn.backbones._mlp import MLP
from dirkit.nn.backbones._resnet import RESNET_DEPTHS, BasicBlock, Bottleneck, ResNet

__all__ = ["MLP", "RESNET_DEPTHS", "BasicBlock", "BiLSTMPairEncoder", "Bottleneck", "ResNet"]
