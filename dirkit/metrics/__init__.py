"""Evaluation: overall and shot-wise regression metrics from additive per-bin sums."""

from dirkit.metrics._bin_sums import DEFAULT_GM_EPS, BinSums, metrics_from_sums
from dirkit.metrics._per_bin import error_density_correlation, per_bin_errors
from dirkit.metrics._shot import SHOT_GROUPS, ShotMetrics, regression_metrics, shot_metrics

__all__ = [
    "DEFAULT_GM_EPS",
    "SHOT_GROUPS",
    "BinSums",
    "ShotMetrics",
    "error_density_correlation",
    "metrics_from_sums",
    "per_bin_errors",
    "regression_metrics",
    "shot_metrics",
]
