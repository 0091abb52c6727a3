"""UniformBinner: properties, decimal edges, clipping, and the shot counts of the real splits."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dirkit.exceptions import ConfigError, LabelError, LabelRangeWarning, NotFittedError
from dirkit.labels import UniformBinner, sample_shots

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=100, deadline=None)
@given(st.lists(finite, min_size=1, max_size=100), st.integers(1, 50))
def test_fitted_bins_cover_the_labels(labels, n_bins):
    y = np.array(labels)
    binner = UniformBinner(n_bins=n_bins).fit(y)
    ids = binner.transform(y)
    assert binner.n_bins_ == n_bins and binner.n_clipped_ == 0
    assert ids.min() >= 0 and ids.max() < n_bins
    assert binner.counts_.sum() == y.size
    # monotone: larger labels never fall in an earlier bin
    order = np.argsort(y, kind="stable")
    assert np.all(np.diff(ids[order]) >= 0)
    # each label lies inside its bin (up to the edge tolerance)
    width = binner.bin_width_
    assert np.all(binner.edges_[ids] <= y + 1e-6 * width)
    assert np.all(y <= binner.edges_[ids + 1] + 1e-6 * width)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 200), min_size=1, max_size=100))
def test_integer_labels_with_unit_width_get_one_bin_each(labels):
    y = np.array(labels, dtype=float)
    binner = UniformBinner(width=1.0).fit(y)
    np.testing.assert_array_equal(binner.transform(y), y - y.min())
    assert binner.n_bins_ == int(y.max() - y.min()) + 1


@pytest.mark.parametrize("k", range(51))
def test_decimal_labels_on_an_edge_start_their_bin(k):
    label = round(k * 0.1, 1)
    binner = UniformBinner(width=0.1, range=(0, 5)).fit([0.0, 5.0])
    assert binner.transform([label])[0] == min(k, 49)


def test_out_of_range_labels_are_clipped_counted_and_warned_once():
    binner = UniformBinner(width=1.0, range=(0, 10))
    with pytest.warns(LabelRangeWarning, match="3 training labels outside") as record:
        binner.fit(np.array([-1.0, 5.0, 11.0, 12.5]))
    assert len(record) == 1
    assert binner.n_clipped_ == 3
    np.testing.assert_array_equal(binner.counts_[[0, 5, 9]], [1, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert binner.transform([10.0])[0] == 9  # the top edge belongs to the last bin


def test_default_is_one_hundred_bins_over_the_training_range():
    binner = UniformBinner().fit(np.linspace(3.0, 7.0, 50))
    assert binner.n_bins_ == 100 and binner.range_ == (3.0, 7.0)


def test_constant_labels_make_one_bin():
    binner = UniformBinner(width=0.5).fit(np.full(5, 2.0))
    assert binner.n_bins_ == 1 and binner.counts_.tolist() == [5]


def test_errors_name_the_problem():
    with pytest.raises(LabelError, match=r"1 NaN .* index 2"):
        UniformBinner().fit([1.0, 2.0, float("nan")])
    with pytest.raises(LabelError, match="infinite"):
        UniformBinner().fit([1.0, float("inf")])
    with pytest.raises(ConfigError, match="either 'width' or 'n_bins'"):
        UniformBinner(width=1.0, n_bins=3).fit([1.0])
    with pytest.raises(ConfigError, match="'range' parameter"):
        UniformBinner(range=(5, 1)).fit([1.0])
    with pytest.raises(NotFittedError, match="not fitted"):
        UniformBinner().transform([1.0])
    with pytest.raises(LabelError, match="1-D"):
        UniformBinner().fit(np.ones((3, 2)))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"width": 1e-9}, r"width=1e-09\) would make 100,000,000,000 bins over the training labels' "
                          r"range \[0, 100\].*use width >= 0.0001"),
        ({"width": 1e-9, "range": (0, 121)}, r"width=1e-09\) would make 121,000,000,000 bins over the "
                                             r"given range \[0, 121\]"),
        ({"n_bins": 10**12}, r"n_bins=1000000000000\) would make 1,000,000,000,000 bins"),
        ({"width": 1.0, "range": (-1e308, 1e308)}, r"infinitely many bins"),
    ],
)
def test_too_many_bins_is_a_clear_value_error_not_a_memory_error(params, message):
    with pytest.raises(ValueError, match=message) as raised:
        UniformBinner(**params).fit(np.array([0.0, 100.0]))
    assert isinstance(raised.value, ConfigError)


def test_a_million_bins_are_still_allowed():
    assert UniformBinner(width=1e-4).fit(np.array([0.0, 100.0])).n_bins_ == 1_000_001


def test_sklearn_clone_and_params():
    from sklearn.base import clone

    binner = UniformBinner(width=0.1, range=(0, 5))
    assert clone(binner).get_params() == {"width": 0.1, "n_bins": None, "range": (0, 5)}


def _read_sts(data_dir, split):
    path = data_dir / "sts-b-dir" / f"{split}_new.tsv"
    return pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE)["score"].to_numpy(dtype=float)


def test_sts_b_dir_shot_split_matches_the_documented_counts(data_dir):
    binner = UniformBinner(width=0.1, range=(0, 5)).fit(_read_sts(data_dir, "train"))
    shots = sample_shots(_read_sts(data_dir, "test"), binner)
    counts = {s: int((shots == s).sum()) for s in ("many", "medium", "few", "zero")}
    assert counts == {"many": 756, "medium": 207, "few": 37, "zero": 0}


def test_agedb_dir_shot_split_matches_the_documented_counts(data_dir):
    table = pd.read_csv(data_dir / "agedb-dir" / "agedb.csv")
    train = table.loc[table["split"] == "train", "age"].to_numpy(dtype=float)
    test = table.loc[table["split"] == "test", "age"].to_numpy(dtype=float)
    binner = UniformBinner(width=1.0, range=(0, 121)).fit(train)
    shots = sample_shots(test, binner)
    images = {s: int((shots == s).sum()) for s in ("many", "medium", "few", "zero")}
    assert images == {"many": 1530, "medium": 448, "few": 162, "zero": 0}
    ages = np.unique(test)
    per_age = sample_shots(ages, binner)
    assert {s: int((per_age == s).sum()) for s in ("many", "medium", "few")} == {
        "many": 51, "medium": 16, "few": 25
    }
