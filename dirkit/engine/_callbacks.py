"""Callbacks for :class:`~dirkit.engine.Trainer`: selection, FDS updates, history, checkpoints."""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path
from typing import Any

import torch

from dirkit.datasets._batches import SampleTable
from dirkit.engine._distributed import rank
from dirkit.engine._trainer import Trainer
from dirkit.exceptions import ConfigError
from dirkit.nn import FDS

__all__ = ["BestOnValidation", "EarlyStopping", "EpochCheckpoint", "FDSUpdate", "History"]


class BestOnValidation:
    """Keep the weights with the best **validation** metric and restore them when training ends.

    The DIR protocol selects checkpoints on the validation split; the test split is never looked
    at during training.

    Parameters
    ----------
    monitor : str
        Key of the validation metrics (``"mae"``).
    mode : {"min", "max"}
        Whether lower or higher is better.
    """

    def __init__(self, monitor: str = "mae", mode: str = "min") -> None:
        self.monitor, self.mode = monitor, mode
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None

    def on_epoch_end(self, trainer: Trainer, val_metrics: dict[str, float]) -> None:
        value = val_metrics.get(self.monitor)
        if value is None or value != value:  # no validation split, or NaN
            return
        better = self.best is None or (value < self.best if self.mode == "min" else value > self.best)
        if better and trainer.module is not None:
            self.best, self.best_epoch = value, trainer.epoch
            self.best_state = copy.deepcopy(trainer.module.model.state_dict())

    def on_fit_end(self, trainer: Trainer) -> None:
        if self.best_state is not None and trainer.module is not None:
            trainer.module.model.load_state_dict(self.best_state)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "best_state": self.best_state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch, self.best_state = (
            state["best"], state["best_epoch"], state["best_state"]
        )


class EarlyStopping:
    """Stop when the validation metric has not improved for ``patience`` epochs."""

    def __init__(self, monitor: str = "mae", *, patience: int = 10, mode: str = "min") -> None:
        self.monitor, self.patience, self.mode = monitor, patience, mode
        self.best: float | None = None
        self.waited = 0

    def on_epoch_end(self, trainer: Trainer, val_metrics: dict[str, float]) -> None:
        value = val_metrics.get(self.monitor)
        if value is None:
            return
        if self.best is None or (value < self.best if self.mode == "min" else value > self.best):
            self.best, self.waited = value, 0
            return
        self.waited += 1
        if self.waited >= self.patience:
            trainer.should_stop = True

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "waited": self.waited}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.waited = state["best"], state["waited"]


class FDSUpdate:
    """At every epoch end, sync (sum over processes) and fold each FDS layer's statistics.

    For layers in ``collect="extra-pass"`` mode it first runs the training set through the
    backbone again, without gradients and in training mode, as the reference code does.

    Parameters
    ----------
    train : SampleTable, optional
        The training samples; needed for the extra pass only.
    backbone : callable, optional
        ``backbone(x) -> features``, the part of the model in front of FDS.
    """

    def __init__(self, train: SampleTable | None = None, backbone: Any = None) -> None:
        self.train, self.backbone = train, backbone

    def on_epoch_end(self, trainer: Trainer) -> None:
        if trainer.module is None:
            return
        for layer in trainer.module.model.modules():
            if isinstance(layer, FDS):
                if layer.collect_mode == "extra-pass":
                    self._extra_pass(layer)
                layer.update()

    @torch.no_grad()
    def _extra_pass(self, layer: FDS) -> None:
        if self.train is None or self.backbone is None:
            raise ConfigError("FDS(collect='extra-pass') needs FDSUpdate(train=..., backbone=...).")
        for start in range(0, len(self.train), 4096):
            rows = torch.arange(start, min(start + 4096, len(self.train)))
            batch = self.train.batch(rows)
            layer.collect(self.backbone(batch.x), batch.bins)


class History:
    """Record the training loss and validation metrics of every epoch."""

    def __init__(self, stage: str = "main") -> None:
        self.stage = stage
        self.records: list[dict[str, Any]] = []

    def on_epoch_end(
        self, trainer: Trainer, train_loss: float, val_metrics: dict[str, float]
    ) -> None:
        record = {"stage": self.stage, "epoch": trainer.epoch, "train_loss": train_loss}
        self.records.append(record | {f"val_{k}": v for k, v in val_metrics.items()})

    def state_dict(self) -> dict[str, Any]:
        return {"records": self.records}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.records = list(state["records"])


class EpochCheckpoint:
    """Save the whole training state after every epoch; resume from it when ``fit`` starts.

    The file holds the model, the optimiser, the epoch counter, the training time so far and the
    state of every other callback that has ``state_dict``; it is written to a temporary file and
    renamed, so an interrupted write never leaves a corrupt checkpoint. Only rank 0 writes.

    Parameters
    ----------
    path : str or Path
        The checkpoint file.

    Attributes
    ----------
    resumed_from : int or None
        The epoch the fit resumed from (None when it started from scratch).
    earlier_s : float
        Seconds of training before the resume, up to the checkpoint's last save (0 without one).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.resumed_from: int | None = None
        self.earlier_s = 0.0
        self._started = time.perf_counter()

    def on_fit_start(self, trainer: Trainer) -> None:
        self._started = time.perf_counter()
        if not self.path.exists() or trainer.module is None or trainer.optimizer is None:
            return
        state = torch.load(self.path, map_location="cpu", weights_only=False)
        trainer.module.model.load_state_dict(state["model"])
        trainer.optimizer.load_state_dict(state["optimizer"])
        trainer.epoch, trainer.global_step = state["epoch"], state["global_step"]
        torch.set_rng_state(state["rng"])
        for index, callback in enumerate(trainer.callbacks):
            saved = state["callbacks"].get(index)
            if saved is not None and hasattr(callback, "load_state_dict"):
                callback.load_state_dict(saved)
        self.resumed_from = trainer.epoch
        self.earlier_s = float(state.get("elapsed_s", 0.0))

    def on_epoch_end(self, trainer: Trainer) -> None:
        if rank() != 0 or trainer.module is None or trainer.optimizer is None:
            return
        state = {
            "model": trainer.module.model.state_dict(),
            "optimizer": trainer.optimizer.state_dict(),
            "epoch": trainer.epoch,
            "global_step": trainer.global_step,
            "rng": torch.get_rng_state(),
            "elapsed_s": self.earlier_s + time.perf_counter() - self._started,
            "callbacks": {
                i: cb.state_dict()
                for i, cb in enumerate(trainer.callbacks)
                if hasattr(cb, "state_dict") and cb is not self
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        torch.save(state, temporary)
        os.replace(temporary, self.path)
