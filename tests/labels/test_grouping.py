"""Histogram equalisation (Pintea eq. 12/13) and contiguous groups."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dirkit.labels import LabelGrouper, UniformBinner, class_keep_probability, equalize_histogram


def naive_equalize(counts, n_classes):
    """Spec section 1: class of bin i is ceil(C * cum_i / N) - 1, renumbered from 0."""
    total = sum(counts)
    raw, running = [], 0
    for c in counts:
        running += c
        raw.append(math.ceil(n_classes * running / total - 1e-12) - 1)
    first = next(i for i, c in enumerate(counts) if c > 0)
    raw = [raw[first]] * first + raw[first:]
    renumber = {v: k for k, v in enumerate(sorted(set(raw)))}
    return [renumber[v] for v in raw]


counts_strategy = st.lists(st.integers(0, 500), min_size=1, max_size=80).filter(lambda c: sum(c) > 0)


@settings(max_examples=150, deadline=None)
@given(counts_strategy, st.integers(1, 40))
def test_equalize_histogram_matches_eq12_and_is_contiguous(counts, n_classes):
    classes = equalize_histogram(counts, n_classes)
    assert classes.tolist() == naive_equalize(counts, n_classes)
    assert classes[0] == 0 and np.all(np.diff(classes) >= 0) and np.all(np.diff(classes) <= 1)
    assert classes.max() + 1 <= n_classes
    class_counts = np.bincount(classes, weights=counts)
    assert np.all(class_counts > 0)  # no class of empty bins only


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 20), st.integers(1, 30))
def test_equalize_histogram_of_a_flat_histogram_is_exact(n_classes, per_class):
    counts = [7] * (n_classes * per_class)
    classes = equalize_histogram(counts, n_classes)
    assert np.bincount(classes).tolist() == [per_class] * n_classes


def test_class_keep_probability_eq13():
    np.testing.assert_allclose(class_keep_probability([40, 10, 20, 0]), [0.25, 1.0, 0.5, 0.0])


def test_uniform_groups_follow_the_papers_formula():
    y = np.random.default_rng(0).uniform(10, 50, size=500)
    grouper = LabelGrouper(n_groups=8).fit(y)
    width = (y.max() - y.min()) / 8
    expected = np.minimum(np.floor((y - y.min()) / width + 1e-9), 7).astype(int)
    np.testing.assert_array_equal(grouper.transform(y), expected)


def test_quantile_groups_are_balanced_on_skewed_labels():
    y = np.random.default_rng(1).exponential(10.0, size=5000)
    grouper = LabelGrouper(n_groups=5, strategy="quantile",
                           binner=UniformBinner(n_bins=400)).fit(y)
    assert grouper.n_groups_ == 5
    shares = grouper.counts_ / y.size
    assert np.all(np.abs(shares - 0.2) < 0.03)
    uniform = LabelGrouper(n_groups=5).fit(y)
    assert uniform.counts_.max() / uniform.counts_.min() > 50


def test_group_values_are_means_or_midpoints():
    y = np.array([0.0, 1.0, 2.0, 8.0, 10.0])
    grouper = LabelGrouper(n_groups=2).fit(y)
    np.testing.assert_allclose(grouper.inverse_transform([0, 1]), [1.0, 9.0])
    np.testing.assert_allclose(grouper.inverse_transform([0, 1], value="midpoint"), [2.5, 7.5])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        grouper.inverse_transform([2])


def test_group_edges_bound_their_members():
    y = np.random.default_rng(2).gamma(2.0, 5.0, size=2000)
    grouper = LabelGrouper(n_groups=6, strategy="quantile").fit(y)
    g = grouper.transform(y)
    assert np.all(grouper.edges_[g] <= y + 1e-9)
    assert np.all(y <= grouper.edges_[g + 1] + 1e-9)
    assert grouper.keep_probability_.max() == 1.0
