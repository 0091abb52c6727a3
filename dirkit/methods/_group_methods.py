"""``group-dir``, ``group-sym`` and ``group-asym``; see :mod:`dirkit.methods._group`.

- ``group-dir`` (Pu et al., AAAI 2025): symmetric descending soft labels, GCL, multi-head
  regressor; sample weights only from composed methods (``"group-dir+lds"`` is global LDS).
- ``group-sym`` / ``group-asym`` (the follow-up, "Unleashing the potential of classification
  with semantic similarity"): local LDS, symmetric / asymmetric soft labels, joint or
  contrastive-pretrain schedule.
"""

from __future__ import annotations

from dirkit.methods._compose import register_method
from dirkit.methods._group import GroupAsymConfig, GroupDIRConfig, GroupSoftConfig, GroupStrategy
from dirkit.methods._plan import TrainingPlan

__all__ = ["GroupAsymConfig", "GroupDIRConfig", "GroupSoftConfig"]


def _apply_follow_up(plan: TrainingPlan, config: GroupSoftConfig) -> None:
    strategy = GroupStrategy(config)
    plan.head = strategy
    if config.local_lds:  # inverse LDS weights; GroupStrategy.adjust_weights renormalises per group
        plan.weights.update(reweight=config.lds_reweight, lds=True)
    if config.schedule == "pretrain":
        plan.stages.append(strategy.pretrain_stage())


@register_method("group-dir", GroupDIRConfig, defines_head=True,
                 summary="group classification, symmetric soft labels, multi-head regressor (Pu et al. 2025)")
def _apply_group_dir(plan: TrainingPlan, config: GroupDIRConfig) -> None:
    plan.head = GroupStrategy(config)


@register_method("group-sym", GroupSoftConfig, defines_head=True,
                 summary="Group-DIR with local LDS and symmetric soft labels (Pu et al. follow-up)")
def _apply_group_sym(plan: TrainingPlan, config: GroupSoftConfig) -> None:
    _apply_follow_up(plan, config)


@register_method("group-asym", GroupAsymConfig, defines_head=True,
                 summary="Group-DIR with local LDS and asymmetric soft labels (Pu et al. follow-up)")
def _apply_group_asym(plan: TrainingPlan, config: GroupAsymConfig) -> None:
    _apply_follow_up(plan, config)
