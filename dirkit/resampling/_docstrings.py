"""Parameter and attribute text shared by every resampler docstring, written once.

A class docstring holds ``%(base_parameters)s`` and ``%(base_attributes)s`` where the shared text
goes; :func:`fill_doc` substitutes them (as imbalanced-learn's ``Substitution`` does).
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["fill_doc"]

T = TypeVar("T", bound=type)

_SHARED = {
    "base_parameters": """\
sampling_strategy : {"balance", "extreme"}, float or sequence of float, default="balance"
        Target size of each region, see :func:`dirkit.resampling._strategy.target_counts`:
        ``"balance"`` equalises region sizes, ``"extreme"`` inverts them (UBL's ``C.perc``), a
        float multiplies every rare region (common regions for under-samplers), a sequence gives
        one ratio per region in increasing target order (``regions_`` after a first call).
    relevance : {"boxplot", "adjusted_boxplot", "density"} or callable, default="boxplot"
        Relevance function phi(y): Tukey box plot + cubic Hermite as UBL and smogn
        (:func:`~dirkit.resampling.boxplot_relevance`), the skew-adjusted box plot of Hubert and
        Vandervieren, the smoothed label density (:func:`~dirkit.resampling.density_relevance`),
        or a callable mapping the 1-D targets to relevances in [0, 1] (``tails`` is then ignored).
    tails : {"both", "high", "low"}, default="both"
        Which extremes of the target are rare.
    threshold : float in (0, 1], default=0.5
        Samples with relevance at or above it are rare.
    relevance_target : "norm" or int, default="norm"
        For multi-output ``y`` of shape (n, q): the relevance is computed on the Euclidean norm of
        the z-scored target columns (a sample is rare when extreme in any output), or on the
        column with this index. Ignored for 1-D ``y``.
    categorical_features : "auto", sequence of int or str, or bool mask, default="auto"
        Nominal columns. ``"auto"``: every non-numeric column (object, string, category, bool,
        datetime). Nominal values are never interpolated: a synthetic sample takes one parent's
        value (interpolation) or keeps the seed's value (noise).
    random_state : int, numpy Generator, RandomState or None, default=None
        Seed of the local random generator; an int gives identical output on every call.""",
    "base_attributes": """\
relevance_ : ndarray of shape (n_samples,)
        Relevance of each input sample.
    regions_ : list of Region
        The rare and common regions, in increasing target order.
    sampling_strategy_ : ndarray of int of shape (n_regions,)
        How many samples each region holds after resampling.
    sample_indices_ : ndarray of int of shape (n_resampled,)
        For each output row, the input row it copies, or for a synthetic row its seed.
    synthetic_mask_ : ndarray of bool of shape (n_resampled,)
        Which output rows are synthetic. Kept input rows come first, in input order; duplicated
        and synthetic rows follow.
    n_features_in_ : int
        Number of input features.""",
}


def fill_doc(cls: T) -> T:
    """Substitute the shared parameter and attribute text into ``cls.__doc__``."""
    if cls.__doc__:
        cls.__doc__ = cls.__doc__ % _SHARED
    return cls
