"""Public contract checks for dirkit components (and your own), usable from pytest."""

from dirkit.testing._losses import LOSS_CHECKS, check_loss
from dirkit.testing._nn import check_backbone, check_head
from dirkit.testing._resampling import RESAMPLER_CHECKS, check_resampler

__all__: list[str] = [
    "LOSS_CHECKS",
    "RESAMPLER_CHECKS",
    "check_backbone",
    "check_head",
    "check_loss",
    "check_resampler",
]
