"""Deep evidential regression against a per-sample loop of Amini et al.'s eq. 8-10, and a Student-t."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from dirkit.exceptions import ConfigError, ShapeError
from dirkit.losses import EvidentialRegressionLoss, evidential_regression_loss, nig_nll, split_nig
from dirkit.nn.heads import NIGHead, nig_uncertainty
from dirkit.testing import check_head


def _naive(pred, target, weight, lam):
    """Loop over samples: w_i * (NLL_i + lam * |y_i - gamma_i| * (2 nu_i + alpha_i)), batch mean."""
    total = 0.0
    for (gamma, nu, alpha, beta), y, w in zip(pred, target, weight, strict=True):
        omega = 2.0 * beta * (1.0 + nu)
        nll = (0.5 * math.log(math.pi / nu) - alpha * math.log(omega)
               + (alpha + 0.5) * math.log(nu * (y - gamma) ** 2 + omega)
               + math.lgamma(alpha) - math.lgamma(alpha + 0.5))
        total = total + w * (nll + lam * abs(y - gamma) * (2.0 * nu + alpha))
    return total / len(target)


def _batch(n=12, seed=0):
    rng = np.random.default_rng(seed)
    pred = np.stack([rng.normal(size=n), rng.uniform(0.1, 3, n), rng.uniform(1.05, 4, n),
                     rng.uniform(0.1, 2, n)], axis=1)
    return pred, rng.normal(size=n) * 2, rng.uniform(0, 2, n)


@pytest.mark.parametrize("lam", [0.0, 0.01, 1.0])
def test_value_and_gradient_match_the_per_sample_formula(lam):
    pred, target, weight = _batch()
    leaf = torch.tensor(pred, requires_grad=True)
    value = evidential_regression_loss(leaf, torch.tensor(target), lam=lam, weight=torch.tensor(weight))
    assert value.item() == pytest.approx(_naive(pred, target, weight, lam), rel=1e-12)
    value.backward()
    naive_leaf = torch.tensor(pred, requires_grad=True)  # the same loop on 0-d tensors, for autograd
    loop = 0.0
    for i in range(len(target)):
        gamma, nu, alpha, beta = naive_leaf[i]
        y, w = float(target[i]), float(weight[i])
        omega = 2.0 * beta * (1.0 + nu)
        nll = (0.5 * torch.log(math.pi / nu) - alpha * torch.log(omega)
               + (alpha + 0.5) * torch.log(nu * (y - gamma) ** 2 + omega)
               + torch.lgamma(alpha) - torch.lgamma(alpha + 0.5))
        loop = loop + w * (nll + lam * torch.abs(y - gamma) * (2.0 * nu + alpha))
    (loop / len(target)).backward()
    torch.testing.assert_close(leaf.grad, naive_leaf.grad, rtol=1e-10, atol=1e-12)


def test_the_likelihood_is_the_student_t_marginal():
    """Amini et al. eq. 7: y ~ St(gamma, beta (1 + nu) / (nu alpha), 2 alpha)."""
    pred, target, _ = _batch(seed=3)
    gamma, nu, alpha, beta = pred.T
    scale = np.sqrt(beta * (1 + nu) / (nu * alpha))
    expected = -stats.t.logpdf(target, df=2 * alpha, loc=gamma, scale=scale)
    mine = nig_nll(torch.tensor(target), *torch.tensor(pred).unbind(dim=1))
    np.testing.assert_allclose(mine.numpy(), expected, rtol=1e-10)


def test_reductions_and_module_form():
    pred, target, weight = (torch.tensor(a) for a in _batch())
    per_sample = evidential_regression_loss(pred, target, weight=weight, reduction="none")
    assert per_sample.shape == (12,)
    torch.testing.assert_close(per_sample.sum(), evidential_regression_loss(pred, target, weight=weight,
                                                                            reduction="sum"))
    module = EvidentialRegressionLoss(lam=0.01)
    torch.testing.assert_close(module(pred, target, weight), per_sample.mean())
    with pytest.raises(ConfigError, match="'lam' parameter of EvidentialRegressionLoss"):
        EvidentialRegressionLoss(lam=-1.0)


def test_bad_parameters_are_refused_with_the_fix():
    with pytest.raises(ShapeError, match=r"\(N, 4\).*NIGHead"):
        evidential_regression_loss(torch.zeros(3, 2), torch.zeros(3))
    with pytest.raises(ValueError, match=r"nu > 0, alpha > 0 and beta > 0.*softplus"):
        split_nig(torch.tensor([[0.0, -1.0, 2.0, 1.0]]))
    with pytest.raises(ShapeError, match="same samples"):
        evidential_regression_loss(torch.tensor([[0.0, 1.0, 2.0, 1.0]]), torch.zeros(2))


def test_the_head_keeps_the_parameters_in_range_and_meets_the_contract():
    head = NIGHead(6)
    with torch.no_grad():
        head.linear.weight.mul_(50.0)  # large raw outputs of both signs
    out = head(torch.randn(64, 6, generator=torch.Generator().manual_seed(0)))
    assert out.shape == (64, 4)
    assert bool((out[:, 1] > 0).all() and (out[:, 2] > 1).all() and (out[:, 3] > 0).all())
    check_head(NIGHead(6), in_features=6)
    aleatoric, epistemic = nig_uncertainty(torch.tensor([[0.0, 0.5, 2.0, 3.0]]))
    assert aleatoric.item() == pytest.approx(3.0) and epistemic.item() == pytest.approx(6.0)
