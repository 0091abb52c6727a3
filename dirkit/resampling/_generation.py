"""Vectorised building blocks of synthetic samples: seeds, neighbours, interpolation, noise.

Distances are Euclidean in a HEOM-like space: numeric columns z-scored with the statistics of the
whole input, nominal columns one-hot encoded with entries ``1/sqrt(2)`` so that a mismatch adds
exactly 1 to the squared distance (the overlap term of HEOM). Nominal columns with more than
``MAX_ONE_HOT`` distinct values inside a region are left out of the distance (they are still
resampled). Neighbour search uses :class:`sklearn.neighbors.NearestNeighbors` on one region at a
time, so memory is O(n k), never a full distance matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import NearestNeighbors

from dirkit.resampling._table import Table

__all__ = [
    "MAX_ONE_HOT",
    "MAX_REFERENCE",
    "Synthetic",
    "balanced_seeds",
    "distance_space",
    "gaussian_noise",
    "interpolate",
    "nearest_neighbors",
    "region_median_distance",
]

MAX_ONE_HOT = 64
MAX_REFERENCE = 2048
_KD_TREE_MAX_DIM = 7
_HALF_SQRT2 = float(np.sqrt(0.5))
_CHUNK_ELEMENTS = 1 << 18  # 2 MiB of float64 per block of the chunked distance computation


@dataclass(frozen=True, eq=False)
class Synthetic:
    """Synthetic rows: their seeds (input row positions), features and targets."""

    seeds: np.ndarray
    numeric: np.ndarray
    nominal: np.ndarray
    y: np.ndarray

    @staticmethod
    def concat(parts: list[Synthetic], table: Table, y: np.ndarray) -> Synthetic:
        """Stack ``parts``; an empty list gives zero rows of the right widths."""
        if not parts:
            return Synthetic(
                seeds=np.empty(0, dtype=np.int64),
                numeric=np.empty((0, table.numeric.shape[1])),
                nominal=np.empty((0, table.nominal.shape[1]), dtype=np.int64),
                y=np.empty((0, *y.shape[1:])),
            )
        return Synthetic(
            seeds=np.concatenate([p.seeds for p in parts]),
            numeric=np.concatenate([p.numeric for p in parts]),
            nominal=np.concatenate([p.nominal for p in parts]),
            y=np.concatenate([p.y for p in parts]),
        )


def balanced_seeds(n_rows: int, n_new: int, rng: np.random.Generator) -> np.ndarray:
    """Seed positions in ``range(n_rows)``: each row ``n_new // n_rows`` times, plus a random
    subset without replacement for the remainder (UBL's scheme)."""
    repeats, extra = divmod(n_new, n_rows)
    seeds = np.tile(np.arange(n_rows), repeats)
    if extra:
        seeds = np.concatenate([seeds, rng.choice(n_rows, size=extra, replace=False)])
    return seeds


def distance_space(
    table: Table, rows: np.ndarray, center: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Embed ``rows`` for Euclidean neighbour search; also say which nominal columns take part."""
    blocks = [(table.numeric[rows] - center) / scale]
    used = np.zeros(table.nominal.shape[1], dtype=bool)
    for j in range(table.nominal.shape[1]):
        values, inverse = np.unique(table.nominal[rows, j], return_inverse=True)
        if values.size > MAX_ONE_HOT:
            continue
        used[j] = True
        if values.size > 1:
            block = np.zeros((rows.size, values.size))
            block[np.arange(rows.size), inverse.ravel()] = _HALF_SQRT2
            blocks.append(block)
    return np.hstack(blocks), used


def nearest_neighbors(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances and positions of each point's ``k`` nearest other points, nearest first.

    A k-d tree below ``_KD_TREE_MAX_DIM`` dimensions, otherwise scikit-learn's chunked brute-force
    search (faster than a tree from about 8 dimensions on, and O(m k) memory as well).
    """
    if points.shape[1] == 0:  # no usable feature: every other point is at distance 0
        points = np.zeros((points.shape[0], 1))
    algorithm = "kd_tree" if points.shape[1] <= _KD_TREE_MAX_DIM else "brute"
    model = NearestNeighbors(n_neighbors=k, algorithm=algorithm).fit(points)
    distances, indices = model.kneighbors()  # without X, a point is not its own neighbour
    return distances, indices


def region_median_distance(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Median distance from each point to the points of its region (UBL's and smogn's maxD * 2).

    Exact (the point itself included, as UBL) for regions of up to ``MAX_REFERENCE`` points;
    larger regions use a random reference subset of ``MAX_REFERENCE`` points, which estimates each
    median to about 1-2 % relative error. Computed in row blocks: O(m min(m, MAX_REFERENCE)) time,
    at most ``_CHUNK_ELEMENTS`` distances in memory.
    """
    m = points.shape[0]
    reference = points
    if m > MAX_REFERENCE:
        reference = points[np.sort(rng.choice(m, size=MAX_REFERENCE, replace=False))]
    sq_ref = np.einsum("ij,ij->i", reference, reference)
    sq = np.einsum("ij,ij->i", points, points)
    out = np.empty(m)
    step = max(1, _CHUNK_ELEMENTS // reference.shape[0])
    for start in range(0, m, step):  # blocks of rows, each fully vectorised
        dist = points[start : start + step] @ reference.T  # one block buffer, updated in place
        dist *= -2.0
        dist += sq[start : start + step, None]
        dist += sq_ref[None, :]
        np.sqrt(np.maximum(dist, 0.0, out=dist), out=dist)
        out[start : start + step] = np.median(dist, axis=1, overwrite_input=True)
    return out


def interpolate(
    table: Table,
    y: np.ndarray,
    seeds: np.ndarray,
    neighbours: np.ndarray,
    used: np.ndarray,
    scale: np.ndarray,
    rng: np.random.Generator,
) -> Synthetic:
    """SMOTER samples between input rows ``seeds`` and ``neighbours`` (Torgo et al. 2013).

    Numeric features: ``x_s + u (x_t - x_s)`` with ``u ~ U[0, 1)``. Nominal features: the seed's or
    the neighbour's value with probability 1/2 each. Target: the distance-weighted average
    ``(d_t y_s + d_s y_t) / (d_s + d_t)`` where ``d_s``, ``d_t`` are the distances of the new sample
    to the seed and the neighbour in the neighbour-search space (the mean when both are 0).
    """
    n = seeds.size
    x_s, x_t = table.numeric[seeds], table.numeric[neighbours]
    gap = rng.random(n)
    numeric = x_s + gap[:, None] * (x_t - x_s)
    c_s, c_t = table.nominal[seeds], table.nominal[neighbours]
    take_t = rng.random(c_s.shape) < 0.5
    nominal = np.where(take_t, c_t, c_s)
    squared = (((x_t - x_s) / scale) ** 2).sum(axis=1)
    differ = (c_s != c_t) & used
    d_s = np.sqrt(gap**2 * squared + (take_t & differ).sum(axis=1))
    d_t = np.sqrt((1.0 - gap) ** 2 * squared + (~take_t & differ).sum(axis=1))
    total = d_s + d_t
    weight = np.divide(d_s, total, out=np.full(n, 0.5), where=total > 0)
    y_s, y_t = y[seeds], y[neighbours]
    weight = weight.reshape((n,) + (1,) * (y.ndim - 1))
    return Synthetic(seeds=seeds, numeric=numeric, nominal=nominal, y=y_s + weight * (y_t - y_s))


def gaussian_noise(
    table: Table,
    y: np.ndarray,
    rows: np.ndarray,
    seeds: np.ndarray,
    perturbation: np.ndarray,
    rng: np.random.Generator,
) -> Synthetic:
    """Copies of input rows ``seeds`` with Gaussian noise (UBL GaussNoiseRegress, SMOGN).

    Each numeric feature and target column gets noise of standard deviation
    ``perturbation * std`` with the column's sample standard deviation over the region ``rows``;
    nominal features keep the seed's value.
    """
    n = seeds.size
    ddof = 1 if rows.size > 1 else 0
    sd_x = table.numeric[rows].std(axis=0, ddof=ddof)
    sd_y = y[rows].std(axis=0, ddof=ddof)
    pert = perturbation.reshape(n, 1)
    numeric = table.numeric[seeds] + rng.standard_normal((n, sd_x.size)) * sd_x * pert
    noise_y = rng.standard_normal((n, *y.shape[1:])) * sd_y * pert.reshape((n,) + (1,) * (y.ndim - 1))
    return Synthetic(
        seeds=seeds, numeric=numeric, nominal=table.nominal[seeds].copy(), y=y[seeds] + noise_y
    )
