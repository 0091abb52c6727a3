import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dirkit.density import normalize_within_groups
from dirkit.exceptions import ConfigError, ShapeError


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(0.01, 100), st.integers(0, 5)), min_size=1, max_size=60))
def test_weights_average_one_inside_every_group(pairs):
    weights = np.array([w for w, _ in pairs])
    groups = np.array([g for _, g in pairs])
    out = normalize_within_groups(weights, groups)
    for g in np.unique(groups):
        members = groups == g
        naive = [w / np.mean(weights[members]) for w in weights[members]]
        np.testing.assert_allclose(out[members], naive)
        assert out[members].mean() == pytest.approx(1.0)


def test_bad_inputs():
    with pytest.raises(ShapeError):
        normalize_within_groups([1.0, 2.0], [0])
    with pytest.raises(ConfigError, match="only zero weights"):
        normalize_within_groups([0.0, 0.0, 1.0], [0, 0, 1])
