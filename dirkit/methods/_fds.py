"""``fds``: feature distribution smoothing before the head (Yang et al. 2021)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dirkit.methods._compose import register_method
from dirkit.methods._plan import TrainingPlan

__all__ = ["FDSConfig"]


@dataclass(frozen=True)
class FDSConfig:
    """Settings of the :class:`~dirkit.nn.FDS` layer (defaults from Yang et al. 2021).

    Attributes
    ----------
    kernel, ks, sigma :
        Smoothing window over bins (sum-normalised).
    momentum : float
        EMA momentum of the running statistics across epochs.
    start_update, start_smooth : int
        Epochs from which statistics are collected and features calibrated.
    covariance : {"diag", "full"}
        The reference code's diagonal calibration (default) or the paper's whitening.
    clip : tuple of (float, float)
        Bounds of the variance ratio in diagonal mode ((0.1, 10) for ages, (0.5, 2) STS-B).
    collect : {"forward", "extra-pass"}
        Collect statistics from the training pass (dirkit) or an extra pass (reference).
    zero_variance : {"identity", "floor"}
        A bin dimension with zero running variance (a single-sample bin): left unchanged, as the
        reference code does (default), or floored at ``eps`` (gain ``sqrt(clip[1])``).
    """

    kernel: Literal["gaussian", "triangular", "laplace"] = "gaussian"
    ks: int = 5
    sigma: float = 2.0
    momentum: float = 0.9
    start_update: int = 0
    start_smooth: int = 1
    covariance: Literal["diag", "full"] = "diag"
    clip: tuple[float, float] = (0.1, 10.0)
    collect: Literal["forward", "extra-pass"] = "forward"
    zero_variance: Literal["identity", "floor"] = "identity"


@register_method("fds", FDSConfig, summary="feature distribution smoothing layer (Yang et al. 2021)")
def _apply(plan: TrainingPlan, config: FDSConfig) -> None:
    plan.fds = {
        "kernel": config.kernel, "ks": config.ks, "sigma": config.sigma,
        "momentum": config.momentum, "start_update": config.start_update,
        "start_smooth": config.start_smooth, "covariance": config.covariance,
        "clip": tuple(config.clip), "collect": config.collect,
        "zero_variance": config.zero_variance,
    }
