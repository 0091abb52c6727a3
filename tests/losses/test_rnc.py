import inspect

import numpy as np
import pytest
import torch

from dirkit.exceptions import LabelError, ShapeError
from dirkit.losses import RankNContrastLoss, rank_n_contrast_loss


def _l2_logits(features: torch.Tensor, temperature: float) -> torch.Tensor:
    difference = features[:, None, :] - features[None, :, :]
    return -difference.square().sum(-1).clamp_min(1e-300).sqrt() / temperature


def test_signature_and_default_temperature():
    signature = inspect.signature(rank_n_contrast_loss)
    assert list(signature.parameters)[:2] == ["features", "labels"]
    assert signature.parameters["temperature"].default == 2.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_the_paper_formula_as_a_loop(naive_loop, seed):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(10, 4))
    labels = rng.integers(0, 5, size=10) * 0.5  # ties in label distances
    logits = -np.linalg.norm(features[:, None] - features[None, :], axis=-1) / 2.0
    expected = naive_loop(logits, np.abs(labels[:, None] - labels[None, :]))
    value = rank_n_contrast_loss(torch.from_numpy(features), torch.from_numpy(labels))
    assert value.item() == pytest.approx(expected, rel=1e-10)


def test_equals_the_per_anchor_mask_formulation_at_n512_d128(naive_masks):
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(512, 128, generator=generator)
    labels = torch.randint(0, 100, (512,), generator=generator).float()
    fast = rank_n_contrast_loss(features, labels)  # float32
    reference = naive_masks(
        _l2_logits(features.double(), 2.0), (labels[:, None] - labels[None, :]).abs().double()
    )
    assert fast.item() == pytest.approx(reference.item(), rel=1e-4)


def test_gradient_equals_the_reference_gradient(naive_masks):
    generator = torch.Generator().manual_seed(1)
    features = torch.randn(40, 8, dtype=torch.float64, generator=generator, requires_grad=True)
    labels = torch.rand(40, dtype=torch.float64, generator=generator)
    (fast_grad,) = torch.autograd.grad(rank_n_contrast_loss(features, labels), features)
    distances = (labels[:, None] - labels[None, :]).abs()
    reference = naive_masks(_l2_logits(features, 2.0), distances)
    (reference_grad,) = torch.autograd.grad(reference, features)
    torch.testing.assert_close(fast_grad, reference_grad)


def test_identical_features_give_finite_gradients():
    features = torch.ones(4, 3, requires_grad=True)
    rank_n_contrast_loss(features, torch.tensor([0.0, 1.0, 2.0, 3.0])).backward()
    assert torch.isfinite(features.grad).all()


def test_far_apart_features_do_not_overflow():
    features = 1e3 * torch.randn(32, 8, generator=torch.Generator().manual_seed(4))
    value = rank_n_contrast_loss(features, torch.arange(32.0), temperature=0.1)
    assert torch.isfinite(value)


def test_labels_may_be_a_column_and_must_be_finite():
    features = torch.randn(3, 2, generator=torch.Generator().manual_seed(5))
    column = rank_n_contrast_loss(features, torch.tensor([[0.0], [1.0], [2.0]]))
    torch.testing.assert_close(column, rank_n_contrast_loss(features, torch.tensor([0.0, 1, 2])))
    with pytest.raises(LabelError, match="NaN"):
        rank_n_contrast_loss(features, torch.tensor([0.0, float("nan"), 2.0]))


def test_batch_of_one_raises_a_shape_error_naming_the_minimum():
    with pytest.raises(ShapeError, match="at least 2 samples"):
        RankNContrastLoss()(torch.ones(1, 4), torch.zeros(1))
