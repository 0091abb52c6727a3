import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from dirkit.datasets import DATASETS, TRAINING_PROFILE, TRUTHS, make_synthetic, synthetic_target
from dirkit.exceptions import ConfigError
from dirkit.labels import sample_shots


def test_same_seed_same_data_other_seed_other_samples():
    a, b, c = make_synthetic(3), make_synthetic(3), make_synthetic(4)
    for split in ("x_train", "y_train", "x_test", "y_val"):
        np.testing.assert_array_equal(getattr(a, split), getattr(b, split))
    assert not np.array_equal(a.y_train, c.y_train)


def test_training_labels_follow_the_profile():
    data = make_synthetic(0)
    counts = np.histogram(data.y_train, bins=100, range=(0, 100))[0]
    for low, high, per_bin in TRAINING_PROFILE:
        region = counts[int(low):int(high)]
        assert region.sum() == per_bin * (high - low)
    assert counts[50:60].sum() == 0 and counts[80:].sum() == 0  # the gap and the tail


def test_evaluation_splits_are_balanced_and_cover_every_shot_region():
    data = make_synthetic(0)
    for y in (data.y_val, data.y_test):
        assert np.bincount(np.floor(y).astype(int), minlength=100).tolist() == [10] * 100
    shots = sample_shots(data.y_test, data.binner())
    assert {s: int((shots == s).sum()) for s in ("many", "medium", "few", "zero")} == {
        "many": 250, "medium": 200, "few": 250, "zero": 300
    }


@pytest.mark.parametrize("truth", TRUTHS)
def test_labels_are_the_truth_of_the_inputs(truth):
    data = make_synthetic(0, scale=0.2, truth=truth)
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        np.testing.assert_allclose(synthetic_target(x, truth), y, atol=1e-3)
    assert data.info["truth"] == truth


def test_default_truth_is_nonlinear_in_the_inputs():
    data = make_synthetic(0)
    linear = LinearRegression().fit(data.x_train, data.y_train)
    assert np.abs(linear.predict(data.x_test) - data.y_test).mean() > 1.0


def _window_slopes(truth):
    """Mean slope dy/du of the truth over each 20-label window of [0, 100] (u from the labels)."""
    data = make_synthetic(0, scale=0.1, truth=truth, n_features=1)
    sign = np.sign(synthetic_target(np.ones((1, 1)), truth)[0] - 50)  # the direction w is +-1 in 1-D
    u = np.sort(data.x_test[:, 0].astype(np.float64) * sign)
    y = np.sort(data.y_test)
    edges = np.interp(np.arange(0, 101, 20), y, u)
    return 20.0 / np.diff(edges)


def test_default_truth_bends_nowhere_more_than_in_the_middle():
    """Every 20-label window (interior gap and extrapolation tail included) has the same mean
    slope, unlike the saturating truth, which flattens towards the ends of the range."""
    wave = _window_slopes("wave")
    np.testing.assert_allclose(wave, wave.mean(), rtol=0.02)
    saturating = _window_slopes("saturating")
    assert saturating[-1] < 0.5 * saturating[2]


def test_registered_and_validated():
    assert DATASETS.get("synthetic") is make_synthetic
    with pytest.raises(ConfigError, match="'scale' parameter"):
        make_synthetic(0, scale=0.0)
    with pytest.raises(ConfigError, match="'truth' parameter"):
        make_synthetic(0, truth="bent")
    assert make_synthetic(0, scale=0.1, n_features=4).x_train.shape == (611, 4)
