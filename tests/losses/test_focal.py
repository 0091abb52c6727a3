import math

import numpy as np
import pytest
import torch

from dirkit.exceptions import ConfigError
from dirkit.losses import FocalL1Loss, FocalMSELoss, focal_l1, focal_mse


def _naive_focal(pred, target, weight, power, beta, gamma, activation):
    total = 0.0
    for p, t, w in zip(pred, target, weight, strict=True):
        e = abs(p - t)
        if activation == "tanh":
            factor = math.tanh(beta * e)
        else:
            factor = 2.0 / (1.0 + math.exp(-beta * e)) - 1.0
        total += w * e**power * factor**gamma
    return total / len(pred)


@pytest.mark.parametrize(("loss", "power"), [(focal_l1, 1), (focal_mse, 2)])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize(("beta", "gamma"), [(0.2, 1.0), (1.5, 2.0)])
def test_matches_the_per_sample_formula(loss, power, activation, beta, gamma):
    rng = np.random.default_rng(1)
    pred, target, weight = rng.normal(size=15) * 4, rng.normal(size=15), rng.uniform(0, 2, 15)
    expected = _naive_focal(pred, target, weight, power, beta, gamma, activation)
    value = loss(
        torch.from_numpy(pred),
        torch.from_numpy(target),
        beta=beta,
        gamma=gamma,
        activation=activation,
        weight=torch.from_numpy(weight),
    )
    assert value.item() == pytest.approx(expected, rel=1e-12)


def test_paper_defaults():
    module = FocalMSELoss()
    assert (module.beta, module.gamma, module.activation) == (0.2, 1.0, "sigmoid")


def test_focal_factor_down_weights_small_errors():
    small = focal_l1(torch.tensor([0.1]), torch.tensor([0.0])) / 0.1
    large = focal_l1(torch.tensor([50.0]), torch.tensor([0.0])) / 50.0
    assert small < 0.02 < 0.99 < large


def test_rejects_an_unknown_activation():
    with pytest.raises(ConfigError, match=r"'activation'.*'sigmoid', 'tanh'"):
        FocalL1Loss(activation="relu")
