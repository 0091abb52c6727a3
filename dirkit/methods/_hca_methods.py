"""``hca-add``, ``hca-mul`` and ``hca-d`` (Xiong & Yao, CVPR 2024); see :mod:`dirkit.methods._hca`."""

from __future__ import annotations

from dataclasses import dataclass

from dirkit.methods._compose import register_method
from dirkit.methods._hca import HCAConfig, HCADistillConfig, HCAStrategy
from dirkit.methods._plan import TrainingPlan

__all__ = ["HCAAddConfig", "HCADistillConfig", "HCAMulConfig"]


@dataclass(frozen=True)
class HCAAddConfig(HCAConfig):
    """``hca-add``: predict ``argmax(p_H + sum_h T_h^T p_h)`` (HCA eq. 7); fields of :class:`HCAConfig`."""


@dataclass(frozen=True)
class HCAMulConfig(HCAConfig):
    """``hca-mul``: predict ``argmax(log p_H + sum_h T_h^T log p_h)`` (HCA eq. 8); see :class:`HCAConfig`."""


@register_method("hca-add", HCAAddConfig, defines_head=True,
                 summary="hierarchical classifiers, additive adjustment (Xiong & Yao 2024)")
def _apply_add(plan: TrainingPlan, config: HCAAddConfig) -> None:
    plan.head = HCAStrategy(config, "add")


@register_method("hca-mul", HCAMulConfig, defines_head=True,
                 summary="hierarchical classifiers, multiplicative adjustment (Xiong & Yao 2024)")
def _apply_mul(plan: TrainingPlan, config: HCAMulConfig) -> None:
    plan.head = HCAStrategy(config, "mul")


@register_method("hca-d", HCADistillConfig, defines_head=True,
                 summary="HCA distilled into one head, range-preserving alignment (Xiong & Yao 2024)")
def _apply_distill(plan: TrainingPlan, config: HCADistillConfig) -> None:
    plan.head = HCAStrategy(config, "distill")
