import numpy as np
import pytest
import torch
from scipy.stats import norm

from dirkit.exceptions import ConfigError
from dirkit.losses import BNILoss, bni_loss


def _naive_bni(pred, target, weight, centers, counts, sigma):
    """-log N(y; pred, s2) + log sum_b p_b N(pred; c_b, s2), times 2 s2."""
    probability = np.asarray(counts) / np.sum(counts)
    total = 0.0
    for p, t, w in zip(pred, target, weight, strict=True):
        balancing = sum(pb * norm.pdf(p, c, sigma) for c, pb in zip(centers, probability, strict=True))
        total += w * (-norm.logpdf(t, p, sigma) + np.log(balancing)) * 2 * sigma**2
    return total / len(pred)


@pytest.mark.parametrize("sigma", [0.7, 2.0])
def test_matches_the_balanced_likelihood_formula(sigma):
    rng = np.random.default_rng(0)
    pred, target, weight = rng.normal(size=10) * 3, rng.normal(size=10) * 3, rng.uniform(0, 2, 10)
    centers, counts = np.linspace(-5, 5, 11), rng.integers(0, 30, 11).astype(float)
    counts[3] = 0.0  # an empty bin
    value = bni_loss(
        torch.from_numpy(pred),
        torch.from_numpy(target),
        bin_centers=torch.from_numpy(centers),
        bin_counts=torch.from_numpy(counts),
        noise_sigma=sigma,
        weight=torch.from_numpy(weight),
    )
    expected = _naive_bni(pred, target, weight, centers, counts, sigma)
    assert value.item() == pytest.approx(expected, rel=1e-9)


def test_from_labels_builds_the_histogram():
    y = np.array([0.0, 0.1, 0.9, 1.0, 1.0])
    loss = BNILoss.from_labels(y, n_bins=2)
    np.testing.assert_allclose(loss.bin_centers.numpy(), [0.25, 0.75])
    np.testing.assert_allclose(loss.bin_counts.numpy(), [2, 3])


def test_empty_histograms_raise():
    with pytest.raises(ConfigError, match="positive sum"):
        BNILoss([0.0, 1.0], [0, 0])
