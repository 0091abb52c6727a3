"""HCA's hierarchical class splits and transition matrices."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dirkit.exceptions import ConfigError
from dirkit.labels import HierarchicalSplit, UniformBinner, split_contiguous, transition_matrix


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=130), st.integers(1, 64))
def test_split_contiguous_gives_exactly_the_requested_nonempty_runs(mass, n_classes):
    if n_classes > len(mass):
        with pytest.raises(ConfigError):
            split_contiguous(mass, n_classes)
        return
    classes = split_contiguous(mass, n_classes)
    assert classes.shape == (len(mass),)
    assert classes[0] == 0 and classes[-1] == n_classes - 1
    assert np.all(np.diff(classes) >= 0) and np.all(np.diff(classes) <= 1)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 6), st.integers(2, 20))
def test_split_contiguous_balances_mass_when_bins_are_fine(level, per_class):
    n_classes = 2**level
    mass = np.random.default_rng(level * 100 + per_class).integers(1, 10, n_classes * per_class * 4)
    classes = split_contiguous(mass, n_classes)
    class_mass = np.bincount(classes, weights=mass)
    # each class is within one (largest) bin of the ideal share
    assert np.all(np.abs(class_mass - mass.sum() / n_classes) <= mass.max())


def test_transition_matrix_maps_fine_to_coarse():
    t = transition_matrix([0, 0, 1, 2, 2], 3)
    np.testing.assert_array_equal(t.sum(axis=0), np.ones(5))
    np.testing.assert_array_equal(t.argmax(axis=0), [0, 0, 1, 2, 2])


@pytest.mark.parametrize("balance", ["count", "sqrt_count", "length"])
def test_hierarchy_levels_on_age_like_labels(balance):
    rng = np.random.default_rng(0)
    y = np.clip(rng.normal(35, 12, size=8000), 0, 120).round()
    split = HierarchicalSplit(n_levels=7, balance=balance,
                              binner=UniformBinner(width=1.0, range=(0, 121))).fit(y)
    assert split.level_sizes_ == [2, 4, 8, 16, 32, 64, 121]
    classes = split.transform(y)
    assert classes.shape == (8000, 7)
    fine = classes[:, -1]
    for h, matrix in enumerate(split.transition_matrices_):
        # T maps every sample's fine class to its class at level h
        np.testing.assert_array_equal(matrix[:, fine].argmax(axis=0), classes[:, h])
        assert split.counts_[h].sum() == 8000
    if balance == "count":
        two = split.counts_[0]
        assert abs(two[0] - two[1]) < 0.1 * y.size  # split near the median
    if balance == "length":
        assert np.bincount(split.fine_to_coarse_[0]).tolist() == [60, 61]


def test_too_many_levels_for_the_bins_is_a_clear_error():
    with pytest.raises(ConfigError, match="n_levels <= 4"):
        HierarchicalSplit(n_levels=6, binner=UniformBinner(n_bins=10)).fit(np.arange(10.0))
