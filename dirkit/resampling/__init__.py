"""Resampling for imbalanced regression: relevance, rare regions, over- and under-sampling.

Every resampler has ``fit_resample(X, y)`` (NumPy or pandas in, the same types out) and drops into
``imblearn.pipeline.Pipeline``; each is registered in :data:`dirkit._registry.RESAMPLERS`.
"""

from dirkit.resampling._base import BaseResampler
from dirkit.resampling._gaussian_noise import GaussianNoiseSampler
from dirkit.resampling._hermite import relevance_from_control_points
from dirkit.resampling._random_over import RandomOverSampler
from dirkit.resampling._random_under import RandomUnderSampler
from dirkit.resampling._regions import Region, split_regions
from dirkit.resampling._relevance import (
    boxplot_control_points,
    boxplot_relevance,
    density_relevance,
)
from dirkit.resampling._smogn import SMOGN
from dirkit.resampling._smoter import SMOTER

__all__ = [
    "SMOGN",
    "SMOTER",
    "BaseResampler",
    "GaussianNoiseSampler",
    "RandomOverSampler",
    "RandomUnderSampler",
    "Region",
    "boxplot_control_points",
    "boxplot_relevance",
    "density_relevance",
    "relevance_from_control_points",
    "split_regions",
]
