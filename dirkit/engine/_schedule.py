"""Learning-rate schedules of :class:`~dirkit.engine.TrainConfig`: constant, step decay, cosine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LRScheduler, MultiStepLR

from dirkit.exceptions import ConfigError

if TYPE_CHECKING:
    from dirkit.engine._config import TrainConfig

__all__ = ["LR_SCHEDULES", "build_scheduler", "check_schedule"]

#: The values of ``TrainConfig.lr_schedule``.
LR_SCHEDULES = ("constant", "step", "cosine")


def check_schedule(config: TrainConfig) -> None:
    """Raise :class:`ConfigError` naming the bad schedule setting and the fix.

    Examples
    --------
    >>> from dirkit.engine import TrainConfig
    >>> check_schedule(TrainConfig(epochs=90, lr_schedule="step"))  # milestones 60, 80: fine
    >>> check_schedule(TrainConfig(epochs=30, lr_schedule="step"))
    Traceback (most recent call last):
    ...
    dirkit.exceptions.ConfigError: TrainConfig.lr_milestones (60, 80) must lie in 1..29 ...
    """
    if config.lr_schedule not in LR_SCHEDULES:
        raise ConfigError(
            f"TrainConfig.lr_schedule must be one of {', '.join(LR_SCHEDULES)}; got {config.lr_schedule!r}."
        )
    if config.lr_schedule != "step":
        return
    milestones = tuple(config.lr_milestones)
    if not milestones or not all(isinstance(m, int) and not isinstance(m, bool) for m in milestones):
        raise ConfigError(f"TrainConfig.lr_milestones must be epochs (ints); got {config.lr_milestones!r}.")
    if not all(0 < m < config.epochs for m in milestones) or list(milestones) != sorted(set(milestones)):
        raise ConfigError(
            f"TrainConfig.lr_milestones {milestones} must lie in 1..{config.epochs - 1} (the epochs of "
            f"the main stage, {config.epochs}), increasing, or the decay never happens; e.g. "
            f"lr_milestones=({round(config.epochs * 2 / 3)}, {round(config.epochs * 8 / 9)}) as the "
            "papers' (60, 80) of 90 epochs."
        )
    if not config.lr_gamma > 0:
        raise ConfigError(f"TrainConfig.lr_gamma must be > 0 (0.1 decays x0.1); got {config.lr_gamma!r}.")


def build_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig, epochs: int) -> LRScheduler | None:
    """The per-epoch scheduler of a stage of ``epochs`` epochs (None for ``"constant"``).

    Step milestones are epochs of the main stage; a stage of another length (RnC's
    pre-training, RRT's re-training, HCA-d's distillation) decays at the same fractions of its
    own epochs. Cosine anneals from ``lr`` to 0 over each stage's epochs.
    """
    check_schedule(config)
    if config.lr_schedule == "step":
        scale = epochs / config.epochs
        milestones = sorted({max(1, round(m * scale)) for m in config.lr_milestones})
        return MultiStepLR(optimizer, milestones=milestones, gamma=config.lr_gamma)
    if config.lr_schedule == "cosine":
        return CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    return None
