"""Data sets: loaders that return :class:`DatasetSplits`, registered in ``DATASETS`` by name."""

from dirkit._registry import DATASETS
from dirkit.datasets._base import DatasetSplits
from dirkit.datasets._batches import Batch, GlobalBatchSampler, SampleTable
from dirkit.datasets._synthetic import TRAINING_PROFILE, make_synthetic, synthetic_target

__all__ = [
    "DATASETS",
    "TRAINING_PROFILE",
    "Batch",
    "DatasetSplits",
    "GlobalBatchSampler",
    "SampleTable",
    "make_synthetic",
    "synthetic_target",
]
