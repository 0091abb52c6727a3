"""``vanilla``: plain regression with an unweighted MSE (the DIR baseline)."""

from __future__ import annotations

from dataclasses import dataclass

from dirkit.methods._compose import register_method
from dirkit.methods._plan import TrainingPlan
from dirkit.methods._regression_head import RegressionStrategy

__all__ = ["VanillaConfig"]


@dataclass(frozen=True)
class VanillaConfig:
    """``vanilla`` has no settings: backbone, linear regressor, MSE."""


@register_method("vanilla", VanillaConfig, defines_head=True,
                 summary="plain regression, unweighted MSE (Yang et al. 2021 baseline)")
def _apply(plan: TrainingPlan, config: VanillaConfig) -> None:
    plan.head = RegressionStrategy()
