import numpy as np
import pytest
import torch
from scipy.stats import rankdata

from dirkit.losses._ranking import blackbox_row_ranks, row_ranks


@pytest.mark.parametrize("ties", ["average", "ordinal"])
def test_row_ranks_match_scipy_descending_ranks(ties):
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, size=(5, 7)).astype(float)  # many ties
    expected = np.stack([rankdata(-row, method=ties) for row in scores]) / 7
    np.testing.assert_allclose(row_ranks(torch.from_numpy(scores), ties=ties).numpy(), expected)


def test_blackbox_gradient_is_the_interpolation_formula():
    rng = np.random.default_rng(1)
    scores, upstream, strength = rng.normal(size=(3, 6)), rng.normal(size=(3, 6)), 2.0
    leaf = torch.from_numpy(scores).requires_grad_(True)
    (blackbox_row_ranks(leaf, strength) * torch.from_numpy(upstream)).sum().backward()
    rank = lambda s: np.stack([rankdata(-row, method="ordinal") for row in s]) / 6  # noqa: E731
    expected = -(rank(scores) - rank(scores + strength * upstream)) / strength
    np.testing.assert_allclose(leaf.grad.numpy(), expected)
