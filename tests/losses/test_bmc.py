import math

import numpy as np
import pytest
import torch

from dirkit.exceptions import ShapeError
from dirkit.losses import BMCLoss, bmc_loss


def _naive_bmc(pred, target, weight, sigma):
    """Each prediction classified among the batch targets; cross-entropy times 2 sigma^2."""
    n, total = len(pred), 0.0
    for i in range(n):
        logits = [-((pred[i] - target[j]) ** 2) / (2 * sigma**2) for j in range(n)]
        log_normaliser = math.log(sum(math.exp(v) for v in logits))
        total += weight[i] * (log_normaliser - logits[i]) * 2 * sigma**2
    return total / n


@pytest.mark.parametrize("sigma", [0.5, 1.0, 4.0])
def test_matches_cross_entropy_over_the_batch(sigma):
    rng = np.random.default_rng(0)
    pred, target, weight = rng.normal(size=12) * 2, rng.normal(size=12) * 2, rng.uniform(0, 2, 12)
    value = bmc_loss(
        torch.from_numpy(pred),
        torch.from_numpy(target),
        noise_sigma=sigma,
        weight=torch.from_numpy(weight),
    )
    assert value.item() == pytest.approx(_naive_bmc(pred, target, weight, sigma), rel=1e-12)


def test_learnable_sigma_gets_a_gradient_and_fixed_sigma_is_a_buffer():
    learned = BMCLoss(init_noise_sigma=2.0)
    pred = torch.tensor([0.0, 1.0, 3.0])
    learned(pred, torch.tensor([0.5, 1.0, 2.0])).backward()
    assert learned.noise_sigma.grad is not None and learned.noise_sigma.grad != 0
    fixed = BMCLoss(init_noise_sigma=2.0, learn_noise=False)
    assert list(fixed.parameters()) == [] and "noise_sigma" in fixed.state_dict()


def test_a_batch_of_one_raises_a_shape_error_explaining_why():
    with pytest.raises(ShapeError, match="at least 2 samples because BMC classifies"):
        bmc_loss(torch.zeros(1), torch.zeros(1))


def test_noise_sigma_must_be_positive_and_scalar():
    with pytest.raises(ValueError, match="noise_sigma"):
        bmc_loss(torch.zeros(2), torch.zeros(2), noise_sigma=-1.0)
    with pytest.raises(ShapeError, match="scalar"):
        bmc_loss(torch.zeros(2), torch.zeros(2), noise_sigma=torch.ones(2))
