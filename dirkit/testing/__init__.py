"""Public contract checks for dirkit components (and your own), usable from pytest."""

from dirkit.testing._losses import LOSS_CHECKS, check_loss
from dirkit.testing._nn import check_backbone, check_head

__all__: list[str] = [
    "LOSS_CHECKS",
    "check_backbone",
    "check_head",
    "check_loss",
]
