"""Prediction heads: regression, classification, Group-DIR multi-head, HCA hierarchy and HCA-d."""

from dirkit.nn.heads._classification import ClassificationHead
from dirkit.nn.heads._distilled import (
    DistilledClassifier,
    hierarchical_distillation_loss,
    range_preserving_align,
    sum_align,
)
from dirkit.nn.heads._hierarchical import HierarchicalClassifier, check_transitions, hca_adjust
from dirkit.nn.heads._multi_head import MultiHeadRegressor
from dirkit.nn.heads._regression import RegressionHead

__all__ = [
    "ClassificationHead",
    "DistilledClassifier",
    "HierarchicalClassifier",
    "MultiHeadRegressor",
    "RegressionHead",
    "check_transitions",
    "hca_adjust",
    "hierarchical_distillation_loss",
    "range_preserving_align",
    "sum_align",
]
