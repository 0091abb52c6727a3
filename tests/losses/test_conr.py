import math

import numpy as np
import pytest
import torch

from dirkit.exceptions import ShapeError
from dirkit.losses import ConRLoss, conr_loss


def _naive_conr(features, labels, preds, window, t, e, eta, weight):
    normalised = features / np.linalg.norm(features, axis=1, keepdims=True)
    n, total = len(labels), 0.0
    for i in range(n):
        positives = [j for j in range(n) if j != i and abs(labels[i] - labels[j]) <= window]
        negatives = [
            q for q in range(n) if abs(labels[i] - labels[q]) > window and abs(preds[i] - preds[q]) <= window
        ]
        if not positives or not negatives:
            continue
        s = lambda j: math.exp(normalised[i] @ normalised[j] / t)  # noqa: B023, E731
        denominator = sum(s(p) for p in positives) + sum(
            eta[i] * math.exp(e * abs(labels[i] - labels[q])) * s(q) for q in negatives
        )
        total += weight[i] * -np.mean([math.log(s(j) / denominator) for j in positives])
    return total / n


@pytest.mark.parametrize(("window", "t", "e"), [(1.0, 0.2, 0.01), (0.5, 0.07, 0.5)])
def test_matches_the_paper_formula_as_a_loop(window, t, e):
    rng = np.random.default_rng(0)
    features, labels = rng.normal(size=(14, 4)), rng.integers(0, 5, 14).astype(float)
    preds, eta, weight = rng.uniform(0, 2, 14), rng.uniform(0.5, 2, 14), rng.uniform(0, 2, 14)
    value = conr_loss(
        torch.from_numpy(features),
        torch.from_numpy(labels),
        torch.from_numpy(preds),
        window=window,
        temperature=t,
        push_scale=e,
        push_weight=torch.from_numpy(eta),
        weight=torch.from_numpy(weight),
    )
    expected = _naive_conr(features, labels, preds, window, t, e, eta, weight)
    assert value.item() == pytest.approx(expected, rel=1e-12)


def test_anchors_without_negatives_contribute_zero_and_no_nan_gradient():
    features = torch.randn(4, 3, generator=torch.Generator().manual_seed(1), requires_grad=True)
    labels, preds = torch.tensor([0.0, 0.0, 5.0, 5.0]), torch.tensor([0.0, 0.0, 5.0, 5.0])
    value = ConRLoss()(features, labels, preds)  # predictions right: nothing to push
    value.backward()
    assert value.item() == 0.0 and torch.isfinite(features.grad).all()


def test_predictions_get_no_gradient():
    preds = torch.tensor([0.0, 0.1, 0.2], requires_grad=True)
    features = torch.randn(3, 2, generator=torch.Generator().manual_seed(2), requires_grad=True)
    conr_loss(features, torch.tensor([0.0, 0.5, 3.0]), preds).backward()
    assert preds.grad is None


def test_preds_must_match_the_batch():
    with pytest.raises(ShapeError, match="one prediction per sample"):
        conr_loss(torch.ones(3, 2), torch.zeros(3), torch.zeros(2))


@pytest.mark.parametrize("weighted", [False, True])
def test_an_empty_batch_has_loss_zero_not_nan(weighted):
    features = torch.zeros(0, 4, requires_grad=True)
    weight = torch.zeros(0) if weighted else None
    loss = conr_loss(features, torch.zeros(0), torch.zeros(0), weight=weight)
    assert loss.item() == 0.0
    loss.backward()
    assert features.grad is not None and features.grad.shape == (0, 4)
    assert ConRLoss()(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0)).item() == 0.0
    assert conr_loss(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0), reduction="none").shape == (0,)
