"""The container every data set loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dirkit._validation import check_labels, check_same_length
from dirkit.exceptions import ShapeError
from dirkit.labels import UniformBinner

__all__ = ["DatasetSplits"]


def _check_token_ids(x: np.ndarray, n_tokens: int, name: str) -> None:
    """Token inputs must be whole numbers that index ``token_vectors``."""
    values = np.asarray(x)
    if not values.size:
        return
    if values.min() < 0 or values.max() >= n_tokens or not np.array_equal(values, np.round(values)):
        raise ShapeError(
            f"{name} must hold whole-number token ids in [0, {n_tokens - 1}] (rows of token_vectors); "
            f"got values in [{values.min()}, {values.max()}]."
        )


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
    info : dict
        Loader settings and facts, saved with every run (plain JSON values).
    token_vectors : ndarray of shape (n_tokens, dim), optional
        Pretrained vectors of token inputs: when set, every ``x`` holds token ids into its rows
        (row 0 pads), e.g. shape (n, 2, length) for sentence pairs, and the engine's ``"auto"``
        backbone is the :class:`~dirkit.nn.BiLSTMPairEncoder` that embeds them.
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
    token_vectors: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for split in ("train", "val", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            check_labels(y, name=f"y_{split}")
            check_same_length(**{f"x_{split}": x, f"y_{split}": y})
            if self.token_vectors is not None:
                _check_token_ids(x, len(self.token_vectors), f"x_{split}")

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
