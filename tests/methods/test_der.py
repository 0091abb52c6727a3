"""``der``: an NIG head trained by the evidential loss; ``lds+fds+der`` weighs each sample's loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dirkit.datasets._batches import Batch
from dirkit.engine import TrainConfig, fit_method
from dirkit.exceptions import ConfigError
from dirkit.losses import evidential_regression_loss
from dirkit.methods import build_plan
from dirkit.nn.heads import NIGHead

TINY = TrainConfig(epochs=3, hidden=(32,), feature_dim=16, batch_size=64, lr=1e-2)


def _batch(fitted, weights: bool, rows: int = 64) -> Batch:
    context = fitted.context
    y = context.y_train[:rows]
    weight = torch.linspace(0.5, 1.5, rows) if weights else torch.ones(rows)
    return Batch(x=torch.as_tensor(context.x_train[:rows], dtype=torch.float32),
                 y=torch.as_tensor(y, dtype=torch.float32), index=torch.arange(rows),
                 bins=torch.as_tensor(context.binner.transform(y)), weight=weight)


@pytest.mark.parametrize("spec", ["der", "lds+fds+der"])
def test_trains_to_finite_varied_predictions_and_the_loss_is_the_evidential_loss(data, spec):
    fitted = fit_method(data, spec, train_config=TINY)
    assert isinstance(fitted.model.head, NIGHead) and (fitted.model.fds is not None) == ("fds" in spec)
    prediction = fitted.predict(data.x_test)
    assert np.isfinite(prediction).all() and prediction.std() > 0.1
    plan, batch = fitted.plan, _batch(fitted, weights=True)
    fitted.model.train()
    with torch.no_grad():
        output = fitted.model(batch.x, batch.bins, epoch=5)
        loss = plan.main_loss(output, batch)
    head = plan.head
    target = (batch.y - head.location) / head.scale  # standardised labels
    expected = evidential_regression_loss(output.prediction, target, lam=0.01, weight=batch.weight)
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(head.predict(output), head.location + head.scale * output.prediction[:, 0])
    diagnostics = fitted.diagnostics(data.x_test, data.y_test)
    assert diagnostics["aleatoric_std"] > 0 and diagnostics["epistemic_std"] > 0


def test_lds_weights_reach_the_likelihood(data, captured_weights):
    fit_method(data, "lds+der", train_config=TrainConfig(epochs=1, hidden=(8,), feature_dim=4))
    weights = captured_weights[-1]["weight"]
    assert weights.std() > 0.1 and weights.mean() == pytest.approx(1.0, rel=1e-6)


def test_regression_loss_methods_are_refused_and_lam_is_checked():
    with pytest.raises(ConfigError, match="'focal-r' replaces the regression loss, but 'der'"):
        build_plan("der+focal-r")
    with pytest.raises(ConfigError, match="'lam' parameter of der"):
        build_plan("der", {"der": {"lam": -1.0}})
    assert build_plan("der", {"der": {"lam": 0.1}}).head.config.lam == 0.1
