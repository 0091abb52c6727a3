"""``smogn``: SMOTER plus Gaussian noise on the training split (Branco et al. 2017)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dirkit.methods._compose import register_method
from dirkit.methods._plan import TrainingPlan
from dirkit.methods._smoter import set_resampler
from dirkit.resampling import SMOGN

__all__ = ["SMOGNConfig"]


@dataclass(frozen=True)
class SMOGNConfig:
    """Interpolate rare samples with safe neighbours, add Gaussian noise otherwise.

    Defaults of Branco et al. 2017 as in UBL's ``SMOGNRegress`` and the ``smogn`` package
    (the DIR benchmark's SMOGN baseline, Yang et al. 2021): ``k=5`` neighbours, perturbation
    0.02, box-plot relevance with threshold 0.5, ``"balance"`` region sizes. Data-level:
    vector inputs of shape (n, d) only; see :class:`~dirkit.resampling.SMOGN` for the safe
    distance.

    Attributes
    ----------
    k_neighbors : int
        Neighbours per seed (paper: 5).
    perturbation : float
        Relative standard deviation of the Gaussian noise (paper: 0.02).
    safe_distance : {"region", "knn"}
        Median distance that defines a safe neighbour (default 'region', as UBL and smogn).
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
    perturbation: float = 0.02
    safe_distance: Literal["region", "knn"] = "region"
    sampling_strategy: Literal["balance", "extreme"] | float = "balance"
    relevance: Literal["boxplot", "adjusted_boxplot", "density"] = "boxplot"
    threshold: float = 0.5
    tails: Literal["both", "high", "low"] = "both"


@register_method("smogn", SMOGNConfig,
                 summary="SMOGN: SMOTER with Gaussian noise on the training set (Branco et al. 2017)")
def _apply(plan: TrainingPlan, config: SMOGNConfig) -> None:
    set_resampler(plan, SMOGN(
        k_neighbors=config.k_neighbors, perturbation=config.perturbation,
        safe_distance=config.safe_distance, sampling_strategy=config.sampling_strategy,
        relevance=config.relevance, threshold=config.threshold, tails=config.tails,
    ), "smogn")
