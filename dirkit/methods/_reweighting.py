"""``inv`` and ``sqinv``: inverse and square-root inverse frequency re-weighting (DIR baselines)."""

from __future__ import annotations

from dataclasses import dataclass

from dirkit.exceptions import ConfigError
from dirkit.methods._compose import register_method
from dirkit.methods._plan import TrainingPlan

__all__ = ["InverseConfig", "SqrtInverseConfig"]


@dataclass(frozen=True)
class InverseConfig:
    """Weights ``1 / n_b`` per fine bin (Yang et al. 2021, "INV").

    Attributes
    ----------
    clip : tuple of (float, float) or None
        Clip the bin counts before inverting; the reference code uses (5, 1000) for ages.
    """

    clip: tuple[float, float] | None = None


@dataclass(frozen=True)
class SqrtInverseConfig:
    """Weights ``1 / sqrt(n_b)`` per fine bin (Yang et al. 2021, "SQINV"); no settings."""


def _refuse_a_second_reweighting(plan: TrainingPlan, method: str) -> None:
    """``inv`` and ``sqinv`` both set the re-weighting; composing them would keep only one."""
    other = "sqinv" if method == "inv" else "inv"
    if other in plan.configs:  # recorded right after applying, whatever the spec order
        raise ConfigError(
            f"{method!r} and {other!r} both set the sample re-weighting (inverse vs square-root "
            f"inverse frequency); compose only one of them (e.g. {other}+lds)."
        )


@register_method("inv", InverseConfig, summary="inverse-frequency sample weights (Yang et al. 2021)")
def _apply_inverse(plan: TrainingPlan, config: InverseConfig) -> None:
    _refuse_a_second_reweighting(plan, "inv")
    plan.weights.update(reweight="inverse", clip=config.clip)


@register_method("sqinv", SqrtInverseConfig,
                 summary="square-root inverse-frequency sample weights (Yang et al. 2021)")
def _apply_sqrt_inverse(plan: TrainingPlan, config: SqrtInverseConfig) -> None:
    _refuse_a_second_reweighting(plan, "sqinv")
    plan.weights.update(reweight="sqrt_inv")
