import numpy as np
import pytest
import torch
from scipy.stats import norm

from dirkit.exceptions import ConfigError, ShapeError
from dirkit.losses import GAILoss, gai_loss


def _naive_gai(pred, target, weight, means, variances, mix, sigma):
    """-log N(y; pred, s2) + log sum_k phi_k N(pred; mu_k, v_k + s2), times 2 s2."""
    mix = np.asarray(mix) / np.sum(mix)
    total = 0.0
    for p, t, w in zip(pred, target, weight, strict=True):
        balancing = sum(
            phi * norm.pdf(p, mu, np.sqrt(v + sigma**2))
            for mu, v, phi in zip(means, variances, mix, strict=True)
        )
        total += w * (-norm.logpdf(t, p, sigma) + np.log(balancing)) * 2 * sigma**2
    return total / len(pred)


@pytest.mark.parametrize("sigma", [0.5, 2.0])
def test_matches_the_balanced_likelihood_formula(sigma):
    rng = np.random.default_rng(0)
    pred, target, weight = rng.normal(size=10) * 3, rng.normal(size=10) * 3, rng.uniform(0, 2, 10)
    means, variances, mix = [-2.0, 1.0, 5.0], [1.0, 0.3, 4.0], [2.0, 5.0, 3.0]  # mix not normalised
    value = gai_loss(
        torch.from_numpy(pred),
        torch.from_numpy(target),
        gmm_means=torch.tensor(means),
        gmm_variances=torch.tensor(variances),
        gmm_weights=torch.tensor(mix),
        noise_sigma=sigma,
        weight=torch.from_numpy(weight),
    )
    expected = _naive_gai(pred, target, weight, means, variances, mix, sigma)
    assert value.item() == pytest.approx(expected, rel=1e-6)


def test_from_labels_fits_the_label_clusters():
    rng = np.random.default_rng(1)
    y = np.concatenate([rng.normal(0, 1, 300), rng.normal(10, 1, 100)])
    loss = GAILoss.from_labels(y, n_components=2, learn_noise=False)
    np.testing.assert_allclose(np.sort(loss.gmm_means.numpy()), [0, 10], atol=0.3)
    np.testing.assert_allclose(np.sort(loss.gmm_weights.numpy()), [0.25, 0.75], atol=0.02)


def test_invalid_mixtures_raise_naming_the_problem():
    with pytest.raises(ShapeError, match="common length K"):
        GAILoss([0.0, 1.0], [1.0], [1.0, 1.0])
    with pytest.raises(ConfigError, match="variances positive"):
        GAILoss([0.0], [0.0], [1.0])
    with pytest.raises(ConfigError, match="gmm_weights"):
        GAILoss([0.0], [1.0], [-1.0])
