"""SMOTER: SMOTE for regression (Torgo et al. 2013) with random under-sampling of common regions."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Literal

import numpy as np

from dirkit._registry import RESAMPLERS
from dirkit._validation import Interval
from dirkit.exceptions import DirkitWarning
from dirkit.resampling._base import BaseResampler, Resampled
from dirkit.resampling._docstrings import fill_doc
from dirkit.resampling._generation import (
    Synthetic,
    balanced_seeds,
    distance_space,
    interpolate,
    nearest_neighbors,
)
from dirkit.resampling._regions import Region
from dirkit.resampling._table import Table

__all__ = ["SMOTER"]


def feature_scale(table: Table) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each numeric column over all samples (0 -> 1)."""
    std = table.numeric.std(axis=0)
    return table.numeric.mean(axis=0), np.where(std > 0, std, 1.0)


def too_small(region: Region, name: str) -> bool:
    """Warn and return True when a region has fewer than 2 samples to build neighbours from."""
    if region.n_samples >= 2:
        return False
    warnings.warn(
        f"{name}: the rare region [{region.low:.6g}, {region.high:.6g}] holds {region.n_samples} "
        "sample; at least 2 are needed to over-sample it, so it is left as is. Lower `threshold` "
        "or merge tails with tails='high'/'low'.",
        DirkitWarning,
        stacklevel=4,
    )
    return True


@RESAMPLERS.register("smoter")
@fill_doc
class SMOTER(BaseResampler):
    """SMOTE for regression: interpolate rare samples with their rare neighbours.

    Each rare region is over-sampled with synthetic samples on the segment between a seed of the
    region and one of its ``k_neighbors`` nearest neighbours in the same region; the target is the
    distance-weighted average of the two parents' targets. Common regions are randomly
    under-sampled when ``sampling_strategy`` asks for fewer samples (``"balance"`` does).
    Seeds are used evenly: each rare sample seeds ``n_new // m`` samples and a random subset one
    more (as UBL's ``SmoteRegress``).

    Parameters
    ----------
    k_neighbors : int, default=5
        Neighbours per seed (fewer in regions with at most ``k_neighbors`` samples).
    %(base_parameters)s

    Attributes
    ----------
    %(base_attributes)s

    Notes
    -----
    Neighbours: Euclidean distance on z-scored numeric features plus a one-hot HEOM-like term for
    nominal features (see :mod:`dirkit.resampling._generation`); UBL uses HEOM. The target weights
    use the same distance. Regions with a single sample are left unchanged with a warning.

    References
    ----------
    Torgo, Ribeiro, Pfahringer and Branco (2013), "SMOTE for regression", EPIA.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(300, 3)), rng.lognormal(size=300)
    >>> X_res, y_res = SMOTER(random_state=0).fit_resample(X, y)
    >>> X_res.shape[1], len(X_res) == len(y_res), bool(y_res.max() <= y.max())
    (3, True, True)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **BaseResampler._parameter_constraints,
        "k_neighbors": [Interval(int, 1, None)],
    }
    _mode: ClassVar[Literal["over", "under", "both"]] = "both"

    def __init__(
        self,
        *,
        k_neighbors: int = 5,
        sampling_strategy: Any = "balance",
        relevance: Any = "boxplot",
        tails: Literal["both", "high", "low"] = "both",
        threshold: float = 0.5,
        relevance_target: Literal["norm"] | int = "norm",
        categorical_features: Any = "auto",
        random_state: Any = None,
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy,
            relevance=relevance,
            tails=tails,
            threshold=threshold,
            relevance_target=relevance_target,
            categorical_features=categorical_features,
            random_state=random_state,
        )
        self.k_neighbors = k_neighbors

    def _fit_resample(
        self,
        table: Table,
        y: np.ndarray,
        regions: list[Region],
        counts: np.ndarray,
        rng: np.random.Generator,
    ) -> Resampled:
        kept, grow = self._select(regions, counts, rng)
        center, scale = feature_scale(table)
        parts: list[Synthetic] = []
        for region, n_new in grow:
            if too_small(region, type(self).__name__):
                continue
            rows = region.indices
            k = min(self.k_neighbors, rows.size - 1)
            points, used = distance_space(table, rows, center, scale)
            _, neighbours = nearest_neighbors(points, k)
            seeds = balanced_seeds(rows.size, n_new, rng)
            picks = neighbours[seeds, rng.integers(0, k, size=n_new)]
            parts.append(interpolate(table, y, rows[seeds], rows[picks], used, scale, rng))
        return Resampled(kept=kept, synthetic=Synthetic.concat(parts, table, y))
