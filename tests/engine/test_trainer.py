"""The training loop: hooks, stopping, non-finite losses, checkpoint selection and resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from dirkit.datasets import Batch, GlobalBatchSampler, SampleTable
from dirkit.engine import (
    BestOnValidation,
    EarlyStopping,
    EpochCheckpoint,
    History,
    Trainer,
    TrainingError,
)


class LinearModule:
    """A tiny TrainModule: y ~ a * x."""

    def __init__(self, lr: float = 0.05, poison_at_step: int | None = None) -> None:
        generator = torch.Generator().manual_seed(0)
        self.model = nn.Linear(1, 1)
        with torch.no_grad():
            self.model.weight.copy_(torch.randn(1, 1, generator=generator))
            self.model.bias.zero_()
        self.lr, self.poison_at_step, self.steps = lr, poison_at_step, 0

    def configure_optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.model.parameters(), lr=self.lr)

    def training_loss(self, batch: Batch, *, epoch: int) -> Tensor:
        self.steps += 1
        loss = ((self.model(batch.x).squeeze(1) - batch.y) ** 2 * batch.weight).mean()
        return loss * float("nan") if self.steps == self.poison_at_step else loss

    def predict(self, x: Tensor) -> Tensor:
        return self.model(x).squeeze(1)


def table(n: int = 64, slope: float = 3.0) -> SampleTable:
    x = np.linspace(-1, 1, n, dtype=np.float32)[:, None]
    y = slope * x[:, 0]
    return SampleTable(x, y, np.zeros(n, dtype=np.int64), np.ones(n))


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_fit_start(self, trainer: Trainer) -> None:
        self.calls.append("fit_start")

    def on_epoch_end(self, trainer: Trainer, val_metrics: dict[str, float]) -> None:
        self.calls.append(f"epoch_end:{trainer.epoch}:{sorted(val_metrics)}")

    def on_fit_end(self, trainer: Trainer) -> None:
        self.calls.append("fit_end")


def test_hooks_run_in_order_with_filtered_arguments():
    recorder = Recorder()
    trainer = Trainer(epochs=2, callbacks=[recorder])
    trainer.fit(LinearModule(), table(), GlobalBatchSampler(64, 16, seed=0), table())
    assert recorder.calls == [
        "fit_start", "epoch_end:1:['mae', 'mse']", "epoch_end:2:['mae', 'mse']", "fit_end"
    ]


def test_training_reduces_the_loss_and_history_records_it():
    history = History()
    trainer = Trainer(epochs=5, callbacks=[history])
    trainer.fit(LinearModule(), table(), GlobalBatchSampler(64, 16, seed=0), table())
    losses = [r["train_loss"] for r in history.records]
    assert losses[-1] < 0.5 * losses[0]
    assert [r["epoch"] for r in history.records] == [1, 2, 3, 4, 5]


def test_a_non_finite_loss_stops_with_a_clear_error():
    trainer = Trainer(epochs=3, description="toy")
    with pytest.raises(TrainingError, match=r"nan at epoch 0, step 2 \(toy\)\. Lower the learning rate"):
        trainer.fit(LinearModule(poison_at_step=3), table(), GlobalBatchSampler(64, 16, seed=0))


def test_early_stopping_stops_when_validation_stalls():
    trainer = Trainer(epochs=50, callbacks=[EarlyStopping(patience=2)])
    # a learning rate of 0 never improves the validation metric
    trainer.fit(LinearModule(lr=0.0), table(), GlobalBatchSampler(64, 16, seed=0), table())
    assert trainer.epoch == 3


def test_best_on_validation_restores_the_best_epoch():
    module = LinearModule(lr=0.05)
    best = BestOnValidation()
    # validation labels follow slope 1 while training drives the slope towards 3: the best
    # validation epoch is early, and the final weights must be that epoch's
    history = History()
    Trainer(epochs=6, callbacks=[history, best]).fit(
        module, table(slope=3.0), GlobalBatchSampler(64, 16, seed=0), table(slope=1.0)
    )
    maes = [r["val_mae"] for r in history.records]
    assert best.best_epoch == int(np.argmin(maes)) + 1 < 6
    val = table(slope=1.0)
    restored = (module.predict(val.x) - val.y).abs().mean().item()
    assert restored == pytest.approx(min(maes), rel=1e-5)


def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path):
    def run(epochs: int, path) -> LinearModule:
        module = LinearModule()
        callbacks = [History(), BestOnValidation(), EpochCheckpoint(path)]
        Trainer(epochs=epochs, callbacks=callbacks).fit(
            module, table(), GlobalBatchSampler(64, 16, seed=0), table(slope=2.5)
        )
        return module

    straight = run(4, tmp_path / "a.pt")
    run(2, tmp_path / "b.pt")  # "interrupted" after two epochs
    elapsed = torch.load(tmp_path / "b.pt", weights_only=True)["elapsed_s"]
    checkpoint = EpochCheckpoint(tmp_path / "b.pt")
    resumed = LinearModule()
    Trainer(epochs=4, callbacks=[History(), BestOnValidation(), checkpoint]).fit(
        resumed, table(), GlobalBatchSampler(64, 16, seed=0), table(slope=2.5)
    )
    assert checkpoint.resumed_from == 2
    assert checkpoint.earlier_s == elapsed > 0  # the first attempt's training time is kept
    assert torch.load(tmp_path / "b.pt", weights_only=True)["elapsed_s"] > elapsed
    for a, b in zip(straight.model.parameters(), resumed.model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not list(tmp_path.glob("*.tmp"))
