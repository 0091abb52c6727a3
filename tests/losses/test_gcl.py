import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dirkit.exceptions import ShapeError
from dirkit.losses import GroupContrastiveLoss, group_contrastive_loss


def _cosine_logits(features: torch.Tensor, temperature: float) -> torch.Tensor:
    normalised = F.normalize(features, dim=1)
    return normalised @ normalised.T / temperature


def test_signature_and_default_temperature():
    signature = inspect.signature(group_contrastive_loss)
    assert list(signature.parameters)[:2] == ["features", "groups"]
    assert signature.parameters["temperature"].default == 0.07
    assert signature.parameters["temperature"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_the_paper_formula_as_a_loop(naive_loop, seed):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(10, 4))
    groups = rng.integers(0, 4, size=10)
    normalised = features / np.linalg.norm(features, axis=1, keepdims=True)
    expected = naive_loop(normalised @ normalised.T / 0.5, np.abs(groups[:, None] - groups[None, :]))
    value = group_contrastive_loss(torch.from_numpy(features), torch.from_numpy(groups), temperature=0.5)
    assert value.item() == pytest.approx(expected, rel=1e-12)


def test_equals_the_per_anchor_mask_formulation_at_n512_d128(naive_masks):
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(512, 128, generator=generator)
    groups = torch.randint(0, 10, (512,), generator=generator)
    fast = group_contrastive_loss(features, groups)  # float32, t = 0.07
    reference = naive_masks(
        _cosine_logits(features.double(), 0.07), (groups[:, None] - groups[None, :]).abs().double()
    )
    assert fast.item() == pytest.approx(reference.item(), rel=1e-4)


def test_gradient_equals_the_reference_gradient(naive_masks):
    generator = torch.Generator().manual_seed(1)
    features = torch.randn(40, 8, dtype=torch.float64, generator=generator, requires_grad=True)
    groups = torch.randint(0, 5, (40,), generator=generator)
    (fast_grad,) = torch.autograd.grad(group_contrastive_loss(features, groups), features)
    distances = (groups[:, None] - groups[None, :]).abs().double()
    reference = naive_masks(_cosine_logits(features, 0.07), distances)
    (reference_grad,) = torch.autograd.grad(reference, features)
    torch.testing.assert_close(fast_grad, reference_grad)


def test_small_temperature_stays_finite_in_float32():
    features = torch.randn(64, 16, generator=torch.Generator().manual_seed(2))
    features.requires_grad_(True)
    value = group_contrastive_loss(features, torch.arange(64) % 4, temperature=0.005)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(features.grad).all()


def test_reduction_none_gives_per_anchor_losses_and_weights_scale_them():
    generator = torch.Generator().manual_seed(3)
    features, groups = torch.randn(6, 3, generator=generator), torch.tensor([0, 0, 1, 1, 2, 2])
    per_anchor = group_contrastive_loss(features, groups, reduction="none")
    weight = torch.tensor([2.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    weighted = group_contrastive_loss(features, groups, weight=weight)
    torch.testing.assert_close(weighted, (weight * per_anchor).mean())


def test_batch_of_one_raises_a_shape_error_naming_the_minimum():
    with pytest.raises(ShapeError, match="at least 2 samples"):
        GroupContrastiveLoss()(torch.ones(1, 4), torch.zeros(1))


def test_mismatched_shapes_raise_printing_both():
    with pytest.raises(ShapeError, match=r"\(5, 4\).*\(4,\)"):
        group_contrastive_loss(torch.ones(5, 4), torch.zeros(4))
