"""Label space: bins, groups, hierarchies and shot regions for continuous labels."""

from dirkit.labels._binning import UniformBinner
from dirkit.labels._grouping import LabelGrouper, class_keep_probability, equalize_histogram
from dirkit.labels._hierarchy import HierarchicalSplit, split_contiguous, transition_matrix
from dirkit.labels._shots import SHOTS, bin_shots, sample_shots, zero_shot_regions
from dirkit.labels._soft_labels import descending_soft_labels

__all__ = [
    "SHOTS",
    "HierarchicalSplit",
    "LabelGrouper",
    "UniformBinner",
    "bin_shots",
    "class_keep_probability",
    "descending_soft_labels",
    "equalize_histogram",
    "sample_shots",
    "split_contiguous",
    "transition_matrix",
    "zero_shot_regions",
]
