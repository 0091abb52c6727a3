"""SMOGN: SMOTER interpolation near the seed, Gaussian noise far from it (Branco et al. 2017)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np

from dirkit._registry import RESAMPLERS
from dirkit._validation import Interval, OneOf
from dirkit.resampling._base import BaseResampler, Resampled
from dirkit.resampling._docstrings import fill_doc
from dirkit.resampling._generation import (
    Synthetic,
    balanced_seeds,
    distance_space,
    gaussian_noise,
    interpolate,
    nearest_neighbors,
    region_median_distance,
)
from dirkit.resampling._regions import Region
from dirkit.resampling._smoter import feature_scale, too_small
from dirkit.resampling._table import Table

__all__ = ["SMOGN"]


@RESAMPLERS.register("smogn")
@fill_doc
class SMOGN(BaseResampler):
    """SMOTER and Gaussian noise: interpolate with safe neighbours, perturb otherwise.

    For each synthetic sample a seed of a rare region and one of its ``k_neighbors`` nearest
    neighbours in that region are drawn. If the neighbour is *safe*, closer to the seed than half
    of the seed's median distance (see ``safe_distance``), the sample is interpolated as in
    :class:`SMOTER`; otherwise it is the seed plus Gaussian noise of standard deviation
    ``min(perturbation, that half median) * std`` per numeric feature and target (std over the
    region), nominal features kept. Common regions are randomly under-sampled as
    ``sampling_strategy`` asks (``"balance"`` does).

    Parameters
    ----------
    k_neighbors : int, default=5
        Neighbours per seed (fewer in regions with at most ``k_neighbors`` samples).
    perturbation : float, default=0.02
        Relative standard deviation of the Gaussian noise.
    safe_distance : {"region", "knn"}, default="region"
        The median that defines safety. ``"region"``: the median distance from the seed to the
        samples of its region, itself included, as UBL's SMOGNRegress, smogn and imbreg compute it
        from the full distance matrix; dirkit computes it in row blocks, exactly for regions of up
        to 2048 samples and against a random reference subset of 2048 samples beyond (see
        :func:`~dirkit.resampling._generation.region_median_distance`), so time is O(m * 2048) and
        memory bounded. ``"knn"``: the median distance to the seed's ``k_neighbors`` neighbours,
        O(m k). With ``"knn"`` a neighbour is safe only when closer than half the median
        neighbour distance (for ``k = 5``, half the third-nearest), which rarely happens beyond a
        few dimensions, so almost every sample becomes noise; ``"region"`` interpolates most.
    %(base_parameters)s

    Attributes
    ----------
    %(base_attributes)s
    interpolated_mask_ : ndarray of bool of shape (n_resampled,)
        Synthetic rows made by interpolation (the other synthetic rows are noise).

    Notes
    -----
    Distances as in :class:`SMOTER`. UBL draws nominal values of noisy samples from the region's
    value frequencies; dirkit keeps the seed's value. Regions with a single sample are left
    unchanged with a warning.

    References
    ----------
    Branco, Torgo and Ribeiro (2017), "SMOGN: a pre-processing approach for imbalanced
    regression", LIDTA, PMLR 74.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(300, 3)), rng.lognormal(size=300)
    >>> X_res, y_res = SMOGN(random_state=0).fit_resample(X, y)
    >>> X_res.shape[1], len(X_res) == len(y_res)
    (3, True)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **BaseResampler._parameter_constraints,
        "k_neighbors": [Interval(int, 1, None)],
        "perturbation": [Interval(float, 0, None, closed="neither")],
        "safe_distance": [OneOf(("region", "knn"))],
    }
    _mode: ClassVar[Literal["over", "under", "both"]] = "both"

    def __init__(
        self,
        *,
        k_neighbors: int = 5,
        perturbation: float = 0.02,
        safe_distance: Literal["region", "knn"] = "region",
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
        self.perturbation = perturbation
        self.safe_distance = safe_distance

    def _generate(
        self, table: Table, y: np.ndarray, region: Region, n_new: int, center: np.ndarray,
        scale: np.ndarray, rng: np.random.Generator,
    ) -> tuple[Synthetic, int]:
        rows = region.indices
        k = min(self.k_neighbors, rows.size - 1)
        points, used = distance_space(table, rows, center, scale)
        distances, neighbours = nearest_neighbors(points, k)
        if self.safe_distance == "knn":
            half_median = np.median(distances, axis=1) / 2.0
        else:
            half_median = region_median_distance(points, rng) / 2.0
        seeds = balanced_seeds(rows.size, n_new, rng)
        column = rng.integers(0, k, size=n_new)
        safe = distances[seeds, column] < half_median[seeds]
        near = interpolate(
            table, y, rows[seeds[safe]], rows[neighbours[seeds[safe], column[safe]]], used, scale,
            rng,
        )
        far = seeds[~safe]
        pert = np.minimum(half_median[far], self.perturbation)
        noisy = gaussian_noise(table, y, rows, rows[far], pert, rng)
        return Synthetic.concat([near, noisy], table, y), int(safe.sum())

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
        flags: list[np.ndarray] = [np.zeros(kept.size, dtype=bool)]
        for region, n_new in grow:
            if too_small(region, type(self).__name__):
                continue
            part, n_near = self._generate(table, y, region, n_new, center, scale, rng)
            parts.append(part)
            flags.append(np.arange(part.seeds.size) < n_near)
        self.interpolated_mask_ = np.concatenate(flags)
        return Resampled(kept=kept, synthetic=Synthetic.concat(parts, table, y))
