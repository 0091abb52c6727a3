"""Sampling strategies: how many samples each region should hold after resampling (UBL's C.perc)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from dirkit.exceptions import ConfigError

__all__ = ["SamplingStrategy", "target_counts"]

SamplingStrategy = Literal["balance", "extreme"] | float | Sequence[float] | np.ndarray
Mode = Literal["over", "under", "both"]


def _balance(sizes: np.ndarray, rare: np.ndarray, mode: Mode) -> np.ndarray:
    if mode == "both":  # every region gets round(n / n_regions) samples (UBL SmoteRegress)
        return np.full(sizes.size, float(np.round(sizes.sum() / sizes.size)))
    if mode == "over":  # each rare region grows to total common / number of rare regions
        level = sizes[~rare].sum() / rare.sum()
        return np.where(rare, np.maximum(sizes, level), sizes).astype(np.float64)
    level = sizes[rare].sum() / (~rare).sum()  # common regions shrink to total rare / n_common
    return np.where(rare, sizes, np.minimum(sizes, level)).astype(np.float64)


def _extreme(sizes: np.ndarray, rare: np.ndarray, mode: Mode) -> np.ndarray:
    if mode == "both":  # sizes inverted, B^2 / size, rescaled so that the total stays n (UBL)
        level = sizes.sum() / sizes.size
        raw = level**2 / sizes
        return raw * (sizes.sum() / raw.sum())
    if mode == "over":
        level = sizes[~rare].sum() / rare.sum()
        return np.where(rare, np.maximum(sizes, level**2 / sizes), sizes).astype(np.float64)
    level = sizes[rare].sum() / (~rare).sum()
    return np.where(rare, sizes, np.minimum(sizes, level**2 / sizes)).astype(np.float64)


def target_counts(
    sizes: np.ndarray, rare: np.ndarray, strategy: SamplingStrategy, *, mode: Mode
) -> np.ndarray:
    """Return the number of samples each region should hold after resampling.

    Parameters
    ----------
    sizes : ndarray of int of shape (r,)
        Current region sizes, in increasing target order.
    rare : ndarray of bool of shape (r,)
        Which regions are rare; at least one rare and one common region.
    strategy : {"balance", "extreme"}, float or sequence of float
        ``"balance"``: with ``mode="both"`` every region gets ``round(n / r)`` samples (UBL's
        SmoteRegress / GaussNoiseRegress); with ``"over"`` each rare region grows to
        ``total common / number of rare regions`` (UBL RandOverRegress); with ``"under"`` each
        common region shrinks to ``total rare / number of common regions`` (RandUnderRegress).
        ``"extreme"``: the same level ``B`` but sizes inverted, ``B**2 / size``; with ``"both"``
        rescaled so the total stays ``n`` (UBL; dirkit rounds counts, not UBL's ratios to 0.1).
        A float: the ratio applied to every rare region (``"over"``, ``"both"``) or every common
        region (``"under"``). A sequence: one ratio per region, in increasing target order.
    mode : {"over", "under", "both"}
        What the sampler may do: only grow regions, only shrink them, or both.

    Returns
    -------
    ndarray of int of shape (r,)
        Target sizes, at least 1 each.

    Examples
    --------
    >>> sizes, rare = np.array([80, 20]), np.array([False, True])
    >>> target_counts(sizes, rare, "balance", mode="both").tolist()
    [50, 50]
    >>> target_counts(sizes, rare, 3.0, mode="over").tolist()
    [80, 60]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    rare = np.asarray(rare, dtype=bool)
    if isinstance(strategy, str):
        if strategy not in ("balance", "extreme"):
            raise ConfigError(
                f"sampling_strategy must be 'balance', 'extreme', a float or one ratio per "
                f"region; got {strategy!r}."
            )
        fn = _balance if strategy == "balance" else _extreme
        counts = fn(sizes.astype(np.float64), rare, mode)
    else:
        ratios = np.asarray(strategy, dtype=np.float64)
        if ratios.ndim == 0:
            acts_on = ~rare if mode == "under" else rare
            ratios = np.where(acts_on, float(ratios), 1.0)
        if ratios.shape != sizes.shape or not np.all(np.isfinite(ratios) & (ratios > 0)):
            raise ConfigError(
                f"sampling_strategy needs one positive ratio per region ({sizes.size} regions, "
                f"sizes {sizes.tolist()} in increasing target order); got {np.asarray(strategy)!r}."
            )
        counts = sizes * ratios
    counts = np.maximum(np.round(counts), 1).astype(np.int64)
    if mode == "over" and np.any(counts < sizes):
        raise ConfigError(
            f"this over-sampler cannot shrink regions: sampling_strategy asks for {counts.tolist()} "
            f"from {sizes.tolist()}. Use ratios >= 1 or an under-sampler."
        )
    if mode == "under" and np.any(counts > sizes):
        raise ConfigError(
            f"this under-sampler cannot grow regions: sampling_strategy asks for {counts.tolist()} "
            f"from {sizes.tolist()}. Use ratios <= 1 or an over-sampler."
        )
    return counts
