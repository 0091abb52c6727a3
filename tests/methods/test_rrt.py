"""``rrt``: an unweighted first stage, then a re-initialised regressor re-trained with weights."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch

from dirkit.datasets import make_synthetic
from dirkit.density import LDSWeights
from dirkit.engine import TrainConfig, fit_plan
from dirkit.exceptions import ConfigError
from dirkit.methods import build_plan

TINY = TrainConfig(epochs=3, hidden=(32,), feature_dim=16, batch_size=64, lr=1e-2)
DATA = make_synthetic(0, scale=0.1)


def _instrumented(spec: str, overrides=None):
    """The plan of ``spec`` recording the model after the main stage and every stage's weights."""
    plan = build_plan(spec, overrides)
    record: dict = {"main": [], "rrt": [], "rrt_index": []}
    stage = plan.stages[0]

    def prepare(model):
        record["after_main"] = copy.deepcopy(model.state_dict())
        stage.prepare_model(model)
        record["reinitialised"] = copy.deepcopy(model.state_dict())

    def rrt_loss(output, batch, p):
        record["rrt"].append(batch.weight.clone())
        record["rrt_index"].append(batch.index.clone())
        return stage.loss(output, batch, p)

    main_loss = plan.regression_loss

    def recording_main_loss(pred, target, *, weight):
        if "after_main" not in record:
            record["main"].append(weight.clone())
        return main_loss(pred, target, weight=weight)

    plan.stages[0] = dataclasses.replace(stage, prepare_model=prepare, loss=rrt_loss)
    plan.regression_loss = recording_main_loss
    return plan, record


def _part(state: dict, prefix: str) -> dict:
    return {k: v for k, v in state.items() if k.startswith(prefix)}


def test_the_rrt_stage_keeps_the_encoder_and_retrains_a_fresh_regressor():
    plan, record = _instrumented("rrt")
    fitted = fit_plan(plan, DATA, TINY, seed=0)
    final = fitted.model.state_dict()
    for key, value in _part(record["after_main"], "backbone.").items():
        torch.testing.assert_close(final[key], value, rtol=0, atol=0)
    head_keys = [k for k in _part(final, "head.") if k.endswith(("weight", "bias"))]
    assert head_keys
    for key in head_keys:
        assert not torch.equal(record["reinitialised"][key], record["after_main"][key])
        assert not torch.equal(final[key], record["reinitialised"][key])
    assert [r["stage"] for r in fitted.history] == ["main"] * 3 + ["rrt"] * 3
    assert np.isfinite(fitted.predict(DATA.x_test)).all()


@pytest.mark.parametrize(("spec", "lds"), [("rrt", False), ("rrt+lds", True), ("lds+rrt", True)])
def test_main_stage_is_unweighted_and_rrt_stage_uses_inverse_weights(spec, lds):
    plan, record = _instrumented(spec)
    fitted = fit_plan(plan, DATA, TINY, seed=0)
    assert torch.cat(record["main"]).eq(1.0).all()
    settings = {"reweight": "inverse", "lds": lds}
    if lds:
        settings.update(kernel="gaussian", ks=5, sigma=2.0)
    expected = LDSWeights(binner=fitted.context.binner, **settings).fit(DATA.y_train).weights_
    index, weight = torch.cat(record["rrt_index"]), torch.cat(record["rrt"])
    np.testing.assert_allclose(weight.numpy(), expected[index.numpy()], rtol=1e-5)
    assert weight.std() > 0.1


def test_composed_reweighting_picks_the_kind_of_the_rrt_stage_weights():
    plan = build_plan("rrt+sqinv+lds", {"lds": {"sigma": 1.0}})
    assert plan.main_weights == {"reweight": "none", "lds": False}
    settings = plan.stages[0].weights(plan)
    assert settings["reweight"] == "sqrt_inv" and settings["lds"] and settings["sigma"] == 1.0
    plan = build_plan("inv+rrt", {"inv": {"clip": (5, 1000)}, "rrt": {"reweight": "sqrt_inv"}})
    assert plan.stages[0].weights(plan) == {"reweight": "inverse", "lds": False, "clip": (5, 1000)}
    plan = build_plan("rrt", {"rrt": {"reweight": "sqrt_inv", "epoch_fraction": 0.5}})
    assert plan.stages[0].weights(plan)["reweight"] == "sqrt_inv"
    assert plan.stages[0].epoch_fraction == 0.5


def test_rrt_composes_with_fds_and_rejects_bad_settings():
    fitted = fit_plan(build_plan("rrt+lds+fds"), DATA, TINY, seed=0)
    assert fitted.model.fds is not None and np.isfinite(fitted.predict(DATA.x_val)).all()
    with pytest.raises(ConfigError, match="'reweight' parameter of rrt"):
        build_plan("rrt", {"rrt": {"reweight": "balanced"}})
