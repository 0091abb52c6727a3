"""The built-in ``synthetic`` data set: skewed training labels, balanced evaluation splits."""

from __future__ import annotations

import numpy as np

from dirkit._registry import DATASETS
from dirkit._validation import Interval, OneOf, validate_params
from dirkit.datasets._base import DatasetSplits

__all__ = ["TRAINING_PROFILE", "TRUTHS", "make_synthetic", "synthetic_target"]

#: Training samples per unit-wide label bin, by label interval (at ``scale=1``). The regions give
#: every shot type under the DIR rule (many > 100, few < 20): a dense head, medium shoulders,
#: a few-shot low end and upper range, an interior gap to interpolate (50-60) and an empty tail
#: to extrapolate (80-100).
TRAINING_PROFILE: tuple[tuple[float, float, int], ...] = (
    (0, 5, 10),  # few
    (5, 15, 40),  # medium
    (15, 40, 200),  # many
    (40, 50, 50),  # medium
    (50, 60, 0),  # zero-shot gap
    (60, 80, 8),  # few
    (80, 100, 0),  # zero-shot tail
)

_WORLD_SEED = 20210701  # fixes the input-target function; the data seed only changes the samples
_LABEL_RANGE = (0.0, 100.0)

#: The input-target functions ``y = f(u)`` of the projection ``u = w . x``, by name:
#:
#: - ``"wave"`` (default): ``50 + 25 u + 2 sin(2 pi u / 0.8)``. A straight trend with a smooth,
#:   periodic wobble (local slope 9-41 labels per unit of ``u``) whose period spans 20 labels,
#:   so every 20-label window, the interior gap and the extrapolation tail included, has the
#:   same mean slope: no region of the label range bends differently from the others.
#: - ``"linear"``: ``50 + 25 u``.
#: - ``"saturating"``: ``50 + 25 (u + 0.4 sin 2u)``, the function of dirkit <= 0.1. It flattens
#:   towards both ends (slope 11-14 in 80-100 against 30-44 in 40-80), so predictors that
#:   saturate at the training range win its extrapolation tail by construction; kept only to
#:   reproduce older results.
TRUTHS = ("wave", "linear", "saturating")


def _truth(u: np.ndarray, truth: str) -> np.ndarray:
    if truth == "wave":
        return 50.0 + 25.0 * u + 2.0 * np.sin(2.0 * np.pi * u / 0.8)
    if truth == "linear":
        return 50.0 + 25.0 * u
    return 50.0 + 25.0 * (u + 0.4 * np.sin(2.0 * u))


def _world(n_features: int) -> np.ndarray:
    direction = np.random.default_rng(_WORLD_SEED).normal(size=n_features)
    return direction / np.linalg.norm(direction)


def synthetic_target(x: np.ndarray, truth: str = "wave") -> np.ndarray:
    """The noiseless target of the synthetic data, ``f(w . x)`` (see :data:`TRUTHS`).

    Examples
    --------
    >>> import numpy as np
    >>> float(synthetic_target(np.zeros((1, 16)))[0])
    50.0
    """
    x = np.asarray(x)
    return _truth(x @ _world(x.shape[1]), truth)


def _inputs_for(y: np.ndarray, n_features: int, truth: str, rng: np.random.Generator) -> np.ndarray:
    """Inputs whose target is exactly ``y``: solve f(u) = y, add noise orthogonal to ``w``."""
    low, high = np.full_like(y, -4.0), np.full_like(y, 4.0)
    for _ in range(60):  # bisection: every truth is strictly increasing
        mid = (low + high) / 2
        below = _truth(mid, truth) < y
        low, high = np.where(below, mid, low), np.where(below, high, mid)
    u = (low + high) / 2
    w = _world(n_features)
    noise = rng.normal(size=(y.size, n_features))
    noise -= np.outer(noise @ w, w)
    return (np.outer(u, w) + noise).astype(np.float32)


def _sample_profile(rng: np.random.Generator, scale: float) -> np.ndarray:
    labels = []
    for low, high, per_bin in TRAINING_PROFILE:
        n = round(per_bin * (high - low) * scale)
        labels.append(rng.uniform(low, high, size=n))
    return np.concatenate(labels)


@DATASETS.register("synthetic")
@validate_params(
    {
        "seed": [Interval(int, 0, None)],
        "n_features": [Interval(int, 1, None)],
        "scale": [Interval(float, 0, None, closed="neither")],
        "eval_per_bin": [Interval(int, 1, None)],
        "truth": [OneOf(TRUTHS)],
    }
)
def make_synthetic(
    seed: int = 0,
    *,
    n_features: int = 16,
    scale: float = 1.0,
    eval_per_bin: int = 10,
    truth: str = "wave",
) -> DatasetSplits:
    """Generate the ``synthetic`` DIR data set.

    The target is a smooth, strictly increasing function of a projection of the inputs
    (:func:`synthetic_target`; by default a straight trend with a periodic wobble that looks the
    same in every part of the label range, so no method is favoured by where the data are
    missing). Labels lie in [0, 100] with unit-wide bins. The training labels follow
    :data:`TRAINING_PROFILE` (about 6,100 samples at ``scale=1``: many-, medium-, few- and
    zero-shot regions, a gap and a tail); validation and test hold ``eval_per_bin`` uniformly
    drawn labels in every bin (balanced).

    Parameters
    ----------
    seed : int
        Seeds the samples; the input-target function is the same for every seed.
    n_features : int
        Input dimension.
    scale : float
        Multiplies the training counts (0.1 for very fast tests).
    eval_per_bin : int
        Validation and test samples per unit bin.
    truth : {"wave", "linear", "saturating"}
        The input-target function, see :data:`TRUTHS`.

    Returns
    -------
    DatasetSplits

    Examples
    --------
    >>> data = make_synthetic(seed=0, scale=0.5)
    >>> data.sizes()
    {'train': 3055, 'val': 1000, 'test': 1000}
    >>> bool(abs(data.y_test.mean() - 50) < 2)
    True
    """
    rng = np.random.default_rng(seed)
    y_train = _sample_profile(rng, scale)
    edges = np.arange(_LABEL_RANGE[0], _LABEL_RANGE[1])
    y_val = (edges[:, None] + rng.uniform(0, 1, size=(edges.size, eval_per_bin))).ravel()
    y_test = (edges[:, None] + rng.uniform(0, 1, size=(edges.size, eval_per_bin))).ravel()
    order = rng.permutation(y_train.size)
    y_train = y_train[order]
    return DatasetSplits(
        name="synthetic",
        x_train=_inputs_for(y_train, n_features, truth, rng),
        y_train=y_train,
        x_val=_inputs_for(y_val, n_features, truth, rng),
        y_val=y_val,
        x_test=_inputs_for(y_test, n_features, truth, rng),
        y_test=y_test,
        bin_width=1.0,
        label_range=_LABEL_RANGE,
        description="synthetic: 16-d inputs, skewed train labels in [0, 100], balanced val/test",
        info={"seed": seed, "scale": scale, "n_features": n_features, "truth": truth},
    )
