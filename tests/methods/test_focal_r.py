"""``focal-r``: the plan's regression loss is Focal-R, end to end and composed with LDS."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dirkit.datasets import make_synthetic
from dirkit.datasets._batches import Batch
from dirkit.density import LDSWeights
from dirkit.engine import TrainConfig, fit_method, fit_plan
from dirkit.exceptions import ConfigError
from dirkit.losses import focal_l1, focal_mse
from dirkit.methods import build_plan

TINY = TrainConfig(epochs=2, hidden=(32,), feature_dim=16, batch_size=64, lr=1e-2)
DATA = make_synthetic(0, scale=0.1)


def _training_batch(fitted, rows: int = 64) -> Batch:
    context = fitted.context
    x = torch.as_tensor(context.x_train[:rows], dtype=torch.float32)
    y = torch.as_tensor(context.y_train[:rows], dtype=torch.float32)
    bins = torch.as_tensor(context.binner.transform(context.y_train[:rows]))
    weight = torch.linspace(0.5, 1.5, rows)
    return Batch(x=x, y=y, index=torch.arange(rows), bins=bins, weight=weight)


def test_the_plan_loss_is_focal_l1_by_default_and_focal_mse_on_request():
    generator = torch.Generator().manual_seed(0)
    pred, target = 30 * torch.rand(50, generator=generator), 30 * torch.rand(50, generator=generator)
    weight = torch.rand(50, generator=generator) + 0.5
    plan = build_plan("focal-r")
    assert plan.regression_loss_name == "focal-l1"
    torch.testing.assert_close(plan.regression_loss(pred, target, weight=weight),
                               focal_l1(pred, target, beta=0.2, gamma=1.0, weight=weight))
    plan = build_plan("focal-r", {"focal-r": {"variant": "mse", "beta": 0.5, "gamma": 2.0,
                                              "activation": "tanh"}})
    torch.testing.assert_close(
        plan.regression_loss(pred, target, weight=weight),
        focal_mse(pred, target, beta=0.5, gamma=2.0, activation="tanh", weight=weight),
    )


def test_training_uses_focal_l1_on_the_model_predictions():
    fitted = fit_method(DATA, "focal-r", train_config=TINY)
    batch = _training_batch(fitted)
    fitted.model.eval()
    with torch.no_grad():
        output = fitted.model(batch.x)
        loss = fitted.plan.main_loss(output, batch)
    expected = focal_l1(output.prediction, batch.y, weight=batch.weight)
    torch.testing.assert_close(loss, expected)
    assert np.isfinite(fitted.predict(DATA.x_test)).all()
    assert fitted.history[-1]["train_loss"] < fitted.history[0]["train_loss"]


def test_focal_r_with_lds_weights_each_sample_by_its_smoothed_inverse_density():
    plan = build_plan("focal-r+lds")
    focal, seen = plan.regression_loss, []

    def recording(pred, target, *, weight):
        seen.append(weight.detach().clone())
        return focal(pred, target, weight=weight)

    plan.regression_loss = recording
    fitted = fit_plan(plan, DATA, TINY, seed=0)
    per_epoch = int(np.ceil(len(DATA.y_train) / TINY.batch_size))
    first_epoch = torch.cat(seen[:per_epoch]).sort().values
    expected = LDSWeights(binner=fitted.context.binner, **plan.weights).fit(DATA.y_train).weights_
    assert plan.weights["reweight"] == "sqrt_inv" and plan.weights["lds"]
    np.testing.assert_allclose(first_epoch.numpy(), np.sort(expected), rtol=1e-5)
    assert first_epoch.std() > 0.1


@pytest.mark.parametrize("spec", ["focal-r+balanced-mse", "balanced-mse+focal-r"])
def test_two_loss_methods_are_refused_in_either_order(spec):
    with pytest.raises(ConfigError, match="both replace the regression loss"):
        build_plan(spec)


def test_invalid_settings_are_reported():
    with pytest.raises(ConfigError, match="'variant' parameter of focal-r"):
        build_plan("focal-r", {"focal-r": {"variant": "huber"}})
    with pytest.raises(ConfigError, match="'beta' parameter of focal-r"):
        build_plan("focal-r", {"focal-r": {"beta": 0.0}})
