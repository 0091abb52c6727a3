"""The container every data set loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dirkit._validation import check_labels, check_same_length
from dirkit.labels import UniformBinner

__all__ = ["DatasetSplits"]


@dataclass(frozen=True)
class DatasetSplits:
    """Train / validation / test splits of a regression data set, with its label binning.

    The training split keeps its natural (imbalanced) label distribution; validation and test are
    balanced over the label range in the DIR benchmarks. Checkpoints are selected on ``val``.

    Parameters
    ----------
    name : str
        Registered name of the data set.
    x_train, x_val, x_test : ndarray of shape (n, n_features)
        Inputs.
    y_train, y_val, y_test : ndarray of shape (n,)
        Float labels.
    bin_width : float
        Width of the fine bins used for shots, LDS and FDS.
    label_range : tuple of (float, float)
        Range the bins cover.
    description : str
        One line for tables and plots.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    bin_width: float
    label_range: tuple[float, float]
    description: str = ""
    info: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for split in ("train", "val", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            check_labels(y, name=f"y_{split}")
            check_same_length(**{f"x_{split}": x, f"y_{split}": y})

    def binner(self) -> UniformBinner:
        """A :class:`~dirkit.labels.UniformBinner` fitted on the training labels."""
        return UniformBinner(width=self.bin_width, range=self.label_range).fit(self.y_train)

    @property
    def n_features(self) -> int:
        """Number of input features."""
        return int(np.prod(self.x_train.shape[1:]))

    def sizes(self) -> dict[str, int]:
        """Number of samples in each split."""
        return {s: len(getattr(self, f"y_{s}")) for s in ("train", "val", "test")}
