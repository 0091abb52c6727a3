"""The ``sine1d`` data set: the controlled 1-D study of Pintea et al., "Why does classification help
regression?" (ICCV 2023, sec. 2.1).

Targets are ``f(x) = a sin(cx) + b sin(dx)`` on ``x in [-1, 1]`` with ``f(x) in [-1.5, 1.5]``, in
three scenarios (clean, noisy targets, out-of-distribution inputs) and four training samplings
(uniform to severely imbalanced over the target); validation and test are uniform over the target.
Where the paper's text is silent, the values come from the authors' public 1-D data script
(``github.com/SilviaLauraPintea/reg-cls``, ``1d/make_data1d.py``); each constant below names its
source.
"""

from __future__ import annotations

import numpy as np

from dirkit._registry import DATASETS
from dirkit._validation import Interval, OneOf, validate_params
from dirkit.datasets._base import DatasetSplits

__all__ = ["PEAK_RATIOS", "SINE1D_RECIPES", "make_sine1d", "sine_function"]

#: Half-width of the dense "peak" region of the training targets, as a fraction of the target
#: range: paper sec. 2.1 ("a fixed variance ratio around the peak (0.3, 0.1 and 0.03 for mild,
#: moderate and severe sampling)"); the authors' script samples ``[peak - r * range, peak + r * range]``.
PEAK_RATIOS: dict[str, float | None] = {"uniform": None, "mild": 0.3, "moderate": 0.1, "severe": 0.03}

#: Per scenario, the paper's training settings for reg+cls (sec. 2.1): ``lambda`` of eq. 4 and the
#: Adam learning rate; all scenarios train 80 epochs with weight decay 1e-3 and batch size 256 (the
#: script's default) on an MLP ``[1x6] -> [6x16] -> [16x1]`` with ReLU.
SINE1D_RECIPES: dict[str, dict[str, float]] = {
    "clean": {"lam": 1e2, "lr": 1e-3},
    "noisy": {"lam": 1e3, "lr": 1e-2},
    "ood": {"lam": 1e4, "lr": 1e-4},
}

_FUNCTION_SEED = 2023  # fixes the family of functions; ``function=k`` picks the k-th member
_SAMPLING_BINS = 1024  # target bins used to shape the samplings (the script's max_bins = 2**10)
_POOL_SIZE = 400_000  # uniform candidate inputs per split, from which the samples are picked
_OOD_INTERVALS = 9  # [-1, 1] cut into 9 intervals of width 2/9 (the script's range_size = 1/4.5)


