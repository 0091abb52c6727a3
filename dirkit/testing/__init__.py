"""Public contract checks for dirkit components (and your own), usable from pytest."""

from dirkit.testing._losses import LOSS_CHECKS, check_loss

__all__: list[str] = [
    "LOSS_CHECKS",
    "check_loss",
]
