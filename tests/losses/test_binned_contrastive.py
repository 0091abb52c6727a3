"""The bucket path of the ordinal contrastive objective against the sort path (value and gradient)."""

import pytest
import torch
import torch.nn.functional as F

from dirkit.losses import group_contrastive_loss, rank_n_contrast_loss
from dirkit.losses._binned_contrastive import (
    MASK_MAX_BUCKETS,
    binned_ordinal_contrastive_per_anchor,
    bucket_cumulative_terms,
)
from dirkit.losses._ordinal_contrastive import ordinal_contrastive, ordinal_contrastive_per_anchor
from dirkit.losses._rnc import _euclidean_distances

# float32: the two implementations differ by their own rounding (each about 1e-6 of the largest
# gradient entry from the float64 value, as the logits themselves carry float32 rounding).
TOLERANCE = {torch.float32: 2e-6, torch.float64: 1e-12}


def _sorted_group_contrastive(features, groups, temperature=0.07):
    """The group contrastive loss as it was before the bucket path (per-row sort, O(n^2 log n))."""
    anchors = F.normalize(features, dim=1)
    logits = anchors @ anchors.T / temperature
    distances = (groups[:, None] - groups[None, :]).abs()
    return ordinal_contrastive_per_anchor(logits, distances, torch.arange(features.shape[0])).mean()


def _value_and_grad(loss, features, *args, **kwargs):
    features = features.detach().clone().requires_grad_(True)
    value = loss(features, *args, **kwargs)
    (grad,) = torch.autograd.grad(value.sum(), features)
    return value.detach(), grad


def _assert_close(actual, expected, dtype):
    tolerance = TOLERANCE[dtype]
    scale = expected.detach().abs().max().item()
    torch.testing.assert_close(actual, expected, rtol=tolerance, atol=tolerance * scale)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("n", "n_groups"), [(256, 10), (512, 10), (40, 2), (100, 30)])
def test_group_contrastive_loss_equals_the_sort_implementation(dtype, n, n_groups):
    generator = torch.Generator().manual_seed(n + n_groups)
    features = torch.randn(n, 128, dtype=dtype, generator=generator)
    groups = torch.randint(0, n_groups, (n,), generator=generator)
    value, grad = _value_and_grad(group_contrastive_loss, features, groups)
    expected_value, expected_grad = _value_and_grad(_sorted_group_contrastive, features, groups)
    _assert_close(value, expected_value, dtype)
    _assert_close(grad, expected_grad, dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n_levels", [2, 3, 7, 45])  # 45 levels: the sort over buckets
def test_per_anchor_values_and_logit_gradients_equal_the_sort_path(dtype, n_levels):
    generator = torch.Generator().manual_seed(n_levels)
    n = 120
    logits = (3.0 * torch.randn(n, n, dtype=dtype, generator=generator)).requires_grad_(True)
    values = torch.randint(0, n_levels, (n,), generator=generator).to(dtype) * 0.5  # exact ties
    columns = torch.arange(n)
    binned = binned_ordinal_contrastive_per_anchor(logits, values, values, columns)
    sort = ordinal_contrastive_per_anchor(logits, (values[:, None] - values[None, :]).abs(), columns)
    weights = torch.rand(n, dtype=dtype, generator=generator)  # a non-uniform upstream gradient
    (binned_grad,) = torch.autograd.grad((weights * binned).sum(), logits)
    (sort_grad,) = torch.autograd.grad((weights * sort).sum(), logits)
    _assert_close(binned, sort, dtype)
    _assert_close(binned_grad, sort_grad, dtype)
    assert torch.all(binned_grad.diagonal() == 0)  # the anchor is in no term


def test_a_group_holding_only_the_anchor_and_a_wider_gathered_batch():
    generator = torch.Generator().manual_seed(3)
    n = 12
    logits = torch.randn(n, n, dtype=torch.float64, generator=generator)
    values = torch.tensor([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 5]).double()  # 5: one sample only
    rows = torch.tensor([11, 3, 0])  # the anchors of one process, columns in the gathered batch
    binned = binned_ordinal_contrastive_per_anchor(logits[rows], values[rows], values, rows)
    distances = (values[rows][:, None] - values[None, :]).abs()
    sort = ordinal_contrastive_per_anchor(logits[rows], distances, rows)
    torch.testing.assert_close(binned, sort, rtol=1e-12, atol=0.0)


def test_equals_the_naive_loop_with_ties(naive_loop):
    generator = torch.Generator().manual_seed(4)
    logits = 3.0 * torch.randn(9, 9, dtype=torch.float64, generator=generator)
    values = torch.tensor([0.0, 1.0, 1.0, 2.0, 0.0, 3.0, 1.0, 2.0, 2.0])  # d = 1 on both sides
    binned = binned_ordinal_contrastive_per_anchor(logits, values, values, torch.arange(9))
    distances = (values[:, None] - values[None, :]).abs()
    assert binned.mean().item() == pytest.approx(naive_loop(logits.numpy(), distances.numpy()), rel=1e-12)


def test_small_temperature_matches_the_sort_path_in_float32():
    # Logits span 400: a shift by the row's maximum would underflow whole buckets in float32.
    generator = torch.Generator().manual_seed(5)
    features = torch.randn(64, 16, generator=generator)
    groups = torch.arange(64) % 4
    value, grad = _value_and_grad(group_contrastive_loss, features, groups, temperature=0.005)
    expected_value, expected_grad = _value_and_grad(_sorted_group_contrastive, features, groups, 0.005)
    assert torch.isfinite(grad).all()
    torch.testing.assert_close(value, expected_value, rtol=1e-6, atol=0.0)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-5, atol=1e-5 * expected_grad.abs().max())


