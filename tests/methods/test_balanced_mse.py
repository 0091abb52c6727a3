"""``balanced-mse``: sigma lives in the model and is trained; BMC, GAI and BNI end to end."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from dirkit.datasets import make_synthetic
from dirkit.datasets._batches import Batch
from dirkit.engine import TrainConfig, fit_method, fit_plan
from dirkit.engine._fit import StageModule, build_model, extra_modules
from dirkit.exceptions import ConfigError
from dirkit.losses import bmc_loss, bni_loss
from dirkit.methods import build_plan
from dirkit.methods._balanced_mse import BalancedMSEConfig, BalancedMSELoss

TINY = TrainConfig(epochs=2, hidden=(32,), feature_dim=16, batch_size=64, lr=1e-2)
DATA = make_synthetic(0, scale=0.1)


def _sigma(fitted) -> torch.Tensor:
    return extra_modules(fitted.model)["balanced-mse"].noise_sigma


def test_a_learnable_sigma_is_a_model_parameter_that_training_changes():
    fitted = fit_method(DATA, "balanced-mse", train_config=TINY)
    sigma = _sigma(fitted)
    assert isinstance(sigma, nn.Parameter)
    assert any(p is sigma for p in fitted.model.parameters())
    assert "extra_modules.balanced-mse.noise_sigma" in fitted.model.state_dict()
    assert abs(float(sigma.detach()) - 0.1) > 1e-4  # initialised at 0.1, then trained


def test_a_fixed_sigma_is_a_buffer_that_stays_put():
    fitted = fit_method(DATA, "balanced-mse", train_config=TINY,
                        overrides={"balanced-mse": {"learnable_noise": False, "init_noise_sigma": 3.0}})
    sigma = _sigma(fitted)
    assert not isinstance(sigma, nn.Parameter) and float(sigma) == 3.0
    assert np.isfinite(fitted.predict(DATA.x_test)).all()


def test_sigma_gets_its_own_learning_rate():
    plan = build_plan("balanced-mse", {"balanced-mse": {"sigma_lr": 0.05}})
    fitted = fit_method(DATA, "vanilla", train_config=TINY)  # only for a label context
    model = build_model(plan, fitted.context, TINY)
    module = StageModule(model, plan, lambda o, b, p: o.prediction.sum(), plan.head.predict,
                         [model], TINY)
    optimizer = module.configure_optimizer()
    sigma = extra_modules(model)["balanced-mse"].noise_sigma
    (group,) = [g for g in optimizer.param_groups if any(p is sigma for p in g["params"])]
    assert group["lr"] == 0.05 and len(group["params"]) == 1
    others = [g for g in optimizer.param_groups if g is not group]
    assert [g["lr"] for g in others] == [TINY.lr]


def test_the_training_loss_is_bmc_with_the_model_sigma():
    fitted = fit_method(DATA, "balanced-mse", train_config=TINY)
    generator = torch.Generator().manual_seed(0)
    pred, target = 50 * torch.rand(16, generator=generator), 50 * torch.rand(16, generator=generator)
    weight = torch.rand(16, generator=generator)
    sigma = _sigma(fitted)
    torch.testing.assert_close(fitted.plan.regression_loss(pred, target, weight=weight),
                               bmc_loss(pred, target, noise_sigma=sigma, weight=weight))
    one = torch.ones(1, requires_grad=True)
    single = fitted.plan.regression_loss(one, torch.zeros(1), weight=torch.ones(1))
    single.backward()
    assert single.detach().item() == 0.0 and one.grad is not None  # a trailing batch of one: no loss


def _standardised(values):
    return (np.asarray(values) - DATA.y_train.mean()) / DATA.y_train.std()


def test_gai_fits_an_8_component_mixture_and_bni_uses_the_plan_bins():
    gai = fit_method(DATA, "balanced-mse", train_config=TINY, overrides={"balanced-mse": {"variant": "gai"}})
    module = extra_modules(gai.model)["balanced-mse"]
    assert module.gmm_means.shape == (8,)
    low, high = _standardised([DATA.y_train.min(), DATA.y_train.max()])  # the loss's units
    assert low - 0.1 < float(module.gmm_means.min()) < float(module.gmm_means.max()) < high + 0.1
    bni = fit_method(DATA, "balanced-mse", train_config=TINY, overrides={"balanced-mse": {"variant": "bni"}})
    module = extra_modules(bni.model)["balanced-mse"]
    binner = bni.context.binner
    np.testing.assert_allclose(module.bin_centers.numpy(), _standardised(binner.bin_centers_),
                               rtol=1e-5, atol=1e-6)
    assert float(module.bin_counts.sum()) == len(DATA.y_train)
    pred, target = torch.tensor([10.0, 50.0]), torch.tensor([12.0, 49.0])
    torch.testing.assert_close(
        bni.plan.regression_loss(pred, target),
        bni_loss(pred, target, bin_centers=module.bin_centers, bin_counts=module.bin_counts,
                 noise_sigma=module.noise_sigma),
    )
    for fitted in (gai, bni):
        assert np.isfinite(fitted.predict(DATA.x_test)).all()


def test_balanced_mse_composes_with_fds():
    fitted = fit_method(DATA, "balanced-mse+fds", train_config=TINY)
    assert fitted.model.fds is not None and np.isfinite(fitted.predict(DATA.x_val)).all()


def test_the_loss_explains_that_it_is_built_with_the_model():
    with pytest.raises(ConfigError, match="built with the model"):
        BalancedMSELoss(BalancedMSEConfig())(torch.zeros(2), torch.zeros(2))
    with pytest.raises(ConfigError, match="'variant' parameter of balanced-mse"):
        build_plan("balanced-mse", {"balanced-mse": {"variant": "mse"}})


def test_sigma_is_fixed_while_only_the_encoder_trains_and_learned_with_the_probe():
    plan = build_plan("balanced-mse+rnc")
    stage, seen = plan.stages[0], {}

    def prepare(model):
        seen["model"] = model

    loss = plan.regression_loss

    def recording(pred, target, *, weight):
        sigma = extra_modules(seen["model"])["balanced-mse"].noise_sigma
        seen.setdefault("after_pretraining", sigma.detach().item())
        return loss(pred, target, weight=weight)

    plan.stages[0] = dataclasses.replace(stage, prepare_model=prepare)
    plan.regression_loss = recording
    fitted = fit_plan(plan, DATA, TINY, seed=0)
    assert seen["after_pretraining"] == pytest.approx(0.1)  # the initial value, kept
    assert abs(_sigma(fitted).detach().item() - 0.1) > 1e-5


def test_in_label_units_the_label_model_and_sigma_are_in_label_units_as_the_reference():
    label_units = dataclasses.replace(TINY, regression_units="label")
    gai = fit_method(DATA, "balanced-mse", train_config=label_units,
                     overrides={"balanced-mse": {"variant": "gai"}})
    means = extra_modules(gai.model)["balanced-mse"].gmm_means
    assert DATA.y_train.min() - 1 < float(means.min()) < float(means.max()) < DATA.y_train.max() + 1
    bni = fit_method(DATA, "balanced-mse", train_config=label_units,
                     overrides={"balanced-mse": {"variant": "bni"}})
    np.testing.assert_allclose(extra_modules(bni.model)["balanced-mse"].bin_centers.numpy(),
                               bni.context.binner.bin_centers_, rtol=1e-6)
    assert bni.plan.head.regression_loss_units(bni.plan) == (0.0, 1.0)


def test_the_head_passes_standardised_values_to_the_loss_by_default(monkeypatch):
    fitted = fit_method(DATA, "balanced-mse", train_config=TINY)
    location, scale = fitted.plan.head.regression_loss_units(fitted.plan)
    assert (location, scale) == pytest.approx((DATA.y_train.mean(), DATA.y_train.std()), rel=1e-6)
    seen = {}

    def recording(pred, target, *, weight):
        seen["target"] = target
        return pred.sum() * 0.0

    monkeypatch.setattr(fitted.plan, "regression_loss", recording)
    y = torch.tensor([location, location + scale])
    output = fitted.model(torch.zeros(2, DATA.x_train.shape[1]))
    batch = Batch(x=torch.zeros(2, 1), y=y, index=torch.arange(2), bins=torch.zeros(2).long(),
                  weight=torch.ones(2))
    fitted.plan.head.loss(output, batch, fitted.plan)
    torch.testing.assert_close(seen["target"], torch.tensor([0.0, 1.0]))

