import numpy as np
import pytest

from dirkit.labels import UniformBinner
from dirkit.metrics import error_density_correlation, per_bin_errors


def test_per_bin_errors_equal_a_loop():
    rng = np.random.default_rng(0)
    target = rng.uniform(0, 5, 200)
    pred = target + rng.normal(0, 1, 200)
    binner = UniformBinner(width=1.0, range=(0, 6)).fit(target)
    errors = per_bin_errors(pred, target, binner)
    for b in range(6):
        members = np.floor(target) == b
        if members.any():
            assert errors["mae"][b] == pytest.approx(np.abs(pred - target)[members].mean())
            assert errors["mse"][b] == pytest.approx(((pred - target) ** 2)[members].mean())
        else:
            assert np.isnan(errors["mae"][b]) and errors["count"][b] == 0


def test_error_tracks_the_smoothed_density_better_on_a_jagged_histogram():
    # a comb-shaped histogram: error follows the smoothed density, not the jagged raw counts
    rng = np.random.default_rng(1)
    counts = (np.where(np.arange(40) % 2 == 0, 5, 0) + np.linspace(200, 5, 40)).astype(int)
    train = np.repeat(np.arange(40) + 0.5, counts)
    binner = UniformBinner(width=1.0, range=(0, 40))
    target = np.repeat(np.arange(40) + 0.5, 20)
    smooth = np.convolve(counts, np.ones(5) / 5, mode="same")
    pred = target + rng.normal(0, 0.1, target.size) + 30.0 / np.repeat(smooth, 20)
    r = error_density_correlation(pred, target, train, binner)
    assert r["effective"] < r["empirical"] < 0
