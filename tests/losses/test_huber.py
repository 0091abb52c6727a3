import numpy as np
import pytest
import torch

from dirkit.exceptions import ConfigError
from dirkit.losses import HuberLoss, weighted_huber


def _naive_huber(e, delta):
    return 0.5 * e * e if abs(e) <= delta else delta * (abs(e) - 0.5 * delta)


@pytest.mark.parametrize("delta", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_a_weighted_per_sample_loop(delta, reduction):
    rng = np.random.default_rng(0)
    pred, target, weight = rng.normal(size=20) * 3, rng.normal(size=20), rng.uniform(0, 2, 20)
    per_sample = np.array(
        [w * _naive_huber(p - t, delta) for p, t, w in zip(pred, target, weight, strict=True)]
    )
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    value = HuberLoss(delta=delta, reduction=reduction)(
        torch.from_numpy(pred), torch.from_numpy(target), weight=torch.from_numpy(weight)
    )
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-12)


def test_rejects_a_non_positive_delta():
    with pytest.raises(ConfigError, match="'delta' parameter of weighted_huber"):
        weighted_huber(torch.zeros(2), torch.zeros(2), delta=0.0)
