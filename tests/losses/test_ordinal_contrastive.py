import numpy as np
import pytest
import torch

from dirkit.losses._ordinal_contrastive import ordinal_contrastive_per_anchor


@pytest.mark.parametrize("n_levels", [2, 3, 50])  # few levels: many ties; 50: almost none
@pytest.mark.parametrize("seed", [0, 1])
def test_equals_the_naive_loop_with_and_without_ties(naive_loop, n_levels, seed):
    rng = np.random.default_rng(seed)
    n = 9
    logits = rng.normal(scale=3.0, size=(n, n))
    values = rng.integers(0, n_levels, size=n).astype(float)
    distances = np.abs(values[:, None] - values[None, :])
    per_anchor = ordinal_contrastive_per_anchor(
        torch.from_numpy(logits), torch.from_numpy(distances), torch.arange(n)
    )
    assert per_anchor.mean().item() == pytest.approx(naive_loop(logits, distances), rel=1e-12)


def test_anchor_columns_select_the_anchor_in_a_wider_batch(naive_loop):
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(6, 6))
    values = rng.integers(0, 3, size=6).astype(float)
    distances = np.abs(values[:, None] - values[None, :])
    rows = torch.tensor([4, 5])
    full = ordinal_contrastive_per_anchor(
        torch.from_numpy(logits), torch.from_numpy(distances), torch.arange(6)
    )
    part = ordinal_contrastive_per_anchor(
        torch.from_numpy(logits)[rows], torch.from_numpy(distances)[rows], rows
    )
    torch.testing.assert_close(part, full[rows])


def test_large_logits_do_not_overflow():
    logits = torch.tensor([[0.0, 1e4, -1e4], [1e4, 0.0, 2e4], [-1e4, 3e4, 0.0]])
    distances = torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    assert torch.isfinite(ordinal_contrastive_per_anchor(logits, distances, torch.arange(3))).all()
