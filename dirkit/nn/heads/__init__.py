"""Prediction heads: regression, classification, Group-DIR multi-head, HCA hierarchy and HCA-d,
evidential (DER), variational (VAE) and VIR's smoothed variational NIG head."""

from dirkit.nn.heads._classification import ClassificationHead
from dirkit.nn.heads._distilled import (
    DistilledClassifier,
    hierarchical_distillation_loss,
    range_preserving_align,
    sum_align,
)
from dirkit.nn.heads._evidential import NIGHead, nig_uncertainty
from dirkit.nn.heads._hierarchical import HierarchicalClassifier, check_transitions, hca_adjust
from dirkit.nn.heads._multi_head import MultiHeadRegressor
from dirkit.nn.heads._regression import RegressionHead
from dirkit.nn.heads._variational import VariationalHead
from dirkit.nn.heads._vir import VIRHead, conjugate_nig

__all__ = [
    "ClassificationHead",
    "DistilledClassifier",
    "HierarchicalClassifier",
    "MultiHeadRegressor",
    "NIGHead",
    "RegressionHead",
    "VIRHead",
    "VariationalHead",
    "check_transitions",
    "conjugate_nig",
    "hca_adjust",
    "hierarchical_distillation_loss",
    "nig_uncertainty",
    "range_preserving_align",
    "sum_align",
]
