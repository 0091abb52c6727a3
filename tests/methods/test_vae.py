"""``vae``: the regression loss on a sampled code plus the weighted KL term; the mean at eval."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dirkit.datasets._batches import Batch
from dirkit.engine import TrainConfig, fit_method
from dirkit.exceptions import ConfigError
from dirkit.losses import focal_l1, gaussian_kl, weighted_mse
from dirkit.methods import build_plan
from dirkit.nn.heads import VariationalHead

TINY = TrainConfig(epochs=3, hidden=(32,), feature_dim=16, batch_size=64, lr=1e-2)


def _batch(context, rows: int = 64) -> Batch:
    y = context.y_train[:rows]
    return Batch(x=torch.as_tensor(context.x_train[:rows], dtype=torch.float32),
                 y=torch.as_tensor(y, dtype=torch.float32), index=torch.arange(rows),
                 bins=torch.as_tensor(context.binner.transform(y)), weight=torch.linspace(0.5, 1.5, rows))


@pytest.mark.parametrize("spec", ["vae", "lds+fds+vae", "vae+focal-r"])
def test_trains_and_the_loss_is_regression_plus_kl(data, spec):
    fitted = fit_method(data, spec, train_config=TINY, seed=1)
    assert isinstance(fitted.model.head, VariationalHead)
    prediction = fitted.predict(data.x_test)
    assert np.isfinite(prediction).all() and prediction.std() > 0.1
    np.testing.assert_array_equal(prediction, fitted.predict(data.x_test))  # eval uses the mean
    head, batch = fitted.plan.head, _batch(fitted.context)
    fitted.model.train()
    with torch.no_grad():
        output = fitted.model(batch.x, batch.bins, epoch=5)
        loss = fitted.plan.main_loss(output, batch)
    label_pred = head.mean + head.std * output.prediction["prediction"]
    kl = 1e-3 * gaussian_kl(output.prediction["mu"], output.prediction["logvar"])
    if "focal-r" in spec:  # label units
        expected = focal_l1(label_pred, batch.y, weight=batch.weight) + kl
    else:
        expected = weighted_mse((label_pred - head.mean) / head.std, (batch.y - head.mean) / head.std,
                                weight=batch.weight) + kl
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)


def test_kl_weight_and_latent_size_are_settings():
    plan = build_plan("vae", {"vae": {"kl_weight": 0.5, "latent_dim": 3}})
    assert plan.head.config.kl_weight == 0.5
    assert plan.head.build(8, _Context()).latent_dim == 3
    with pytest.raises(ConfigError, match="'kl_weight' parameter of vae"):
        build_plan("vae", {"vae": {"kl_weight": -1.0}})


class _Context:
    label_mean, label_std, regression_units = 10.0, 2.0, "standardised"


@pytest.mark.parametrize("spec", ["vae", "vir"])
def test_sampled_codes_repeat_with_the_seed(data, spec):
    config = TrainConfig(epochs=2, hidden=(16,), feature_dim=8)
    a, b, c = (fit_method(data, spec, train_config=config, seed=s).predict(data.x_test) for s in (1, 1, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
