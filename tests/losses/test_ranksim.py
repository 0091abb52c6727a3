import numpy as np
import pytest
import torch
from scipy.stats import rankdata

from dirkit.losses import RankSimLoss, ranksim_loss


def _naive_ranksim(features, labels, ties="average"):
    """sum_i mean_j (rank(cos(z_i, z_j)) - rank(-|y_i - y_j|))^2 over distinct labels."""
    normalised = features / np.linalg.norm(features, axis=1, keepdims=True)
    m, total = len(labels), 0.0
    for i in range(m):
        feature_rank = rankdata(-(normalised @ normalised[i]), method="ordinal") / m
        label_rank = rankdata(np.abs(labels[i] - labels), method=ties) / m
        total += np.mean((feature_rank - label_rank) ** 2)
    return total


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_the_rank_mse_loop_for_distinct_labels(seed):
    rng = np.random.default_rng(seed)
    features, labels = rng.normal(size=(12, 5)), rng.permutation(12).astype(float)
    value = ranksim_loss(torch.from_numpy(features), torch.from_numpy(labels), gamma=3.0)
    assert value.item() == pytest.approx(3.0 * _naive_ranksim(features, labels), rel=1e-12)


def test_ordinal_label_ties_are_broken_by_label_order():
    rng = np.random.default_rng(3)
    features, labels = rng.normal(size=(6, 3)), np.arange(6.0)
    order = np.argsort(labels)
    value = ranksim_loss(torch.from_numpy(features), torch.from_numpy(labels), label_ties="ordinal")
    expected = _naive_ranksim(features[order], labels[order], ties="ordinal")
    assert value.item() == pytest.approx(expected, rel=1e-12)


def test_keeps_one_sample_per_unique_label():
    rng = np.random.default_rng(4)
    unique_features = rng.normal(size=(3, 4))
    labels = np.array([0.0, 0.0, 1.0, 2.0, 2.0, 2.0])
    features = unique_features[labels.astype(int)]  # duplicates share their features
    generator = torch.Generator().manual_seed(0)
    value = ranksim_loss(torch.from_numpy(features), torch.from_numpy(labels), generator=generator)
    assert value.item() == pytest.approx(_naive_ranksim(unique_features, np.arange(3.0)))


def test_the_sampled_subset_follows_the_generator():
    rng = np.random.default_rng(5)
    features, labels = torch.from_numpy(rng.normal(size=(40, 4))), torch.arange(40) % 5
    values = [
        ranksim_loss(features, labels, generator=torch.Generator().manual_seed(seed)).item()
        for seed in (0, 0, 1)
    ]
    assert values[0] == values[1] != values[2]


def test_gradient_step_lowers_the_loss():
    generator = torch.Generator().manual_seed(6)
    features = torch.randn(16, 8, dtype=torch.float64, generator=generator, requires_grad=True)
    labels = torch.randperm(16, generator=generator).double()
    loss = RankSimLoss(gamma=1.0)
    start = loss(features, labels)
    start.backward()
    with torch.no_grad():
        stepped = features - 0.5 * features.grad
    assert loss(stepped, labels) < start
