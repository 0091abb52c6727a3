"""The fast row sort and ranks against the torch formulations they replace (exact equality)."""

import pytest
import torch

from dirkit.losses import ranksim_loss
from dirkit.losses._ranking import blackbox_row_ranks, row_ranks
from dirkit.losses._row_sort import row_argsort, tie_bounds


def _previous_row_ranks(scores, ties="ordinal"):
    """``row_ranks`` before the fast row sort: torch sort and searchsorted."""
    n_columns = scores.shape[1]
    if ties == "average":
        ascending = torch.sort(scores, dim=1).values
        not_above = torch.searchsorted(ascending, scores.contiguous(), right=True)
        below = torch.searchsorted(ascending, scores.contiguous(), right=False)
        ranks = n_columns - not_above + (not_above - below + 1).to(scores.dtype) / 2.0
    else:
        order = torch.argsort(scores, dim=1, descending=True, stable=True)
        ranks = torch.empty_like(order)
        positions = torch.arange(1, n_columns + 1).expand_as(order)
        ranks.scatter_(1, order, positions)
    return ranks.to(scores.dtype) / n_columns


def _matrix(dtype, ties):
    generator = torch.Generator().manual_seed(0)
    values = torch.randn(40, 64, generator=generator).to(dtype)
    if ties:
        values = values.mul(2.0).round()  # many ties, +0.0 and -0.0 among them
        values[0, :4] = torch.tensor([0.0, -0.0, 0.0, -0.0], dtype=dtype)
    return values


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("descending", [False, True])
def test_row_argsort_is_torch_stable_argsort(dtype, ties, descending):
    values = _matrix(dtype, ties)
    expected = torch.argsort(values, dim=1, descending=descending, stable=True)
    assert torch.equal(row_argsort(values, descending=descending), expected)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("kind", ["ordinal", "average"])
def test_row_ranks_equal_the_previous_implementation_exactly(dtype, ties, kind):
    values = _matrix(dtype, ties)
    assert torch.equal(row_ranks(values, ties=kind), _previous_row_ranks(values, ties=kind))


def test_tie_bounds_of_sorted_rows():
    start, end = tie_bounds(torch.tensor([[1.0, 1.0, 2.0, 3.0, 3.0, 3.0]]))
    assert start.tolist() == [[0, 0, 2, 3, 3, 3]] and end.tolist() == [[1, 1, 2, 5, 5, 5]]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ranksim_value_and_gradient_equal_the_previous_ranks(monkeypatch, dtype):
    generator = torch.Generator().manual_seed(1)
    features = torch.randn(256, 32, generator=generator).to(dtype)
    labels = torch.randint(0, 100, (256,), generator=generator).to(dtype)  # binned: ties in distance
    results = []
    for ranks in (row_ranks, _previous_row_ranks):
        monkeypatch.setattr("dirkit.losses._ranking.row_ranks", ranks)
        monkeypatch.setattr("dirkit.losses._ranksim.row_ranks", ranks)
        x = features.clone().requires_grad_(True)
        value = ranksim_loss(x, labels, generator=torch.Generator().manual_seed(2))
        results.append((value.detach(), torch.autograd.grad(value, x)[0]))
    (value, grad), (expected_value, expected_grad) = results
    assert torch.equal(value, expected_value)
    assert torch.equal(grad, expected_grad)


def test_blackbox_ranks_use_the_fast_ranks():
    scores = torch.randn(5, 7, generator=torch.Generator().manual_seed(3)).requires_grad_(True)
    ranks = blackbox_row_ranks(scores, 2.0)
    assert torch.equal(ranks, _previous_row_ranks(scores.detach()))
