"""Random under-sampling: drop samples of common regions (UBL's RandUnderRegress)."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np

from dirkit._registry import RESAMPLERS
from dirkit.resampling._base import BaseResampler, Resampled
from dirkit.resampling._docstrings import fill_doc
from dirkit.resampling._generation import Synthetic
from dirkit.resampling._regions import Region
from dirkit.resampling._table import Table

__all__ = ["RandomUnderSampler"]


@RESAMPLERS.register("random_under")
@fill_doc
class RandomUnderSampler(BaseResampler):
    """Shrink common regions by drawing their samples without replacement; rare ones are kept.

    With ``sampling_strategy="balance"`` each common region shrinks to the total size of the rare
    regions divided by the number of common regions (UBL's RandUnderRegress); a float is the
    fraction of every common region to keep. Features may hold NaN: no distance is computed.

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
    >>> X_res, y_res = RandomUnderSampler(random_state=0).fit_resample(X, y)
    >>> len(X_res) < len(X), bool(np.isin(y_res, y).all())
    (True, True)
    """

    _mode: ClassVar[Literal["over", "under", "both"]] = "under"
    _needs_finite_features: ClassVar[bool] = False

    def _fit_resample(
        self,
        table: Table,
        y: np.ndarray,
        regions: list[Region],
        counts: np.ndarray,
        rng: np.random.Generator,
    ) -> Resampled:
        kept, _ = self._select(regions, counts, rng)
        return Resampled(kept=kept, synthetic=Synthetic.concat([], table, y))
