"""Random over-sampling: duplicate samples of rare regions (UBL's RandOverRegress)."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np

from dirkit._registry import RESAMPLERS
from dirkit.resampling._base import BaseResampler, Resampled
from dirkit.resampling._docstrings import fill_doc
from dirkit.resampling._generation import Synthetic, balanced_seeds
from dirkit.resampling._regions import Region
from dirkit.resampling._table import Table

__all__ = ["RandomOverSampler"]


@RESAMPLERS.register("random_over")
@fill_doc
class RandomOverSampler(BaseResampler):
    """Grow rare regions by duplicating their samples; common regions are left as they are.

    With ``sampling_strategy="balance"`` each rare region grows to the total size of the common
    regions divided by the number of rare regions (UBL's RandOverRegress). Duplicates are spread
    evenly: every sample of a region is copied ``n_new // m`` times and a random subset once more,
    which gives the same expected counts as drawing with replacement but less variance.
    Features may hold NaN: no distance or noise is computed.

    Parameters
    ----------
    %(base_parameters)s

    Attributes
    ----------
    %(base_attributes)s

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(300, 3)), rng.lognormal(size=300)
    >>> sampler = RandomOverSampler(random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> len(X_res) > len(X), bool(np.isin(y_res, y).all())
    (True, True)
    """

    _mode: ClassVar[Literal["over", "under", "both"]] = "over"
    _needs_finite_features: ClassVar[bool] = False

    def _fit_resample(
        self,
        table: Table,
        y: np.ndarray,
        regions: list[Region],
        counts: np.ndarray,
        rng: np.random.Generator,
    ) -> Resampled:
        kept, grow = self._select(regions, counts, rng)
        copies = [r.indices[balanced_seeds(r.n_samples, n_new, rng)] for r, n_new in grow]
        return Resampled(
            kept=np.concatenate([kept, *copies]), synthetic=Synthetic.concat([], table, y)
        )
