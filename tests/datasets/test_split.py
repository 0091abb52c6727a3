import numpy as np
import pytest

from dirkit.datasets._split import default_cap, default_n_bins, dir_bins, dir_split, split_table
from dirkit.exceptions import ConfigError, LabelError
from dirkit.labels import UniformBinner


def _skewed(n: int = 2000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).gamma(1.5, 8.0, size=n)


def _naive_split(y, seed, width, label_range, cap):
    """The recipe written out directly: per bin, shuffle, first k to val, next k to test."""
    ids = UniformBinner(width=width, range=label_range).fit_transform(y)
    val, test = [], []
    for b in np.unique(ids):
        rows = np.flatnonzero(ids == b)
        rows = rows[np.random.default_rng([seed, int(b)]).permutation(rows.size)]
        k = min(rows.size // 3, cap)
        val += rows[:k].tolist()
        test += rows[k : 2 * k].tolist()
    return sorted(val), sorted(test)


def test_split_is_deterministic_disjoint_and_complete():
    y = _skewed()
    width, label_range = dir_bins(y)
    first = dir_split(y, 3, bin_width=width, label_range=label_range)
    again = dir_split(y, 3, bin_width=width, label_range=label_range)
    other = dir_split(y, 4, bin_width=width, label_range=label_range)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], other[1])
    joined = np.concatenate(first)
    assert joined.size == y.size and np.unique(joined).size == y.size


def test_split_matches_the_recipe_per_bin():
    y = _skewed(900, seed=1)
    width, label_range = dir_bins(y, n_bins=20)
    _, val, test = dir_split(y, 7, bin_width=width, label_range=label_range, cap=6)
    naive_val, naive_test = _naive_split(y, 7, width, label_range, 6)
    assert val.tolist() == naive_val and test.tolist() == naive_test


def test_test_split_is_more_balanced_than_train():
    y = _skewed()
    data = split_table("toy", y[:, None], y, seed=0)
    binner = data.binner()

    def spread(labels):
        counts = binner.count(labels)
        counts = counts[counts > 0]
        return counts.max() / counts.min()

    assert spread(data.y_test) < spread(data.y_train) / 5
    assert binner.count(data.y_test).max() <= data.info["cap"]


def test_columns_constant_in_training_are_dropped():
    y = _skewed(600)
    width, label_range = dir_bins(y)
    _, _, test = dir_split(y, 0, bin_width=width, label_range=label_range)
    only_in_test = np.zeros(y.size)
    only_in_test[test[:3]] = 1.0  # like a nominal value that no training row has
    x = np.column_stack([y, only_in_test, np.ones(y.size)])
    data = split_table("toy", x, y, seed=0, feature_names=["signal", "rare=yes", "constant"])
    assert data.info["features"] == ["signal"] and data.n_features == 1
    assert data.info["dropped_features"] == ["rare=yes", "constant"]
    with pytest.raises(ConfigError, match="every feature column is constant"):
        split_table("toy", np.ones((y.size, 2)), y, seed=0)


def test_sparse_bins_stay_in_training():
    y = np.concatenate([np.zeros(30), np.full(2, 5.0), np.full(4, 9.0)])
    train, val, test = dir_split(y, 0, bin_width=1.0, label_range=(-0.5, 9.5), cap=5)
    assert set(y[train]) == {0.0, 5.0, 9.0} and 5.0 not in set(y[val]) | set(y[test])
    assert np.sum(y[val] == 9.0) == 1 and np.sum(y[val] == 0.0) == 5


def test_bins_for_integer_and_float_labels():
    width, label_range = dir_bins(np.arange(0, 100))  # 100 rows -> 20 bins of 5 integers
    assert width == 5.0 and label_range == (-0.5, 99.5)
    width, label_range = dir_bins(np.linspace(0.0, 3.0, 5000))
    assert label_range == (0.0, 3.0) and width == pytest.approx(3.0 / 50)
    assert default_n_bins(10) == 20 and default_n_bins(10**6) == 50
    assert default_cap(1000, 10) == 10 and default_cap(100, 10) == 5


def test_invalid_inputs_raise_dirkit_errors():
    with pytest.raises(LabelError, match="constant target"):
        dir_bins(np.ones(10))
    with pytest.raises(ConfigError, match="n_bins"):
        dir_bins(np.arange(10.0), n_bins=0)
    with pytest.raises(ConfigError, match="cap"):
        dir_split(np.arange(10.0), 0, bin_width=1.0, label_range=(0.0, 10.0), cap=-1)
    with pytest.raises(ConfigError, match="seed"):
        dir_split(np.arange(10.0), -1, bin_width=1.0, label_range=(0.0, 10.0))
