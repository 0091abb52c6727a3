"""``smoter``: SMOTE for regression on the training split (Torgo et al. 2013)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dirkit.exceptions import ConfigError
from dirkit.methods._compose import register_method
from dirkit.methods._plan import TrainingPlan
from dirkit.resampling import SMOTER

__all__ = ["SMOTERConfig", "set_resampler"]


@dataclass(frozen=True)
class SMOTERConfig:
    """Over-sample rare label regions by interpolation, under-sample common ones.

    Defaults of Torgo et al. 2013 as in UBL's ``SmoteRegress`` and the ``smogn`` package, the
    implementations behind the DIR benchmark's SMOTER baseline (Yang et al. 2021): ``k=5``
    neighbours, box-plot relevance with threshold 0.5, ``"balance"`` (every region ends with
    the same number of samples, so the training set keeps about its size). Data-level: vector
    inputs of shape (n, d) only; the resampled set is what every stage trains on, and the
    sample weights, bins and label scale are computed from it. The engine seeds the sampler.

    Attributes
    ----------
    k_neighbors : int
        Neighbours per seed (paper: 5).
    sampling_strategy : {"balance", "extreme"} or float
        Region sizes after resampling (default 'balance'); a float multiplies the rare regions.
    relevance : {"boxplot", "adjusted_boxplot", "density"}
        Relevance function of the labels (default 'boxplot').
    threshold : float
        Relevance at or above which a sample is rare (paper: 0.5).
    tails : {"both", "high", "low"}
        Which extremes are rare (default 'both').
    """

    k_neighbors: int = 5
    sampling_strategy: Literal["balance", "extreme"] | float = "balance"
    relevance: Literal["boxplot", "adjusted_boxplot", "density"] = "boxplot"
    threshold: float = 0.5
    tails: Literal["both", "high", "low"] = "both"


def set_resampler(plan: TrainingPlan, resampler: object, method: str) -> None:
    """Install ``resampler`` on ``plan``, refusing a second data-level method."""
    if plan.resampler is not None:
        raise ConfigError(
            f"{method!r} resamples the training set, but another composed method already does "
            f"({type(plan.resampler).__name__}); compose only one of smoter and smogn."
        )
    plan.resampler = resampler


@register_method("smoter", SMOTERConfig,
                 summary="SMOTER over/under-sampling of the training set (Torgo et al. 2013)")
def _apply(plan: TrainingPlan, config: SMOTERConfig) -> None:
    set_resampler(plan, SMOTER(
        k_neighbors=config.k_neighbors, sampling_strategy=config.sampling_strategy,
        relevance=config.relevance, threshold=config.threshold, tails=config.tails,
    ), "smoter")
