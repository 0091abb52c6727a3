"""The Gaussian KL term against a per-sample loop and torch.distributions."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from dirkit.exceptions import ShapeError
from dirkit.losses import GaussianKLLoss, gaussian_kl


def test_matches_a_loop_and_torch_distributions():
    gen = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(5, 3, generator=gen, dtype=torch.float64), torch.randn(5, 3, generator=gen,
                                                                                    dtype=torch.float64)
    weight = torch.rand(5, generator=gen, dtype=torch.float64)
    loop = sum(
        float(weight[i]) * 0.5 * sum(
            math.exp(float(logvar[i, d])) + float(mu[i, d]) ** 2 - 1 - float(logvar[i, d]) for d in range(3)
        )
        for i in range(5)
    ) / 5
    assert gaussian_kl(mu, logvar, weight=weight).item() == pytest.approx(loop, rel=1e-12)
    reference = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(dim=1)
    torch.testing.assert_close(gaussian_kl(mu, logvar, reduction="none"), reference)
    torch.testing.assert_close(GaussianKLLoss(reduction="sum")(mu, logvar), reference.sum())


def test_shapes_are_checked():
    with pytest.raises(ShapeError, match=r"\(N, D\).*\(2, 3\) and \(2, 2\)"):
        gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 2))
