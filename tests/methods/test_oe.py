"""``oe``: the main loss is the head loss plus the ordinal entropy of the encoder features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dirkit.datasets._batches import Batch
from dirkit.engine import TrainConfig, fit_method
from dirkit.exceptions import ConfigError
from dirkit.losses import ordinal_entropy_loss
from dirkit.methods import build_plan
from dirkit.nn import DIROutput

TINY = TrainConfig(epochs=3, hidden=(32,), feature_dim=16, batch_size=64, lr=1e-2)


@pytest.mark.parametrize("spec", ["oe", "sqinv+lds+fds+oe", "der+oe"])
def test_main_loss_minus_head_loss_is_the_ordinal_entropy_of_the_bins(data, spec):
    fitted = fit_method(data, spec, train_config=TINY)
    prediction = fitted.predict(data.x_test)
    assert np.isfinite(prediction).all() and prediction.std() > 0.1
    context, rows = fitted.context, 64
    y = context.y_train[:rows]
    batch = Batch(x=torch.as_tensor(context.x_train[:rows], dtype=torch.float32),
                  y=torch.as_tensor(y, dtype=torch.float32), index=torch.arange(rows),
                  bins=torch.as_tensor(context.binner.transform(y)), weight=torch.ones(rows))
    fitted.model.train()
    with torch.no_grad():
        output = fitted.model(batch.x, batch.bins, epoch=5)
        extra = fitted.plan.main_loss(output, batch) - fitted.plan.head.loss(output, batch, fitted.plan)
    expected = ordinal_entropy_loss(output.features, batch.y, groups=batch.bins)
    torch.testing.assert_close(extra, expected, rtol=1e-4, atol=1e-5)
    assert len(torch.unique(batch.bins)) < rows  # some bins repeat: the tightness term is active
    assert float(expected) != 0.0


def test_settings_reach_the_term_and_bad_values_are_refused():
    gen = torch.Generator().manual_seed(0)
    raw, calibrated = torch.randn(8, 3, generator=gen), torch.randn(8, 3, generator=gen)
    output = DIROutput(features=raw, calibrated=calibrated, prediction=torch.zeros(8))
    y = torch.tensor([0.0, 0.5, 1.0, 1.0, 2.0, 2.5, 3.0, 3.0])
    batch = Batch(x=torch.zeros(8, 1), y=y, index=torch.arange(8), bins=y.long(), weight=torch.ones(8))
    plan = build_plan("oe", {"oe": {"features": "calibrated", "groups": "label", "lambda_t": 2.0,
                                    "tightness": "l2", "weight": 0.5}})
    (term,) = plan.regularizers
    assert term.name == "oe" and term.weight == 0.5
    torch.testing.assert_close(term.fn(output, batch),
                               ordinal_entropy_loss(calibrated, y, lambda_t=2.0, tightness="l2"))
    with pytest.raises(ConfigError, match="'groups' parameter of oe"):
        build_plan("oe", {"oe": {"groups": "group"}})