@pytest.mark.parametrize("n_buckets", [6, 40])  # the (m, G, G) mask path and the sort path
def test_bucket_cumulative_terms_follow_their_definition(n_buckets):
    assert (n_buckets <= MASK_MAX_BUCKETS) == (n_buckets == 6)
    generator = torch.Generator().manual_seed(6)
    lse = torch.randn(5, n_buckets, dtype=torch.float64, generator=generator)
    lse[0, 1] = -torch.inf  # an empty bucket
    log_counts = torch.randn(5, n_buckets, dtype=torch.float64, generator=generator)
    distances = torch.randint(0, 3, (5, n_buckets), generator=generator).double()
    denominator, weight = bucket_cumulative_terms(lse, log_counts, distances)
    farther = distances[:, None, :] >= distances[:, :, None]  # [i, c, c']: d_c' >= d_c
    expected_denominator = torch.logsumexp(lse[:, None, :].masked_fill(~farther, -torch.inf), dim=2)
    terms = log_counts - expected_denominator
    expected_weight = torch.logsumexp(terms[:, :, None].masked_fill(~farther, -torch.inf), dim=1)
    torch.testing.assert_close(denominator, expected_denominator, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(weight, expected_weight, rtol=1e-12, atol=1e-12)


def test_dispatch_sorts_continuous_labels_and_buckets_few_levels():
    generator = torch.Generator().manual_seed(7)
    logits = torch.randn(30, 30, dtype=torch.float64, generator=generator)
    columns = torch.arange(30)
    for values in (torch.rand(30, dtype=torch.float64, generator=generator), torch.arange(30.0) % 3):
        expected = ordinal_contrastive_per_anchor(logits, (values[:, None] - values[None, :]).abs(), columns)
        torch.testing.assert_close(ordinal_contrastive(logits, values, values, columns), expected)


def test_rank_n_contrast_with_binned_labels_equals_the_sort_path():
    generator = torch.Generator().manual_seed(8)
    features = torch.randn(128, 16, dtype=torch.float64, generator=generator)
    labels = torch.randint(0, 20, (128,), generator=generator).double()  # 20 levels: bucket path
    value, grad = _value_and_grad(rank_n_contrast_loss, features, labels)

    def sorted_rnc(x, y):
        logits = -_euclidean_distances(x, x) / 2.0
        distances = (y[:, None] - y[None, :]).abs()
        return ordinal_contrastive_per_anchor(logits, distances, torch.arange(128)).mean()

    expected_value, expected_grad = _value_and_grad(sorted_rnc, features, labels)
    _assert_close(value, expected_value, torch.float64)
    _assert_close(grad, expected_grad, torch.float64)


def test_backward_twice_with_a_retained_graph_gives_the_same_gradient():
    generator = torch.Generator().manual_seed(9)
    features = torch.randn(20, 4, generator=generator, requires_grad=True)
    value = group_contrastive_loss(features, torch.arange(20) % 3)
    (first,) = torch.autograd.grad(value, features, retain_graph=True)
    (second,) = torch.autograd.grad(value, features)
    torch.testing.assert_close(first, second, rtol=0.0, atol=0.0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_one_shared_shift_for_bounded_scores_equals_per_bucket_shifts(dtype):
    generator = torch.Generator().manual_seed(10)
    n = 90
    scores = torch.randn(n, n, dtype=dtype, generator=generator).tanh().requires_grad_(True)  # |s| < 1
    values = torch.randint(0, 6, (n,), generator=generator).to(dtype)
    columns = torch.arange(n)
    results = []
    for bound in (1.0, None):
        per_anchor = binned_ordinal_contrastive_per_anchor(
            scores, values, values, columns, temperature=0.07, score_bound=bound
        )
        results.append((per_anchor, torch.autograd.grad(per_anchor.sum(), scores)[0]))
    (shared, shared_grad), (own, own_grad) = results
    _assert_close(shared, own, dtype)
    _assert_close(shared_grad, own_grad, dtype)


@pytest.mark.parametrize("loss", [group_contrastive_loss, rank_n_contrast_loss])
def test_bfloat16_autocast_gives_finite_gradients_close_to_float32(loss):
    generator = torch.Generator().manual_seed(11)
    features = torch.randn(64, 16, generator=generator, requires_grad=True)
    labels = (torch.arange(64) % 4).float()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = loss(features, labels)
    (low_grad,) = torch.autograd.grad(low, features)
    value = loss(features, labels)
    assert low_grad.dtype == torch.float32 and torch.isfinite(low_grad).all()
    assert low.item() == pytest.approx(value.item(), rel=2e-2)
