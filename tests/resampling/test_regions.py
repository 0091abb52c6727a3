import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dirkit.exceptions import ConfigError, ShapeError
from dirkit.resampling import boxplot_relevance, split_regions


def test_two_tailed_relevance_gives_rare_common_rare():
    y = np.r_[-40.0, -35.0, np.arange(30.0), 90.0, 95.0]
    regions = split_regions(y, boxplot_relevance(y))
    assert [r.rare for r in regions] == [True, False, True]
    # whiskers at 0 and 29, median 14.5: phi >= 0.5 halfway from the median to a whisker, so
    # 0..7 and 22..29 are rare along with the outliers
    assert [r.n_samples for r in regions] == [10, 14, 10]
    assert (regions[0].low, regions[0].high) == (-40.0, 7.0)
    assert "rare" in repr(regions[0])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.floats(-100, 100), min_size=1, max_size=60),
    st.floats(0.01, 1.0),
    st.sampled_from(["both", "high", "low"]),
)
def test_regions_partition_samples_into_alternating_contiguous_runs(values, threshold, tails):
    y = np.array(values)
    phi = boxplot_relevance(y, tails=tails)
    regions = split_regions(y, phi, threshold=threshold)
    all_indices = np.concatenate([r.indices for r in regions])
    assert sorted(all_indices.tolist()) == list(range(y.size))
    for region in regions:
        assert np.all((phi[region.indices] >= threshold) == region.rare)
        assert np.all(np.diff(y[region.indices]) >= 0)
        assert region.low == y[region.indices].min() and region.high == y[region.indices].max()
    for left, right in itertools.pairwise(regions):
        assert left.rare != right.rare
        assert left.high <= right.low


def test_errors_name_the_problem():
    with pytest.raises(ShapeError, match=r"y has shape \(3,\), relevance has shape \(2,\)"):
        split_regions(np.zeros(3), np.zeros(2))
    with pytest.raises(ConfigError, match="'threshold' parameter of split_regions"):
        split_regions(np.zeros(3), np.zeros(3), threshold=2.0)
    assert split_regions(np.zeros(0), np.zeros(0)) == []
