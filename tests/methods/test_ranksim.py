"""``ranksim``: the main loss is the head loss plus gamma times RankSim on the encoder features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dirkit.datasets import make_synthetic
from dirkit.datasets._batches import Batch
from dirkit.engine import TrainConfig, fit_method
from dirkit.exceptions import ConfigError
from dirkit.losses import ranksim_loss
from dirkit.methods import build_plan
from dirkit.nn import DIROutput

TINY = TrainConfig(epochs=2, hidden=(32,), feature_dim=16, batch_size=64, lr=1e-2)
DATA = make_synthetic(0, scale=0.1)


def _batch(fitted, rows: int = 64) -> Batch:
    context = fitted.context
    y = context.y_train[:rows]
    return Batch(x=torch.as_tensor(context.x_train[:rows], dtype=torch.float32),
                 y=torch.as_tensor(y, dtype=torch.float32), index=torch.arange(rows),
                 bins=torch.as_tensor(context.binner.transform(y)), weight=torch.ones(rows))


@pytest.mark.parametrize("spec", ["ranksim", "sqinv+lds+fds+ranksim"])
def test_main_loss_minus_head_loss_is_gamma_times_ranksim(spec):
    fitted = fit_method(DATA, spec, train_config=TINY)
    plan, batch = fitted.plan, _batch(fitted)
    assert len(torch.unique(batch.y)) == len(batch)  # unique labels: no random subsampling
    fitted.model.train()
    with torch.no_grad():
        output = fitted.model(batch.x, batch.bins, epoch=5)
        extra = plan.main_loss(output, batch) - plan.head.loss(output, batch, plan)
    (term,) = plan.regularizers
    assert term.name == "ranksim" and term.weight == 100.0
    expected = 100.0 * ranksim_loss(output.features, batch.y, interpolation=2.0)
    torch.testing.assert_close(extra, expected, rtol=1e-4, atol=1e-4)
    assert float(expected) > 0
    assert np.isfinite(fitted.predict(DATA.x_test)).all()


def test_the_regulariser_reads_uncalibrated_features_unless_asked():
    generator = torch.Generator().manual_seed(0)
    raw, calibrated = torch.randn(6, 3, generator=generator), torch.randn(6, 3, generator=generator)
    output = DIROutput(features=raw, calibrated=calibrated, prediction=torch.zeros(6))
    batch = Batch(x=torch.zeros(6, 1), y=torch.arange(6.0), index=torch.arange(6),
                  bins=torch.arange(6), weight=torch.ones(6))
    for choice, features in (("features", raw), ("calibrated", calibrated)):
        plan = build_plan("ranksim", {"ranksim": {"features": choice, "gamma": 2.0}})
        (term,) = plan.regularizers
        torch.testing.assert_close(term.fn(output, batch), ranksim_loss(features, batch.y))
        assert term.weight == 2.0
    with pytest.raises(ConfigError, match="'interpolation' parameter of ranksim"):
        build_plan("ranksim", {"ranksim": {"interpolation": 0.0}})
