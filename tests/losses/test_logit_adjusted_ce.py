import math

import numpy as np
import pytest
import torch

from dirkit.exceptions import ConfigError, ShapeError
from dirkit.losses import LogitAdjustedCELoss, logit_adjusted_cross_entropy


def _naive_la_ce(logits, target, prior, tau, weight):
    prior = np.asarray(prior) / np.sum(prior)
    total = 0.0
    for row, c, w in zip(logits, target, weight, strict=True):
        adjusted = [v + tau * math.log(p) for v, p in zip(row, prior, strict=True)]
        total += w * (math.log(sum(math.exp(a) for a in adjusted)) - adjusted[c])
    return total / len(logits)


@pytest.mark.parametrize("tau", [0.0, 1.0, 2.5])
def test_matches_cross_entropy_of_prior_adjusted_logits(tau):
    rng = np.random.default_rng(0)
    logits, target = rng.normal(size=(9, 4)), rng.integers(0, 4, 9)
    weight, counts = rng.uniform(0, 2, 9), [60.0, 25.0, 10.0, 5.0]
    value = LogitAdjustedCELoss(counts, tau=tau).double()(
        torch.from_numpy(logits), torch.from_numpy(target), weight=torch.from_numpy(weight)
    )
    assert value.item() == pytest.approx(_naive_la_ce(logits, target, counts, tau, weight), rel=1e-6)


def test_rare_class_targets_cost_more():
    prior = torch.tensor([0.9, 0.1])
    rare = logit_adjusted_cross_entropy(torch.zeros(1, 2), torch.tensor([1]), class_prior=prior)
    frequent = logit_adjusted_cross_entropy(torch.zeros(1, 2), torch.tensor([0]), class_prior=prior)
    assert rare > frequent


def test_invalid_priors_and_targets_raise():
    with pytest.raises(ConfigError, match="positive"):
        LogitAdjustedCELoss([10, 0, 5])
    with pytest.raises(ShapeError, match="integer class index"):
        logit_adjusted_cross_entropy(torch.zeros(2, 2), torch.tensor([0.0, 1.0]), class_prior=torch.ones(2))
