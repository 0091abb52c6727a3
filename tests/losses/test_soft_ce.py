import math

import numpy as np
import pytest
import torch

from dirkit.exceptions import ShapeError
from dirkit.losses import SoftCrossEntropyLoss, soft_cross_entropy


def _naive_soft_ce(logits, target, weight):
    total = 0.0
    for row, q, w in zip(logits, target, weight, strict=True):
        log_normaliser = math.log(sum(math.exp(v) for v in row))
        total += w * -sum(qj * (lj - log_normaliser) for qj, lj in zip(q, row, strict=True))
    return total / len(logits)


def test_matches_minus_sum_q_log_p_averaged_over_the_batch():
    rng = np.random.default_rng(0)
    logits, weight = rng.normal(size=(7, 5)) * 2, rng.uniform(0, 2, 7)
    target = rng.dirichlet(np.ones(5), size=7)
    value = soft_cross_entropy(
        torch.from_numpy(logits), torch.from_numpy(target), weight=torch.from_numpy(weight)
    )
    assert value.item() == pytest.approx(_naive_soft_ce(logits, target, weight), rel=1e-12)


def test_sum_reduction_reproduces_the_group_dir_code_and_grows_with_the_batch():
    logits, target = torch.zeros(4, 3), torch.full((4, 3), 1 / 3)
    total = SoftCrossEntropyLoss(reduction="sum")(logits, target)
    mean = SoftCrossEntropyLoss()(logits, target)
    assert total.item() == pytest.approx(4 * mean.item())


def test_one_hot_targets_give_the_ordinary_cross_entropy():
    logits, classes = torch.randn(6, 4, generator=torch.Generator().manual_seed(1)), torch.arange(6) % 4
    one_hot = torch.nn.functional.one_hot(classes, 4).float()
    expected = torch.nn.functional.cross_entropy(logits, classes)
    torch.testing.assert_close(soft_cross_entropy(logits, one_hot), expected)


def test_shape_mismatch_prints_both_shapes():
    with pytest.raises(ShapeError, match=r"\(2, 3\).*\(2, 4\)"):
        soft_cross_entropy(torch.zeros(2, 3), torch.zeros(2, 4))
