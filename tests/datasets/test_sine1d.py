import numpy as np
import pytest

from dirkit.datasets import DATASETS, PEAK_RATIOS, SINE1D_RECIPES, make_sine1d, sine_function
from dirkit.exceptions import ConfigError

N = 3000  # a tenth of the paper's size keeps these tests fast


def _f(x, seed):
    a, b, c, d = sine_function(seed)
    return a * np.sin(c * x) + b * np.sin(d * x)


def _fine_counts(y, seed, n_bins=1024):
    grid = _f(np.linspace(-1, 1, 200_001), seed)
    low, high = grid.min(), grid.max()
    ids = np.clip(((y - low) / (high - low) * n_bins).astype(int), 0, n_bins - 1)
    return np.bincount(ids, minlength=n_bins)


def test_deterministic_by_seed_and_sizes_in_thirds():
    a, b = make_sine1d(5, sampling="mild", n_samples=N), make_sine1d(5, sampling="mild", n_samples=N)
    c = make_sine1d(6, sampling="mild", n_samples=N)
    for split in ("x_train", "y_train", "x_test", "y_val"):
        np.testing.assert_array_equal(getattr(a, split), getattr(b, split))
    assert not np.array_equal(a.y_train, c.y_train)
    assert a.sizes() == {"train": 1000, "val": 1000, "test": 1000}
    assert a.x_train.shape == (1000, 1) and a.x_train.dtype == np.float32


def test_functions_follow_the_paper_family():
    for k in range(20):
        a, b, c, d = sine_function(k)
        assert 0 <= a < 1 and a + b == pytest.approx(1.5) and 9 <= c <= 30 and d == c // 3
    data = make_sine1d(0, n_samples=N, function=3)
    np.testing.assert_allclose(data.y_test, _f(data.x_test[:, 0].astype(np.float64), 3), atol=1e-5)
    assert (np.abs(data.x_train) <= 1).all() and (np.abs(data.y_train) <= 1.5).all()


@pytest.mark.parametrize("sampling", ["uniform", "severe"])
def test_evaluation_is_uniform_over_the_target(sampling):
    data = make_sine1d(2, sampling=sampling, n_samples=N)
    for y in (data.y_val, data.y_test):
        counts = _fine_counts(y, 2)
        occupied = counts[counts > 0]
        assert occupied.max() - occupied.min() <= 1  # equal per reachable target bin


@pytest.mark.parametrize("sampling", ["mild", "moderate", "severe"])
def test_imbalanced_training_puts_75_percent_in_the_peak(sampling):
    data = make_sine1d(1, sampling=sampling, n_samples=N)
    centre, half_width = data.info["peak"]
    grid = _f(np.linspace(-1, 1, 200_001), 1)
    low, high = grid.min(), grid.max()
    assert half_width == pytest.approx(PEAK_RATIOS[sampling] * (high - low))
    tolerance = (high - low) / 1024  # whole sampling bins decide membership
    inside = np.abs(data.y_train - centre) <= half_width + tolerance
    assert inside.mean() == pytest.approx(0.75, abs=0.01)
    peak_test = np.abs(data.y_test - centre) <= half_width + tolerance
    assert peak_test.mean() < inside.mean() - 0.1  # the test set is not skewed like training


def test_noisy_targets_have_gaussian_noise():
    data = make_sine1d(0, setting="noisy", n_samples=N, noise=0.2)
    residual = data.y_train - _f(data.x_train[:, 0].astype(np.float64), 0)
    assert residual.std() == pytest.approx(0.2, rel=0.1) and abs(residual.mean()) < 0.03
    lo, hi = data.label_range
    assert lo <= min(data.y_train.min(), data.y_test.min()) and max(data.y_val.max(), data.y_test.max()) <= hi


def test_out_of_distribution_splits_use_different_input_intervals():
    data = make_sine1d(0, setting="ood", sampling="moderate", n_samples=N)
    interval = lambda x: np.floor((x[:, 0] + 1) / (2 / 9)).astype(int)  # noqa: E731
    assert np.isin(interval(data.x_train), [0, 3, 6]).mean() > 0.7
    assert np.isin(interval(data.x_val), [1, 4, 7]).mean() > 0.7
    assert np.isin(interval(data.x_test), [2, 5, 8]).mean() > 0.7
    assert np.isin(interval(data.x_test), [2, 3, 5, 6, 8]).all()  # spills only into the next interval


def test_registered_validated_and_documented():
    assert DATASETS.get("sine1d") is make_sine1d
    assert SINE1D_RECIPES["clean"] == {"lam": 100.0, "lr": 1e-3}
    assert make_sine1d(0, setting="ood", n_samples=N).info["paper_recipe"] == {"lam": 1e4, "lr": 1e-4}
    with pytest.raises(ConfigError, match="'sampling' parameter"):
        make_sine1d(0, sampling="extreme")
    with pytest.raises(ConfigError, match="'setting' parameter"):
        make_sine1d(0, setting="dirty")
