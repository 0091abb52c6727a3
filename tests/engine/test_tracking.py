"""Tracking: the per-epoch CSV log (consistent across an interrupt and a resume), the optional
TensorBoard writer, and user callbacks given to fit_method / run_experiment."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dirkit.datasets import make_synthetic
from dirkit.engine import CSVLogger, TensorBoardLogger, TrainConfig, fit_method, read_csv_log, run_experiment
from dirkit.engine import _tracking as tracking
from dirkit.engine._tracking import CSV_COLUMNS
from dirkit.exceptions import TrackingWarning

DATA = make_synthetic(0, scale=0.1)
CONFIG = TrainConfig(epochs=4, hidden=(16,), feature_dim=8, batch_size=64)

pytestmark = pytest.mark.filterwarnings("ignore::dirkit.exceptions.DegenerateFitWarning")


def deterministic(rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
    """The columns that repeat exactly between runs (not the seconds)."""
    return [tuple(row[c] for c in CSV_COLUMNS if c != "epoch_s") for row in rows]


def test_one_row_per_epoch_of_every_stage_matching_the_history(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "run.csv"
    result = run_experiment(DATA, "rrt", train_config=CONFIG, log_csv=log)
    rows = read_csv_log(log)
    assert list(rows[0]) == list(CSV_COLUMNS)
    history = result.history
    assert [(r["stage"], int(r["epoch"])) for r in rows] == [(h["stage"], h["epoch"]) for h in history]
    assert len({r["stage"] for r in rows}) == 2  # RRT: main, then re-training the regressor
    np.testing.assert_allclose([float(r["train_loss"]) for r in rows], [h["train_loss"] for h in history])
    np.testing.assert_allclose([float(r["val_mae"]) for r in rows], [h["val_mae"] for h in history])
    assert all(float(r["lr"]) == CONFIG.lr and float(r["epoch_s"]) >= 0 for r in rows)
    steps = [int(r["global_step"]) for r in rows if r["stage"] == "main"]
    assert steps == sorted(steps) and steps[0] > 0
    assert not list(log.parent.glob(".*.tmp"))  # the atomic rewrites leave no temporary file


def test_an_interrupted_and_resumed_run_logs_every_epoch_once(
    tmp_path: Path, interrupt_at_epoch: Any
) -> None:
    uninterrupted = tmp_path / "whole.csv"
    fit_method(DATA, "vanilla", train_config=CONFIG, log_csv=uninterrupted)
    log, checkpoints = tmp_path / "run.csv", tmp_path / "checkpoints"
    resume = interrupt_at_epoch(2)
    with pytest.raises(KeyboardInterrupt):
        fit_method(DATA, "vanilla", train_config=CONFIG, log_csv=log, checkpoint_dir=checkpoints)
    assert [int(r["epoch"]) for r in read_csv_log(log)] == [1, 2]
    with open(log, "a", encoding="utf-8") as file:  # a row past the checkpoint, then a torn line
        file.write("main,3,99,0.5,1,1,0.001,0.1\nmain,4,1")
    resume()
    fit_method(DATA, "vanilla", train_config=CONFIG, log_csv=log, checkpoint_dir=checkpoints)
    rows = read_csv_log(log)
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    assert deterministic(rows) == deterministic(read_csv_log(uninterrupted))


def test_a_rerun_without_checkpoints_starts_the_log_afresh(tmp_path: Path) -> None:
    log = tmp_path / "run.csv"
    log.write_text("stale,content\n1,2\n")
    fit_method(DATA, "vanilla", train_config=TrainConfig(epochs=2, hidden=(8,), batch_size=128), log_csv=log)
    assert [r["epoch"] for r in read_csv_log(log)] == ["1", "2"]


class Recorder:
    """A user callback that uses every hook and keeps its count in the checkpoints."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.batches = 0
        self.stop_after = stop_after

    def on_fit_start(self, trainer: Any) -> None:
        self.calls.append(("fit_start", trainer.stage, trainer.epoch))

    def on_epoch_start(self, trainer: Any) -> None:
        self.calls.append(("epoch_start", trainer.stage, trainer.epoch))

    def on_train_batch_end(self, trainer: Any, loss: Any) -> None:
        assert float(loss) == float(loss)
        self.batches += 1

    def on_epoch_end(self, trainer: Any, val_metrics: dict[str, float]) -> None:  # not train_loss
        assert "mae" in val_metrics
        self.calls.append(("epoch_end", trainer.stage, trainer.epoch))
        if self.stop_after is not None and trainer.epoch >= self.stop_after:
            trainer.should_stop = True

    def on_fit_end(self, trainer: Any) -> None:
        self.calls.append(("fit_end", trainer.stage, trainer.epoch))

    def state_dict(self) -> dict[str, Any]:
        return {"batches": self.batches}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.batches = state["batches"]


