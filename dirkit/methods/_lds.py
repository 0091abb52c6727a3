"""``lds``: label distribution smoothing of the re-weighting density (Yang et al. 2021)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dirkit.methods._compose import register_method
from dirkit.methods._plan import TrainingPlan

__all__ = ["LDSConfig"]


@dataclass(frozen=True)
class LDSConfig:
    """Smooth the per-bin counts with a kernel before inverting them.

    Defaults from Yang et al. 2021 (gaussian, ks=5, sigma=2). LDS changes the density that
    re-weighting inverts, so ``lds`` alone uses square-root inverse weights (the paper's
    SQINV+LDS); combine with ``inv`` for inverse weights.

    Attributes
    ----------
    kernel : {"gaussian", "triangular", "laplace"}
    ks : int
        Odd window size.
    sigma : float
    """

    kernel: Literal["gaussian", "triangular", "laplace"] = "gaussian"
    ks: int = 5
    sigma: float = 2.0


@register_method("lds", LDSConfig, summary="label distribution smoothing of the weights (Yang et al. 2021)")
def _apply(plan: TrainingPlan, config: LDSConfig) -> None:
    if plan.weights.get("reweight", "none") == "none":
        plan.weights["reweight"] = "sqrt_inv"
    plan.weights.update(lds=True, kernel=config.kernel, ks=config.ks, sigma=config.sigma)