def sine_function(function: int) -> tuple[float, float, float, float]:
    """Coefficients ``(a, b, c, d)`` of the ``function``-th target ``a sin(cx) + b sin(dx)``.

    As in the authors' script: ``a ~ U(0, 1)``, ``b = 1.5 - a`` (so ``|f| <= 1.5``, the paper's
    range), ``c`` an integer in ``[9, 30]`` and ``d = c // 3`` (a slow and a fast wave).

    Examples
    --------
    >>> a, b, c, d = sine_function(0)
    >>> round(a + b, 6), 9 <= c <= 30, d == c // 3
    (1.5, True, True)
    """
    rng = np.random.default_rng([_FUNCTION_SEED, int(function)])
    a = float(rng.uniform(0.0, 1.0))
    c = int(rng.integers(9, 31))
    return a, 1.5 - a, float(c), float(c // 3)


def _f(x: np.ndarray, coefficients: tuple[float, float, float, float]) -> np.ndarray:
    a, b, c, d = coefficients
    return np.asarray(a * np.sin(c * x) + b * np.sin(d * x), dtype=np.float64)


def _regions(setting: str, rng: np.random.Generator) -> list[np.ndarray]:
    """Input intervals ``(k, 2)`` of train, val and test.

    Out of distribution (the script's scheme): nine intervals of width 2/9 over ``[-1, 1]``, each
    upper end pushed out by ``|N(0, (2/9) / 4)|`` (the paper's "overlap of 1/4" between train and
    evaluation regions), dealt round-robin to train, val and test. Otherwise all use ``[-1, 1]``.
    """
    if setting != "ood":
        return [np.array([[-1.0, 1.0]])] * 3
    width = 2.0 / _OOD_INTERVALS
    lows = -1.0 + width * np.arange(_OOD_INTERVALS)
    highs = np.minimum(lows + width + np.abs(rng.normal(0.0, width / 4.0, _OOD_INTERVALS)), 1.0)
    intervals = np.stack([lows, highs], axis=1)
    return [intervals[k::3] for k in range(3)]


def _pool(intervals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    lengths = intervals[:, 1] - intervals[:, 0]
    which = rng.choice(len(intervals), size=_POOL_SIZE, p=lengths / lengths.sum())
    return intervals[which, 0] + rng.uniform(0.0, 1.0, _POOL_SIZE) * lengths[which]


def _pick(
    pool_x: np.ndarray, pool_bin: np.ndarray, counts: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``counts[b]`` inputs from the pool members of each target bin ``b``."""
    order = np.argsort(pool_bin, kind="stable")
    starts = np.searchsorted(pool_bin[order], np.arange(_SAMPLING_BINS + 1))
    picked = []
    for b in np.flatnonzero(counts):
        members = order[starts[b] : starts[b + 1]]
        picked.append(pool_x[rng.choice(members, size=counts[b], replace=counts[b] > members.size)])
    x = np.concatenate(picked)
    return x[rng.permutation(x.size)]


def _balanced_counts(n: int, occupied: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    counts = np.zeros(_SAMPLING_BINS, dtype=np.int64)
    counts[occupied] = n // occupied.size
    counts[rng.choice(occupied, size=n % occupied.size, replace=False)] += 1
    return counts


@DATASETS.register("sine1d")
@validate_params(
    {
        "seed": [Interval(int, 0, None)],
        "setting": [OneOf(("clean", "noisy", "ood"))],
        "sampling": [OneOf(tuple(PEAK_RATIOS))],
        "n_samples": [Interval(int, 300, None)],
        "noise": [Interval(float, 0, None)],
        "peak_fraction": [Interval(float, 0, 1)],
        "function": [Interval(int, 0, None), None],
        "n_bins": [Interval(int, 1, None)],
    }
)
def make_sine1d(
    seed: int = 0,
    *,
    setting: str = "clean",
    sampling: str = "uniform",
    n_samples: int = 30_000,
    noise: float = 0.1,
    peak_fraction: float = 0.75,
    function: int | None = None,
    n_bins: int = 256,
) -> DatasetSplits:
    """Generate a ``sine1d`` data set (Pintea et al., ICCV 2023, sec. 2.1).

    Each split is drawn from a large uniform pool of inputs by target bin (1,024 equal-width bins
    over the range of ``f``, the script's ``max_bins``). Training: ``"uniform"`` takes the same
    count from every reachable bin (uniform over the target, the paper's Fig. 2); the imbalanced
    samplings put ``peak_fraction`` of the samples in the bins within ``PEAK_RATIOS[sampling]``
    times the target range of a peak centre drawn uniformly over the targets reachable in every
    split, and the rest uniformly in the other bins. Validation and test are always uniform over
    the target ("We sample the test data uniformly", Fig. 2); the authors' script instead cuts
    one pool into thirds, so its imbalanced validation and test sets follow the training one.

    Parameters
    ----------
    seed : int
        Seeds the samples, the peak, the noise and the OOD regions.
    setting : {"clean", "noisy", "ood"}
        ``"noisy"`` adds ``N(0, noise^2)`` to the targets of every split (the script's
        ``noise_level_y``; Fig. 1 calls it uniform noise, but the script and sec. 3.1's
        ``sigma`` are Gaussian). ``"ood"`` trains, validates and tests on different input
        intervals that overlap only slightly (see the module's ``_regions``).
    sampling : {"uniform", "mild", "moderate", "severe"}
        Training imbalance; peak half-widths 0.3 / 0.1 / 0.03 of the range (paper sec. 2.1).
    n_samples : int
        Total size, split in thirds (paper: "approx. 30,000 samples in total, ... 1/3 for
        training, for validation, and for testing"; the script uses 60,000).
    noise : float
        Noise standard deviation of ``"noisy"`` (0.1: the script's default, and the middle of
        the levels 0.05 / 0.1 / 0.5 of the paper's Fig. 5).
    peak_fraction : float
        Share of imbalanced training samples in the peak ("We sample 75% of the samples from
        the peak region", sec. 2.1).
    function : int, optional
        Which target function (:func:`sine_function`); default ``seed``, so seeds repeat over
        functions as the paper's repetitions do (10 functions x 5 seeds).
    n_bins : int
        Fine bins over the label range for shots, LDS and balanced classes (256 = the paper's
        2^8 classes, so ``reg-cls`` with balanced classes equalises exactly 256 uniform classes).

    Returns
    -------
    DatasetSplits
        ``x`` of shape (n, 1); ``info`` holds the coefficients, the peak and the paper's recipe.

    Examples
    --------
    >>> data = make_sine1d(0, sampling="severe", n_samples=3000)
    >>> data.sizes(), data.x_train.shape
    ({'train': 1000, 'val': 1000, 'test': 1000}, (1000, 1))
    >>> centre, half_width = data.info["peak"]
    >>> bool((abs(data.y_train - centre) <= half_width).mean() > 0.7)  # 75% in the peak
    True
    """
    rng = np.random.default_rng(seed)
    coefficients = sine_function(seed if function is None else function)
    grid = _f(np.linspace(-1.0, 1.0, 200_001), coefficients)
    low, high = float(grid.min()), float(grid.max())
    regions = _regions(setting, rng)
    pools = [_pool(intervals, rng) for intervals in regions]
    position = [(_f(x, coefficients) - low) / (high - low) * _SAMPLING_BINS for x in pools]
    bins = [np.clip(p.astype(np.int64), 0, _SAMPLING_BINS - 1) for p in position]
    occupied = [np.bincount(b, minlength=_SAMPLING_BINS) > 0 for b in bins]
    sizes = [n_samples // 3, n_samples // 3, n_samples - 2 * (n_samples // 3)]
    ratio = PEAK_RATIOS[sampling]
    peak: tuple[float, float] | None = None
    if ratio is None:
        train_counts = _balanced_counts(sizes[0], np.flatnonzero(occupied[0]), rng)
    else:
        shared = np.flatnonzero(occupied[0] & occupied[1] & occupied[2])
        centre = low + (rng.choice(shared) + rng.uniform()) * (high - low) / _SAMPLING_BINS
        peak = (centre, ratio * (high - low))
        mid = low + (np.arange(_SAMPLING_BINS) + 0.5) * (high - low) / _SAMPLING_BINS
        in_peak = occupied[0] & (np.abs(mid - centre) <= peak[1])
        rest = occupied[0] & ~in_peak
        n_peak = sizes[0] if not rest.any() else round(peak_fraction * sizes[0])
        train_counts = _balanced_counts(n_peak, np.flatnonzero(in_peak), rng)
        if n_peak < sizes[0]:
            train_counts += _balanced_counts(sizes[0] - n_peak, np.flatnonzero(rest), rng)
    counts = [train_counts] + [_balanced_counts(sizes[k], np.flatnonzero(occupied[k]), rng) for k in (1, 2)]
    xs = [_pick(pools[k], bins[k], counts[k], rng) for k in range(3)]
    ys = [_f(x, coefficients) for x in xs]
    if setting == "noisy":
        ys = [y + rng.normal(0.0, noise, y.size) for y in ys]
    every = np.concatenate(ys)
    label_range = (float(every.min()), float(every.max()))
    a, b, c, d = coefficients
    return DatasetSplits(
        name="sine1d",
        x_train=xs[0][:, None].astype(np.float32),
        y_train=ys[0],
        x_val=xs[1][:, None].astype(np.float32),
        y_val=ys[1],
        x_test=xs[2][:, None].astype(np.float32),
        y_test=ys[2],
        bin_width=(label_range[1] - label_range[0]) / n_bins,
        label_range=label_range,
        description=f"sine1d {setting}/{sampling}: f(x) = {a:.3f} sin({c:g}x) + {b:.3f} sin({d:g}x)",
        info={
            "seed": seed,
            "setting": setting,
            "sampling": sampling,
            "coefficients": [a, b, c, d],
            "peak": list(peak) if peak is not None else None,
            "paper_recipe": SINE1D_RECIPES[setting],
        },
    )
