"""``conr``: the main loss is the head loss plus beta times ConR with weights and predictions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dirkit.datasets import make_synthetic
from dirkit.datasets._batches import Batch
from dirkit.engine import TrainConfig, fit_method
from dirkit.exceptions import ConfigError
from dirkit.losses import conr_loss
from dirkit.methods import build_plan

TINY = TrainConfig(epochs=2, hidden=(32,), feature_dim=16, batch_size=64, lr=1e-2)
DATA = make_synthetic(0, scale=0.1)


def _batch(fitted, rows: int = 128) -> Batch:
    context = fitted.context
    y = context.y_train[:rows]
    weight = torch.linspace(0.2, 3.0, rows)
    return Batch(x=torch.as_tensor(context.x_train[:rows], dtype=torch.float32),
                 y=torch.as_tensor(y, dtype=torch.float32), index=torch.arange(rows),
                 bins=torch.as_tensor(context.binner.transform(y)), weight=weight)


@pytest.mark.parametrize("weighted", [True, False])
def test_main_loss_minus_head_loss_is_beta_times_conr(weighted):
    fitted = fit_method(DATA, "conr+lds", train_config=TINY, overrides={"conr": {"weighted": weighted}})
    plan, batch = fitted.plan, _batch(fitted)
    fitted.model.eval()
    with torch.no_grad():
        output = fitted.model(batch.x)
        extra = plan.main_loss(output, batch) - plan.head.loss(output, batch, plan)
    weight = batch.weight if weighted else None
    expected = 4.0 * conr_loss(output.features, batch.y, output.prediction, window=1.0,
                               temperature=0.2, push_scale=0.01, push_weight=weight, weight=weight)
    torch.testing.assert_close(extra, expected, rtol=1e-4, atol=1e-5)
    assert float(expected) > 0  # some anchors have confused negatives
    assert np.isfinite(fitted.predict(DATA.x_test)).all()


def test_conr_composes_with_fds_and_validates_settings():
    fitted = fit_method(DATA, "sqinv+fds+conr", train_config=TINY,
                        overrides={"conr": {"temperature": 0.07, "window": 2.0}})
    (term,) = fitted.plan.regularizers
    assert term.name == "conr" and fitted.plan.configs["conr"]["temperature"] == 0.07
    assert np.isfinite(fitted.predict(DATA.x_val)).all()
    with pytest.raises(ConfigError, match="'temperature' parameter of conr"):
        build_plan("conr", {"conr": {"temperature": 0.0}})
