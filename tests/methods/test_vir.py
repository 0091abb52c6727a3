"""``vir``: smoothed variational code, NIG likelihood with LDS-weighted pseudo-counts, KL term."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dirkit.datasets._batches import Batch
from dirkit.density import LDSWeights
from dirkit.engine import TrainConfig, fit_method
from dirkit.exceptions import ConfigError
from dirkit.losses import evidential_regression_loss, gaussian_kl
from dirkit.methods import build_plan
from dirkit.nn.heads import VIRHead, conjugate_nig

TINY = TrainConfig(epochs=3, hidden=(32,), feature_dim=16, batch_size=64, lr=1e-2)


def test_trains_with_smoothing_and_the_loss_follows_the_formula(data, captured_weights):
    fitted = fit_method(data, "vir", train_config=TINY)
    head_module = fitted.model.head
    assert isinstance(head_module, VIRHead)
    assert head_module.smoothing.epoch == 3 and int(head_module.smoothing.bin_updates.max()) == 3
    prediction = fitted.predict(data.x_test)
    assert np.isfinite(prediction).all() and prediction.std() > 0.1
    context = fitted.context
    lds = LDSWeights(binner=context.binner, reweight="sqrt_inv", lds=True)
    expected_w = lds.fit(context.y_train).weights_
    np.testing.assert_allclose(captured_weights[-1]["vir_weight"], expected_w, rtol=1e-6)
    assert np.all(captured_weights[-1]["weight"] == 1.0)  # no loss re-weighting of its own

    rows = 64
    y = context.y_train[:rows]
    w = torch.as_tensor(expected_w[:rows], dtype=torch.float32)
    batch = Batch(x=torch.as_tensor(context.x_train[:rows], dtype=torch.float32),
                  y=torch.as_tensor(y, dtype=torch.float32), index=torch.arange(rows),
                  bins=torch.as_tensor(context.binner.transform(y)), weight=torch.ones(rows),
                  extras={"vir_weight": w})
    strategy = fitted.plan.head
    fitted.model.train()
    with torch.no_grad():
        output = fitted.model(batch.x, batch.bins, epoch=5)
        loss = fitted.plan.main_loss(output, batch)
    out = output.prediction
    nig = conjugate_nig(out["ybar"], out["count"], out["omega"], weight=w, prior_nu=0.0, prior_alpha=0.3)
    target = (batch.y - strategy.location) / strategy.scale
    expected = (evidential_regression_loss(nig, target, lam=0.01)
                + 1e-3 * gaussian_kl(out["mu"], out["var"].log()))
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    assert fitted.diagnostics(data.x_test, data.y_test)["aleatoric_std"] > 0


def test_composes_with_lds_as_a_loss_weight_and_refuses_regression_losses(data, captured_weights):
    fitted = fit_method(data, "lds+vir", train_config=TrainConfig(epochs=2, hidden=(8,), feature_dim=4))
    assert captured_weights[-1]["weight"].std() > 0.1
    assert np.isfinite(fitted.predict(data.x_test)).all()
    with pytest.raises(ConfigError, match="'balanced-mse' replaces the regression loss, but 'vir'"):
        build_plan("vir+balanced-mse")
    with pytest.raises(ConfigError, match="'reweight' parameter of vir"):
        build_plan("vir", {"vir": {"reweight": "sqrt"}})
    no_weights = build_plan("vir", {"vir": {"reweight": "none"}}).head.prepare(fitted.context)
    assert np.all(no_weights["vir_weight"] == 1.0)
