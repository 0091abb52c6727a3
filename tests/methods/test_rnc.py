"""``rnc``: contrastive pre-training of the encoder, then a linear probe on frozen features."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch

from dirkit.datasets import make_synthetic
from dirkit.datasets._batches import Batch
from dirkit.engine import TrainConfig, fit_plan
from dirkit.losses import focal_l1, rank_n_contrast_loss, weighted_l1
from dirkit.methods import build_plan
from dirkit.nn import DIROutput

TINY = TrainConfig(epochs=2, hidden=(32,), feature_dim=16, batch_size=64, lr=1e-2)
DATA = make_synthetic(0, scale=0.1)


def test_pretraining_changes_the_encoder_and_the_probe_leaves_it_untouched():
    plan = build_plan("rnc")
    stage, snapshots = plan.stages[0], {}
    assert stage.position == "before" and stage.freezes_main_backbone and not stage.select_on_val

    def prepare(model):
        snapshots["model"], snapshots["initial"] = model, copy.deepcopy(model.backbone.state_dict())

    probe = plan.regression_loss

    def recording_probe(pred, target, *, weight):
        snapshots.setdefault("pretrained", copy.deepcopy(snapshots["model"].backbone.state_dict()))
        return probe(pred, target, weight=weight)

    plan.stages[0] = dataclasses.replace(stage, prepare_model=prepare)
    plan.regression_loss = recording_probe
    fitted = fit_plan(plan, DATA, TINY, seed=0)
    final = fitted.model.backbone.state_dict()
    pretrained, initial = snapshots["pretrained"], snapshots["initial"]
    assert any(not torch.equal(pretrained[k], initial[k]) for k in initial)
    for key, value in pretrained.items():
        torch.testing.assert_close(final[key], value, rtol=0, atol=0)
    stages = [r["stage"] for r in fitted.history]
    assert stages == ["rnc-pretrain"] * 8 + ["main"] * 2  # 4 x the probe's epochs
    losses = [r["train_loss"] for r in fitted.history if r["stage"] == "rnc-pretrain"]
    assert losses[-1] < losses[0]
    assert "val_mae" not in fitted.history[0] and "val_mae" in fitted.history[-1]
    assert np.isfinite(fitted.predict(DATA.x_test)).all()


def test_the_pretraining_loss_is_rnc_on_the_encoder_features():
    plan = build_plan("rnc", {"rnc": {"temperature": 0.5}})
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(10, 4, generator=generator)
    output = DIROutput(features=features, calibrated=features, prediction=torch.zeros(10))
    batch = Batch(x=torch.zeros(10, 1), y=torch.arange(10.0), index=torch.arange(10),
                  bins=torch.arange(10), weight=torch.ones(10))
    torch.testing.assert_close(plan.stages[0].loss(output, batch, plan),
                               rank_n_contrast_loss(features, batch.y, temperature=0.5))
    one = Batch(x=torch.zeros(1, 1), y=torch.zeros(1), index=torch.zeros(1, dtype=torch.long),
                bins=torch.zeros(1, dtype=torch.long), weight=torch.ones(1))
    feature = torch.ones(1, 4, requires_grad=True)
    single = DIROutput(features=feature, calibrated=feature, prediction=torch.zeros(1))
    assert plan.stages[0].loss(single, one, plan).detach().item() == 0.0


@pytest.mark.parametrize("spec", ["rnc+focal-r", "focal-r+rnc"])
def test_the_probe_uses_l1_unless_a_loss_method_is_composed(spec):
    assert build_plan("rnc").regression_loss is weighted_l1
    assert build_plan("rnc", {"rnc": {"probe_loss": "mse"}}).regression_loss_name == "mse"
    plan = build_plan(spec)
    assert plan.regression_loss_name == "focal-l1"
    pred, target = torch.tensor([0.0, 4.0]), torch.tensor([1.0, 0.0])
    torch.testing.assert_close(plan.regression_loss(pred, target, weight=None), focal_l1(pred, target))
