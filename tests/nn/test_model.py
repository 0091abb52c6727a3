"""DIRModel: backbone -> FDS -> head(s), typed output, training end to end."""

from __future__ import annotations

import pytest
import torch

from dirkit.exceptions import ConfigError
from dirkit.nn import (
    FDS,
    MLP,
    ClassificationHead,
    DIRModel,
    DIROutput,
    MultiHeadRegressor,
    RegressionHead,
)


def test_output_and_fds_wiring() -> None:
    gen = torch.Generator().manual_seed(0)
    model = DIRModel(MLP(4, hidden=(8,)), RegressionHead(8), fds=FDS(8, 3, start_smooth=0))
    x, bins = torch.randn(6, 4, generator=gen), torch.tensor([0, 1, 2, 0, 1, 2])
    out = model(x, bins)
    assert isinstance(out, DIROutput) and out.prediction.shape == (6,)
    assert torch.equal(out.calibrated, out.features)  # initial statistics: an exact identity
    model.fds.update()  # type: ignore[union-attr]
    out = model(x, bins)
    assert not torch.equal(out.calibrated, out.features)
    model.eval()
    out = model(x)
    assert out.calibrated is out.features
    with pytest.raises(ConfigError, match="bin ids"):
        model.train()(x)


def test_named_heads_train_group_dir_style() -> None:
    gen = torch.Generator().manual_seed(1)
    heads = {"cls": ClassificationHead(8, 3), "reg": MultiHeadRegressor(8, 3)}
    model = DIRModel(MLP(4, hidden=(8,), norm="layer"), heads)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(30, 4, generator=gen)
    y = x[:, 0]
    groups = torch.bucketize(y.contiguous(), torch.tensor([-0.5, 0.5]))
    losses = []
    for _ in range(30):
        out = model(x)
        reg = model.head["reg"].select(out.prediction["reg"], groups)  # type: ignore[index, operator]
        loss = torch.nn.functional.mse_loss(reg, y)
        loss = loss + torch.nn.functional.cross_entropy(out.prediction["cls"], groups)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_feature_dim_mismatch() -> None:
    with pytest.raises(ConfigError, match=r"feature_dim=5.*8"):
        DIRModel(MLP(4, hidden=(8,)), RegressionHead(8), fds=FDS(5, 3))
