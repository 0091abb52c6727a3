"""Gaussian noise over-sampling of rare regions with under-sampling of common ones (UBL)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np

from dirkit._registry import RESAMPLERS
from dirkit._validation import Interval
from dirkit.resampling._base import BaseResampler, Resampled
from dirkit.resampling._docstrings import fill_doc
from dirkit.resampling._generation import Synthetic, balanced_seeds, gaussian_noise
from dirkit.resampling._regions import Region
from dirkit.resampling._smoter import too_small
from dirkit.resampling._table import Table

__all__ = ["GaussianNoiseSampler"]


@RESAMPLERS.register("gaussian_noise")
@fill_doc
class GaussianNoiseSampler(BaseResampler):
    """Over-sample rare regions with noisy copies of their samples (UBL's GaussNoiseRegress).

    A synthetic sample is a seed of a rare region plus Gaussian noise of standard deviation
    ``perturbation * std`` on each numeric feature and target column, ``std`` being the column's
    standard deviation over the region; nominal features keep the seed's value. Seeds are used
    evenly; common regions are randomly under-sampled as ``sampling_strategy`` asks.

    Parameters
    ----------
    perturbation : float, default=0.1
        Relative standard deviation of the noise (UBL's ``pert``).
    %(base_parameters)s

    Attributes
    ----------
    %(base_attributes)s

    Notes
    -----
    UBL draws nominal values of noisy samples from the region's value frequencies; dirkit keeps the
    seed's value. Regions with a single sample are left unchanged with a warning.

    References
    ----------
    Branco, Ribeiro and Torgo (2016), "UBL: an R package for utility-based learning", arXiv
    1604.08079.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(300, 3)), rng.lognormal(size=300)
    >>> sampler = GaussianNoiseSampler(perturbation=0.05, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> int(sampler.synthetic_mask_.sum()) > 0, len(X_res) == len(y_res)
    (True, True)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **BaseResampler._parameter_constraints,
        "perturbation": [Interval(float, 0, None, closed="neither")],
    }
    _mode: ClassVar[Literal["over", "under", "both"]] = "both"

    def __init__(
        self,
        *,
        perturbation: float = 0.1,
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
        self.perturbation = perturbation

    def _fit_resample(
        self,
        table: Table,
        y: np.ndarray,
        regions: list[Region],
        counts: np.ndarray,
        rng: np.random.Generator,
    ) -> Resampled:
        kept, grow = self._select(regions, counts, rng)
        parts: list[Synthetic] = []
        for region, n_new in grow:
            if too_small(region, type(self).__name__):
                continue
            seeds = region.indices[balanced_seeds(region.n_samples, n_new, rng)]
            pert = np.full(n_new, float(self.perturbation))
            parts.append(gaussian_noise(table, y, region.indices, seeds, pert, rng))
        return Resampled(kept=kept, synthetic=Synthetic.concat(parts, table, y))
