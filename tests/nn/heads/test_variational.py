"""The VAE and VIR heads: reparameterised codes in training, the mean in eval, VIR's conjugate NIG."""

from __future__ import annotations

import pytest
import torch

from dirkit.nn import MLP, DIRModel
from dirkit.nn.heads import VariationalHead, VIRHead, conjugate_nig
from dirkit.testing import check_head


@pytest.mark.parametrize("head", [VariationalHead(5), VariationalHead(5, latent_dim=2), VIRHead(5, n_bins=4)],
                         ids=["vae", "vae-2", "vir"])
def test_contract(head):
    check_head(head, in_features=5)


def test_the_vae_head_samples_in_training_and_uses_the_mean_in_eval():
    head = VariationalHead(4, latent_dim=3)
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    first, second = head(x), head(x)
    assert not torch.equal(first["prediction"], second["prediction"])  # a fresh eps each call
    torch.testing.assert_close(first["mu"], second["mu"])
    head.eval()
    out = head(x)
    expected = head.regressor(out["mu"]).squeeze(1)
    torch.testing.assert_close(out["prediction"], expected)


def test_conjugate_nig_scales_the_pseudo_counts_by_the_weight():
    ybar, count, omega = torch.tensor([1.0, -2.0]), torch.tensor([2.0, 6.0]), torch.tensor([0.5, 3.0])
    weight = torch.tensor([0.5, 2.0])
    nig = conjugate_nig(ybar, count, omega, weight=weight, prior_nu=0.1, prior_alpha=0.3)
    for i in range(2):
        y, n, o, w = (float(t[i]) for t in (ybar, count, omega, weight))
        assert nig[i].tolist() == pytest.approx([y, 0.1 + w * n, 0.3 + w * n / 2, o])
    torch.testing.assert_close(conjugate_nig(ybar, count, omega)[:, 2], 0.3 + count / 2)


def test_the_model_passes_bins_to_the_vir_head_only_in_training():
    model = DIRModel(MLP(3, hidden=(8,), feature_dim=4), VIRHead(4, n_bins=3)).train()
    x, bins = torch.randn(6, 3, generator=torch.Generator().manual_seed(1)), torch.tensor([0, 1, 2, 0, 1, 2])
    model(x, bins, epoch=0)
    smoothing = model.head.smoothing
    assert smoothing.count.tolist() == [2.0, 2.0, 2.0]  # collected from the training forward
    model.eval()
    model(x)
    assert smoothing.count.sum() == 6  # eval collects nothing
    out = model(x).prediction
    assert out["count"].min() >= 2.0 and out["omega"].min() > 0
