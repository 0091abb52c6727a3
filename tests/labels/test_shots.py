import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dirkit.exceptions import ConfigError
from dirkit.labels import SHOTS, UniformBinner, bin_shots, sample_shots, zero_shot_regions


def naive_shot(count, many=100, few=20):
    if count == 0:
        return "zero"
    if count > many:
        return "many"
    if count < few:
        return "few"
    return "medium"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=1, max_size=60), st.integers(0, 150),
       st.integers(0, 50))
def test_bin_shots_match_the_rule_and_partition_the_bins(counts, many, few):
    if few > many + 1:
        with pytest.raises(ConfigError):
            bin_shots(counts, many=many, few=few)
        return
    shots = bin_shots(counts, many=many, few=few)
    assert shots.tolist() == [naive_shot(c, many, few) for c in counts]
    assert set(shots) <= set(SHOTS)


def test_sample_shots_follow_the_training_counts():
    train = np.repeat([0.5, 1.5, 2.5, 3.5], [101, 100, 20, 19])
    binner = UniformBinner(width=1.0, range=(0, 5)).fit(train)
    shots = sample_shots(np.array([0.1, 1.1, 2.1, 3.1, 4.1]), binner)
    assert shots.tolist() == ["many", "medium", "medium", "few", "zero"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=40))
def test_zero_shot_regions_split_the_empty_bins_at_the_training_range(counts):
    inside, outside = zero_shot_regions(counts)
    seen = [i for i, c in enumerate(counts) if c > 0]
    for i, c in enumerate(counts):
        interior = bool(seen) and seen[0] < i < seen[-1]
        assert inside[i] == (c == 0 and interior)
        assert outside[i] == (c == 0 and not interior)
    assert not (inside & outside).any()


def test_zero_shot_regions_refuse_negative_counts():
    with pytest.raises(ConfigError):
        zero_shot_regions([1, -1, 2])
