"""LDS weights against a naive loop of the reference semantics (methods-spec section 2)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter1d

from dirkit.density import LDSWeights, effective_density, lds_weights, smooth_bins
from dirkit.labels import UniformBinner


def naive_lds_weights(labels, *, reweight, clip=None, ks=5, sigma=2.0, n_bins=121, lds=True):
    """The reference semantics, written as plain loops over integer age bins."""
    value = [0.0] * n_bins
    for label in labels:
        value[min(n_bins - 1, int(label))] += 1
    if clip is not None:
        value = [min(max(v, clip[0]), clip[1]) for v in value]
    if reweight == "sqrt_inv":
        value = [math.sqrt(v) for v in value]
    if lds:
        half = (ks - 1) // 2
        delta = [0.0] * half + [1.0] + [0.0] * half
        window = gaussian_filter1d(delta, sigma=sigma)
        window = window / max(window)
        smoothed = []
        for i in range(n_bins):  # zero padding
            smoothed.append(
                sum(value[i + j - half] * window[j] for j in range(ks) if 0 <= i + j - half < n_bins)
            )
        value = smoothed
    weights = [1.0 / value[min(n_bins - 1, int(label))] for label in labels]
    scale = len(weights) / sum(weights)
    return np.array([w * scale for w in weights])


@pytest.fixture(scope="module")
def agedb_train_ages(data_dir):
    table = pd.read_csv(data_dir / "agedb-dir" / "agedb.csv")
    ages = table.loc[table["split"] == "train", "age"].to_numpy(dtype=float)
    assert ages.size == 12208
    return ages


@pytest.mark.parametrize(
    ("reweight", "clip"), [("sqrt_inv", None), ("inverse", (5, 1000)), ("inverse", None)]
)
def test_lds_weights_equal_naive_reference_on_agedb(agedb_train_ages, reweight, clip):
    binner = UniformBinner(width=1.0, range=(0, 121))
    ours = lds_weights(agedb_train_ages, binner, reweight=reweight, clip=clip)
    expected = naive_lds_weights(agedb_train_ages, reweight=reweight, clip=clip)
    np.testing.assert_allclose(ours, expected, rtol=1e-10)
    assert ours.mean() == pytest.approx(1.0)
    # rarer ages get larger weights: the oldest ages outweigh the most common one
    common = np.bincount(agedb_train_ages.astype(int)).argmax()
    assert ours[agedb_train_ages == 100].min() > ours[agedb_train_ages == common].max()


def test_sqrt_is_taken_before_smoothing():
    y = np.repeat([0.5, 1.5, 2.5], [400, 100, 25])
    binner = UniformBinner(width=1.0, range=(0, 3))
    ours = LDSWeights(binner=binner, kernel="triangular", ks=3).fit(y)
    sqrt_counts = np.sqrt([400.0, 100.0, 25.0])
    smoothed_sqrt = [sqrt_counts[0] + 0.5 * sqrt_counts[1],
                     0.5 * sqrt_counts[0] + sqrt_counts[1] + 0.5 * sqrt_counts[2],
                     0.5 * sqrt_counts[1] + sqrt_counts[2]]
    np.testing.assert_allclose(ours.density_, smoothed_sqrt)


def test_without_lds_weights_are_inverse_counts():
    y = np.repeat([0.5, 1.5, 2.5], [40, 10, 5])
    w = lds_weights(y, UniformBinner(width=1.0), reweight="inverse", lds=False)
    ratios = w[[0, 40, 50]] / w[0]
    np.testing.assert_allclose(ratios, [1.0, 4.0, 8.0])


def test_none_reweighting_gives_ones():
    y = np.random.default_rng(0).exponential(size=50)
    np.testing.assert_array_equal(lds_weights(y, reweight="none"), np.ones(50))


def test_unfitted_binner_is_not_modified():
    binner = UniformBinner(width=1.0)
    lds_weights(np.array([1.0, 2.0, 2.5]), binner)
    assert not hasattr(binner, "edges_")


def test_empty_bins_get_zero_weight_on_transform():
    y = np.array([0.5, 0.5, 9.5])
    fitted = LDSWeights(binner=UniformBinner(width=1.0, range=(0, 10)), lds=False).fit(y)
    new = fitted.transform(np.array([0.5, 5.5]))
    assert new[0] > 0 and new[1] == 0.0


def test_reflect_padding_differs_from_zero_padding_at_the_edges():
    counts = np.array([10.0, 1.0, 1.0, 1.0, 10.0])
    zero = smooth_bins(counts, kernel="triangular", ks=3)
    reflect = smooth_bins(counts, kernel="triangular", ks=3, padding="reflect")
    np.testing.assert_allclose(zero[1:-1], reflect[1:-1])
    assert reflect[0] > zero[0]


def test_effective_density_is_the_smoothed_count():
    y = np.repeat([0.5, 2.5], [4, 2])
    binner = UniformBinner(width=1.0, range=(0, 4))
    np.testing.assert_allclose(
        effective_density(y, binner, kernel="triangular", ks=3), [4.0, 3.0, 2.0, 1.0]
    )


@pytest.mark.parametrize(
    ("param", "value"),
    [("reweight", "square"), ("ks", 0), ("sigma", -1.0), ("kernel", "box"), ("clip", (10, 5))],
)
def test_invalid_parameters_name_the_value(param, value):
    with pytest.raises(ValueError, match=param):
        LDSWeights(**{param: value}).fit(np.arange(10.0))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=200),
    st.sampled_from(["sqrt_inv", "inverse"]),
    st.booleans(),
    st.sampled_from(["gaussian", "triangular", "laplace"]),
)
def test_weights_are_positive_with_mean_one(labels, reweight, lds, kernel):
    w = lds_weights(np.array(labels), UniformBinner(width=1.0), reweight=reweight, lds=lds,
                    kernel=kernel)
    assert w.shape == (len(labels),)
    assert np.all(w > 0) and np.all(np.isfinite(w))
    assert w.mean() == pytest.approx(1.0)
    # samples sharing a bin share a weight
    bins = UniformBinner(width=1.0).fit_transform(np.array(labels))
    for b in np.unique(bins):
        assert np.ptp(w[bins == b]) <= 1e-9 * w[bins == b].max()


def test_a_sample_weight_of_two_counts_as_a_repeated_label():
    y = np.array([0.2, 0.4, 1.5, 2.5, 2.6, 2.7])
    binner = UniformBinner(width=1.0, range=(0, 3))
    weighted = LDSWeights(binner=binner, reweight="inverse").fit(y, sample_weight=[2, 1, 1, 1, 1, 0])
    repeated = LDSWeights(binner=binner, reweight="inverse").fit(np.r_[y[:5], y[0]])
    np.testing.assert_allclose(weighted.bin_weights_, repeated.bin_weights_, rtol=1e-12)
    assert np.average(weighted.weights_, weights=[2, 1, 1, 1, 1, 0]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("weight", "message"), [([1, 1], "one weight per label"), ([0, 0, 0], "not all zero")]
)
def test_invalid_sample_weight_is_refused(weight, message):
    with pytest.raises(ValueError, match=message):
        LDSWeights().fit([1.0, 2.0, 3.0], sample_weight=weight)
