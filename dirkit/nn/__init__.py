"""Model components: backbones -> (FDS) -> heads, composed by :class:`DIRModel`.

Backbones live in :mod:`dirkit.nn.backbones` (registered in ``dirkit._registry.BACKBONES``),
heads and the HCA functions in :mod:`dirkit.nn.heads`; the most used names are re-exported here.
"""

from dirkit.nn import backbones, heads
from dirkit.nn._fds import FDS
from dirkit.nn._model import DIRModel, DIROutput
from dirkit.nn._probabilistic_smoothing import ProbabilisticSmoothing
from dirkit.nn.backbones._bilstm import BiLSTMPairEncoder
from dirkit.nn.backbones._mlp import MLP
from dirkit.nn.backbones._resnet import ResNet
from dirkit.nn.heads._classification import ClassificationHead
from dirkit.nn.heads._distilled import (
    DistilledClassifier,
    hierarchical_distillation_loss,
    range_preserving_align,
    sum_align,
)
from dirkit.nn.heads._hierarchical import HierarchicalClassifier, hca_adjust
from dirkit.nn.heads._multi_head import MultiHeadRegressor
from dirkit.nn.heads._regression import RegressionHead

__all__ = [
    "FDS",
    "MLP",
    "BiLSTMPairEncoder",
    "ClassificationHead",
    "DIRModel",
    "DIROutput",
    "DistilledClassifier",
    "HierarchicalClassifier",
    "MultiHeadRegressor",
    "ProbabilisticSmoothing",
    "RegressionHead",
    "ResNet",
    "backbones",
    "hca_adjust",
    "heads",
    "hierarchical_distillation_loss",
    "range_preserving_align",
    "sum_align",
]
