"""The validation split, label bins and batch size ``DIRRegressor.fit`` derives from ``(X, y)``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dirkit.estimator._data import label_bins, validation_split
from dirkit.exceptions import LabelError
from dirkit.labels import UniformBinner


@given(n=st.integers(2, 400), fraction=st.floats(0, 0.5), seed=st.integers(0, 2**31))
def test_the_split_partitions_the_rows_and_repeats_with_the_seed(n, fraction, seed):
    try:
        train, val = validation_split(n, fraction, np.random.RandomState(seed))
    except LabelError:
        assert n - np.ceil(fraction * n) < 2
        return
    assert sorted([*train, *val]) == list(range(n)) and len(train) >= 2
    assert len(val) == (np.ceil(fraction * n) if fraction > 0 else 0)
    again = validation_split(n, fraction, np.random.RandomState(seed))
    np.testing.assert_array_equal(again[1], val)


def test_too_few_rows_say_how_many_are_needed():
    with pytest.raises(LabelError, match=r"at least 3 samples .* got 1 sample\."):
        validation_split(1, 0.1, np.random.RandomState(0))
    with pytest.raises(LabelError, match="at least 2 samples"):
        validation_split(1, 0.0, np.random.RandomState(0))


@given(
    y=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=50).map(np.array),
    n_bins=st.integers(1, 200),
    width=st.one_of(st.none(), st.floats(0.01, 50)),
)
def test_the_bins_hold_every_label_without_clipping(y, n_bins, width):
    bin_width, label_range = label_bins(y, n_bins=n_bins, bin_width=width)
    binner = UniformBinner(width=bin_width, range=label_range).fit(y)
    assert binner.n_clipped_ == 0
    if width is None:
        assert binner.n_bins_ == n_bins
    else:
        assert binner.bin_width_ == pytest.approx(width)
