import numpy as np
import pytest
import torch

from dirkit.exceptions import ConfigError
from dirkit.losses import L1Loss, weighted_l1


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_a_weighted_per_sample_loop(reduction):
    rng = np.random.default_rng(0)
    pred, target, weight = rng.normal(size=20) * 3, rng.normal(size=20), rng.uniform(0, 2, 20)
    per_sample = np.array([w * abs(p - t) for p, t, w in zip(pred, target, weight, strict=True)])
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    value = weighted_l1(
        torch.from_numpy(pred),
        torch.from_numpy(target)[:, None],
        weight=torch.from_numpy(weight),
        reduction=reduction,
    )
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-12)


def test_module_rejects_an_unknown_reduction_listing_the_options():
    with pytest.raises(ConfigError, match="'reduction' parameter of L1Loss must be one of"):
        L1Loss(reduction="avg")
