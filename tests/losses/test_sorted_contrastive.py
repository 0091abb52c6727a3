"""The sort path with its closed-form backward against the autograd formulation (value, gradient)."""

import pytest
import torch

from dirkit.losses import rank_n_contrast_loss
from dirkit.losses._ordinal_contrastive import ordinal_contrastive_per_anchor
from dirkit.losses._rnc import _euclidean_distances
from dirkit.losses._sorted_contrastive import (
    _log_cumsum_exp,
    _row_order,
    sorted_ordinal_contrastive_per_anchor,
)

# float32: both implementations carry their own rounding (about 1e-6 of the largest entry).
TOLERANCE = {torch.float32: 2e-6, torch.float64: 1e-12}


def _assert_close(actual, expected, dtype):
    tolerance = TOLERANCE[dtype]
    scale = expected.detach().abs().max().item()
    torch.testing.assert_close(actual, expected, rtol=tolerance, atol=tolerance * scale)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n_levels", [None, 3, 40])  # None: continuous labels, no ties
@pytest.mark.parametrize("temperature", [2.0, -0.5])
def test_values_and_gradients_equal_the_autograd_formulation(dtype, n_levels, temperature):
    generator = torch.Generator().manual_seed(0 if n_levels is None else n_levels)
    n = 80
    scores = torch.randn(n, n, dtype=dtype, generator=generator).mul(4.0).requires_grad_(True)
    if n_levels is None:
        labels = torch.rand(n, dtype=dtype, generator=generator)
    else:
        labels = torch.randint(0, n_levels, (n,), generator=generator).to(dtype)
    distances = (labels[:, None] - labels[None, :]).abs()
    columns = torch.arange(n)
    upstream = torch.rand(n, dtype=dtype, generator=generator)
    fast = sorted_ordinal_contrastive_per_anchor(scores, distances, columns, temperature=temperature)
    reference = ordinal_contrastive_per_anchor(scores / temperature, distances, columns)
    (fast_grad,) = torch.autograd.grad((upstream * fast).sum(), scores)
    (reference_grad,) = torch.autograd.grad((upstream * reference).sum(), scores)
    _assert_close(fast, reference, dtype)
    _assert_close(fast_grad, reference_grad, dtype)


def test_anchor_columns_in_a_wider_gathered_batch():
    generator = torch.Generator().manual_seed(1)
    scores = torch.randn(10, 10, dtype=torch.float64, generator=generator, requires_grad=True)
    labels = torch.randint(0, 4, (10,), generator=generator).double()
    rows = torch.tensor([7, 2, 9])
    distances = (labels[rows][:, None] - labels[None, :]).abs()
    fast = sorted_ordinal_contrastive_per_anchor(scores[rows], distances, rows)
    reference = ordinal_contrastive_per_anchor(scores[rows], distances, rows)
    (fast_grad,) = torch.autograd.grad(fast.sum(), scores)
    (reference_grad,) = torch.autograd.grad(reference.sum(), scores)
    torch.testing.assert_close(fast, reference, rtol=1e-12, atol=0.0)
    torch.testing.assert_close(fast_grad, reference_grad, rtol=1e-12, atol=1e-14)
    assert torch.all(fast_grad[rows, rows] == 0)  # the anchor is in no term


def test_large_logits_keep_finite_values_and_gradients():
    scores = torch.tensor([[0.0, 1e4, -1e4], [1e4, 0.0, 2e4], [-1e4, 3e4, 0.0]], requires_grad=True)
    distances = torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    value = sorted_ordinal_contrastive_per_anchor(scores, distances, torch.arange(3)).sum()
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(scores.grad).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_rank_n_contrast_with_continuous_labels_equals_the_previous_implementation(dtype):
    generator = torch.Generator().manual_seed(2)
    features = torch.randn(256, 128, dtype=dtype, generator=generator)
    labels = 100.0 * torch.rand(256, dtype=dtype, generator=generator)

    def previous(x, y):
        logits = -_euclidean_distances(x, x) / 2.0
        distances = (y[:, None] - y[None, :]).abs()
        return ordinal_contrastive_per_anchor(logits, distances, torch.arange(x.shape[0])).mean()

    results = []
    for loss in (rank_n_contrast_loss, previous):
        x = features.clone().requires_grad_(True)
        value = loss(x, labels)
        results.append((value.detach(), torch.autograd.grad(value, x)[0]))
    (value, grad), (expected_value, expected_grad) = results
    _assert_close(value, expected_value, dtype)
    _assert_close(grad, expected_grad, dtype)


def test_backward_twice_with_a_retained_graph_gives_the_same_gradient():
    generator = torch.Generator().manual_seed(3)
    features = torch.randn(20, 4, generator=generator, requires_grad=True)
    value = rank_n_contrast_loss(features, torch.rand(20, generator=generator))
    (first,) = torch.autograd.grad(value, features, retain_graph=True)
    (second,) = torch.autograd.grad(value, features)
    torch.testing.assert_close(first, second, rtol=0.0, atol=0.0)


@pytest.mark.parametrize("reverse", [False, True])
def test_log_cumsum_exp_equals_torch_for_narrow_and_wide_rows(reverse):
    generator = torch.Generator().manual_seed(4)
    spreads = torch.tensor([1.0, 5.0, 10.0, 30.0, 100.0, 1e4])[:, None]  # the last 3: exact fallback
    values = torch.randn(6, 50, generator=generator) * spreads
    values[:, 0] = -torch.inf  # the anchor's column
    expected = torch.logcumsumexp(values.flip(1) if reverse else values, dim=1)
    expected = expected.flip(1) if reverse else expected
    actual = _log_cumsum_exp(values, reverse=reverse)
    finite = torch.isfinite(expected)
    assert torch.equal(finite, torch.isfinite(actual))
    torch.testing.assert_close(actual[finite], expected[finite], rtol=1e-6, atol=1e-5)


def test_row_order_puts_the_anchor_first_and_sorts_the_rest_like_argsort():
    generator = torch.Generator().manual_seed(5)
    distances = torch.randint(0, 4, (5, 9), generator=generator).float()  # ties
    anchors = torch.tensor([0, 3, 8, 2, 2])
    for values in (distances, distances.double()):  # the NumPy key sort and torch.argsort
        order = _row_order(values, anchors)
        assert torch.equal(order[:, 0], anchors)
        ordered = values.gather(1, order)[:, 1:]
        assert torch.all(ordered[:, 1:] >= ordered[:, :-1])
        assert torch.equal(order.sort(dim=1).values, torch.arange(9).expand(5, 9))
