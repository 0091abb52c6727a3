"""Feature extractors registered in ``dirkit.BACKBONES``; each has a ``feature_dim`` attribute."""

from dirkit.nn.backbones._bilstm import BiLSTMPairEncoder
from dirkit.nn.backbones._mlp import MLP
from dirkit.nn.backbones._resnet import BasicBlock, ResNet

__all__ = ["MLP", "BasicBlock", "BiLSTMPairEncoder", "ResNet"]
