import numpy as np
import pytest
import torch

from dirkit.exceptions import ConfigError
from dirkit.losses import MSELoss, weighted_mse


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_a_weighted_per_sample_loop(reduction):
    rng = np.random.default_rng(0)
    pred, target, weight = rng.normal(size=20) * 3, rng.normal(size=20), rng.uniform(0, 2, 20)
    per_sample = np.array([w * (p - t) ** 2 for p, t, w in zip(pred, target, weight, strict=True)])
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    value = weighted_mse(
        torch.from_numpy(pred)[:, None],
        torch.from_numpy(target),
        weight=torch.from_numpy(weight)[:, None],
        reduction=reduction,
    )
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-12)


def test_mean_one_weights_keep_the_unweighted_scale():
    pred, target = torch.tensor([1.0, 3.0]), torch.zeros(2)
    weight = torch.tensor([1.0, 1.0])
    assert weighted_mse(pred, target, weight=weight) == weighted_mse(pred, target)


def test_module_rejects_an_unknown_reduction():
    with pytest.raises(ConfigError, match="'reduction' parameter of MSELoss"):
        MSELoss(reduction="avg")
