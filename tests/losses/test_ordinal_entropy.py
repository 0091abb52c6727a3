"""Ordinal entropy against a loop written from Zhang et al.'s diversity and tightness terms."""

from __future__ import annotations

import math

import pytest
import torch

from dirkit.exceptions import ConfigError, ShapeError
from dirkit.losses import OrdinalEntropyLoss, ordinal_entropy_loss


def _unit(v):
    norm = math.sqrt(sum(float(x) ** 2 for x in v))
    return [x / norm for x in v]


def _naive(features, labels, groups, lambda_d, lambda_t, tightness):
    """Loops over groups, pairs of centres and samples; differentiable (0-d tensor arithmetic)."""
    keys = sorted(set(groups))
    members = {k: [i for i, g in enumerate(groups) if g == k] for k in keys}
    centres = {}
    centre_label = {}
    for k in keys:
        rows = members[k]
        mean = [sum(features[i][d] for i in rows) / len(rows) for d in range(len(features[0]))]
        norm = torch.sqrt(sum(m * m for m in mean))
        centres[k] = [m / norm for m in mean]
        centre_label[k] = sum(labels[i] for i in rows) / len(rows)
    pairs = [(a, b) for ia, a in enumerate(keys) for b in keys[ia + 1:]]
    total = 0.0
    if pairs:
        w = [abs(centre_label[a] - centre_label[b]) for a, b in pairs]
        low, high = min(w), max(w)
        for (a, b), wab in zip(pairs, w, strict=True):
            distance = torch.sqrt(sum((x - y) ** 2 for x, y in zip(centres[a], centres[b], strict=True)))
            total = total - lambda_d * ((wab - low) / high) * distance / len(pairs)
    spreads = []
    for i, g in enumerate(groups):
        norm = torch.sqrt(sum(x * x for x in features[i]))
        sq = sum((x / norm - c) ** 2 for x, c in zip(features[i], centres[g], strict=True))
        if float(sq.detach()) > 0:
            spreads.append(sq if tightness == "squared" else torch.sqrt(sq))
    if spreads:
        total = total + lambda_t * sum(spreads) / len(spreads)
    return total


@pytest.mark.parametrize("tightness", ["squared", "l2"])
@pytest.mark.parametrize(("lambda_d", "lambda_t"), [(1.0, 1.0), (0.5, 2.0)])
@pytest.mark.parametrize("by_bin", [False, True])
def test_value_and_gradient_match_the_loop(tightness, lambda_d, lambda_t, by_bin):
    gen = torch.Generator().manual_seed(0)
    features = torch.randn(14, 5, generator=gen, dtype=torch.float64)
    labels = torch.tensor([0.0, 1, 1, 2, 3, 3, 3, 5, 8, 8, 9, 10, 13, 13], dtype=torch.float64) + 0.3
    bins = (labels // 3).long()
    leaf = features.clone().requires_grad_(True)
    value = ordinal_entropy_loss(leaf, labels, groups=bins if by_bin else None, lambda_d=lambda_d,
                                 lambda_t=lambda_t, tightness=tightness)
    value.backward()
    naive_leaf = features.clone().requires_grad_(True)
    rows = [list(naive_leaf[i]) for i in range(14)]
    groups = bins.tolist() if by_bin else labels.tolist()
    expected = _naive(rows, labels.tolist(), groups, lambda_d, lambda_t, tightness)
    expected.backward()
    assert value.item() == pytest.approx(expected.item(), rel=1e-10)
    torch.testing.assert_close(leaf.grad, naive_leaf.grad, rtol=1e-8, atol=1e-10)


def test_diversity_rewards_spreading_centres_by_label_distance():
    labels = torch.tensor([0.0, 1.0, 5.0])
    ordered = torch.tensor([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0]])  # far labels far apart
    shuffled = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.9, 0.1]])
    assert ordinal_entropy_loss(ordered, labels) < ordinal_entropy_loss(shuffled, labels) < 0


def test_one_group_has_only_tightness_and_singletons_count_nothing():
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0]], requires_grad=True)
    value = ordinal_entropy_loss(z, torch.tensor([2.0, 2.0]))
    assert value.item() == pytest.approx(2 - math.sqrt(2), rel=1e-6)  # |z_i - c / |c||^2, both
    alone = ordinal_entropy_loss(z[:1], torch.tensor([2.0]))
    assert alone.item() == 0.0
    alone.backward()  # keeps a graph


def test_module_form_and_errors():
    z, y = torch.randn(6, 3, generator=torch.Generator().manual_seed(1)), torch.arange(6.0)
    module = OrdinalEntropyLoss(lambda_d=2.0)
    torch.testing.assert_close(module(z, y), ordinal_entropy_loss(z, y, lambda_d=2.0))
    with pytest.raises(ShapeError, match="integer id per sample"):
        ordinal_entropy_loss(z, y, groups=torch.zeros(6))
    with pytest.raises(ConfigError, match="'tightness' parameter"):
        OrdinalEntropyLoss(tightness="cosine")  # type: ignore[arg-type]
