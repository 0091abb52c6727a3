"""Label density and sample weights: kernel windows, LDS, inverse / square-root re-weighting."""

from dirkit.density._effective import effective_density
from dirkit.density._group_weights import normalize_within_groups
from dirkit.density._kernels import KERNELS, kernel_window
from dirkit.density._lds import LDSWeights, lds_weights, smooth_bins

__all__ = [
    "KERNELS",
    "LDSWeights",
    "effective_density",
    "kernel_window",
    "lds_weights",
    "normalize_within_groups",
    "smooth_bins",
]