def test_user_callbacks_see_every_hook_of_every_stage() -> None:
    recorder = Recorder()
    config = TrainConfig(epochs=2, hidden=(8,), batch_size=256)
    run_experiment(DATA, "rrt", train_config=config, callbacks=[recorder])
    stages = list(dict.fromkeys(stage for _, stage, _ in recorder.calls))
    assert len(stages) == 2 and stages[0] == "main"
    main = [(hook, epoch) for hook, stage, epoch in recorder.calls if stage == "main"]
    assert main == [("fit_start", 0), ("epoch_start", 0), ("epoch_end", 1), ("epoch_start", 1),
                    ("epoch_end", 2), ("fit_end", 2)]
    steps_per_epoch = -(-len(DATA.y_train) // config.batch_size)
    epochs = sum(1 for hook, _, _ in recorder.calls if hook == "epoch_end")
    assert recorder.batches == steps_per_epoch * epochs


def test_a_user_callback_can_stop_a_stage_early() -> None:
    fitted = fit_method(DATA, "vanilla", train_config=CONFIG, callbacks=[Recorder(stop_after=2)])
    assert [h["epoch"] for h in fitted.history] == [1, 2]


def test_user_callback_state_is_checkpointed(tmp_path: Path, interrupt_at_epoch: Any) -> None:
    resume = interrupt_at_epoch(2)
    with pytest.raises(KeyboardInterrupt):
        fit_method(DATA, "vanilla", train_config=CONFIG, checkpoint_dir=tmp_path, callbacks=[Recorder()])
    resume()
    recorder = Recorder()
    fit_method(DATA, "vanilla", train_config=CONFIG, checkpoint_dir=tmp_path, callbacks=[recorder])
    whole = Recorder()
    fit_method(DATA, "vanilla", train_config=CONFIG, callbacks=[whole])
    assert recorder.batches == whole.batches  # 2 epochs restored from the checkpoint, 2 trained
    assert next(c for c in recorder.calls if c[0] == "epoch_start")[2] == 2


def test_changed_callbacks_do_not_receive_another_callbacks_state(
    tmp_path: Path, interrupt_at_epoch: Any
) -> None:
    resume = interrupt_at_epoch(2)
    with pytest.raises(KeyboardInterrupt):
        fit_method(DATA, "vanilla", train_config=CONFIG, checkpoint_dir=tmp_path, callbacks=[Recorder()])
    resume()
    logger = CSVLogger(tmp_path / "log.csv")  # where the Recorder's state was saved
    fit_method(DATA, "vanilla", train_config=CONFIG, checkpoint_dir=tmp_path, callbacks=[logger])
    assert [r["epoch"] for r in logger.rows] == [3, 4]


def test_without_tensorboard_a_warning_names_the_fix_and_training_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracking, "tensorboard_available", lambda: False)
    with pytest.warns(TrackingWarning, match=r"package is not installed \(pip install tensorboard\)"):
        fitted = fit_method(DATA, "vanilla", train_config=CONFIG, tensorboard_dir=tmp_path / "tb",
                            log_csv=tmp_path / "log.csv")
    assert not (tmp_path / "tb").exists() and len(read_csv_log(tmp_path / "log.csv")) == len(fitted.history)


class FakeWriter:
    def __init__(self) -> None:
        self.scalars: list[tuple[str, float, int]] = []
        self.closed = False

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        self.scalars.append((tag, value, step))

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_tensorboard_scalars_per_stage_and_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writers: list[FakeWriter] = []
    monkeypatch.setattr(tracking, "tensorboard_available", lambda: True)
    def open_writer(log_dir: Path) -> FakeWriter:
        writers.append(FakeWriter())
        return writers[-1]

    monkeypatch.setattr(tracking, "_summary_writer", open_writer)
    fitted = fit_method(DATA, "vanilla", train_config=CONFIG, tensorboard_dir=tmp_path)
    assert len(writers) == 1 and writers[0].closed
    losses = [(value, step) for tag, value, step in writers[0].scalars if tag == "main/train_loss"]
    assert losses == [(pytest.approx(h["train_loss"]), h["epoch"]) for h in fitted.history]
    tags = {tag for tag, _, _ in writers[0].scalars}
    assert tags == {"main/train_loss", "main/val_mae", "main/val_mse", "main/lr"}


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None, reason="tensorboard is not installed")
def test_real_tensorboard_event_files(tmp_path: Path) -> None:
    logger = TensorBoardLogger(tmp_path)
    fit_method(DATA, "vanilla", train_config=CONFIG, callbacks=[logger])
    logger.close()
    assert list(tmp_path.glob("events.out.tfevents.*"))
