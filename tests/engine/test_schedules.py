"""Learning-rate schedules: constant by default, the papers' step decay, cosine; resumed exactly."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from dirkit.cli import train_config_from
from dirkit.datasets import make_synthetic
from dirkit.engine import TrainConfig, Trainer, fit_method
from dirkit.engine._schedule import build_scheduler
from dirkit.exceptions import ConfigError, StaleCheckpointWarning

DATA = make_synthetic(0, scale=0.05)
CONFIG = TrainConfig(epochs=6, hidden=(16,), feature_dim=8, batch_size=64, lr=1e-2)


@pytest.fixture
def epoch_lrs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The learning rate of every epoch trained in the test, in order."""
    seen: list[float] = []
    original = Trainer.train_epoch

    def recording(self: Trainer, *args, **kwargs):  # type: ignore[no-untyped-def]
        assert self.optimizer is not None
        seen.append(self.optimizer.param_groups[0]["lr"])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "train_epoch", recording)
    return seen


def test_the_default_is_a_constant_rate(epoch_lrs):
    assert TrainConfig().lr_schedule == "constant"
    fit_method(DATA, "vanilla", train_config=CONFIG)
    assert epoch_lrs == [CONFIG.lr] * CONFIG.epochs


def test_step_decays_by_gamma_at_the_milestones(epoch_lrs):
    config = dataclasses.replace(CONFIG, lr_schedule="step", lr_milestones=(2, 4), lr_gamma=0.1)
    fit_method(DATA, "vanilla", train_config=config)
    np.testing.assert_allclose(epoch_lrs, [1e-2, 1e-2, 1e-3, 1e-3, 1e-4, 1e-4], rtol=1e-12)


def test_cosine_anneals_to_zero_over_the_stage(epoch_lrs):
    fit_method(DATA, "vanilla", train_config=dataclasses.replace(CONFIG, lr_schedule="cosine"))
    expected = [0.5 * CONFIG.lr * (1 + math.cos(math.pi * e / CONFIG.epochs)) for e in range(CONFIG.epochs)]
    np.testing.assert_allclose(epoch_lrs, expected, rtol=1e-9)


def test_a_shorter_stage_decays_at_the_same_fractions():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    config = TrainConfig(epochs=90, lr_schedule="step")  # the papers' 60 and 80 of 90
    scheduler = build_scheduler(optimizer, config, epochs=45)  # a stage of half the epochs
    assert scheduler is not None
    assert sorted(scheduler.state_dict()["milestones"]) == [30, 40]


@pytest.mark.parametrize("schedule", ["step", "cosine"])
def test_a_run_interrupted_mid_schedule_resumes_to_the_same_model(tmp_path, interrupt_at_epoch, schedule):
    config = dataclasses.replace(CONFIG, lr_schedule=schedule, lr_milestones=(2, 4))
    straight = fit_method(DATA, "vanilla", train_config=config).predict(DATA.x_test)
    resume = interrupt_at_epoch(3)
    with pytest.raises(KeyboardInterrupt):
        fit_method(DATA, "vanilla", train_config=config, checkpoint_dir=tmp_path)
    state = torch.load(tmp_path / "stage0-main.pt", weights_only=True)
    assert state["epoch"] == 3 and state["scheduler"]["last_epoch"] == 3
    resume()
    resumed = fit_method(DATA, "vanilla", train_config=config, checkpoint_dir=tmp_path)
    np.testing.assert_array_equal(resumed.predict(DATA.x_test), straight)


def test_a_checkpoint_of_another_schedule_is_discarded(tmp_path):
    fit_method(DATA, "vanilla", train_config=CONFIG, checkpoint_dir=tmp_path)
    with pytest.warns(StaleCheckpointWarning, match=r"train\.lr_schedule"):
        fit_method(DATA, "vanilla", train_config=dataclasses.replace(CONFIG, lr_schedule="cosine"),
                   checkpoint_dir=tmp_path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lr_schedule": "linear"}, "must be one of constant, step, cosine; got 'linear'"),
        ({"lr_schedule": "step"}, r"lr_milestones \(60, 80\) must lie in 1\.\.5"),
        ({"lr_schedule": "step", "lr_milestones": (4, 2)}, "increasing"),
        ({"lr_schedule": "step", "lr_milestones": (2,), "lr_gamma": 0.0}, "lr_gamma must be > 0"),
    ],
)
def test_bad_schedules_are_refused_before_training(changes, message):
    with pytest.raises(ConfigError, match=message):
        fit_method(DATA, "vanilla", train_config=dataclasses.replace(CONFIG, **changes))


def test_the_command_line_sets_the_schedule():
    config = train_config_from({"lr_schedule": "step", "lr_milestones": [3, 5], "lr_gamma": 0.5})
    assert (config.lr_schedule, config.lr_milestones, config.lr_gamma) == ("step", (3, 5), 0.5)
