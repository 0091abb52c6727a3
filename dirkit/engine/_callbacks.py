"""Callbacks for :class:`~dirkit.engine.Trainer`: selection, FDS updates, history, checkpoints."""

from __future__ import annotations

import copy
import os
import time
import warnings
from pathlib import Path
from typing import Any

import torch

from dirkit.datasets._batches import SampleTable
from dirkit.engine._distributed import rank
from dirkit.engine._trainer import Trainer
from dirkit.exceptions import CheckpointError, ConfigError, StaleCheckpointWarning
from dirkit.nn import FDS, ProbabilisticSmoothing

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

    VIR's :class:`~dirkit.nn.ProbabilisticSmoothing` layers are updated the same way.

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
            elif isinstance(layer, ProbabilisticSmoothing):
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

    The file holds the model, the optimiser, the learning-rate scheduler, the epoch counter, the
    training time so far, the state of every other callback that has ``state_dict`` and the run's
    ``settings``; it is written to a temporary file and renamed, so an interrupted write never
    leaves a corrupt checkpoint. Only rank 0 writes. It is read with
    ``torch.load(weights_only=True)``: tensors and plain containers only, never arbitrary pickled
    objects, so a crafted file cannot run code.

    Parameters
    ----------
    path : str or Path
        The checkpoint file.
    settings : dict, optional
        Plain-JSON description of what the run depends on (training and method settings, data
        set, seed, code version). A checkpoint saved with other settings, or without any, is
        discarded with a :class:`~dirkit.exceptions.StaleCheckpointWarning` and training starts
        afresh; None resumes any checkpoint.

    Raises
    ------
    CheckpointError
        When the file cannot be loaded safely (corrupt, truncated, or holding other objects).

    Attributes
    ----------
    resumed_from : int or None
        The epoch the fit resumed from (None when it started from scratch).
    earlier_s : float
        Seconds of training before the resume, up to the checkpoint's last save (0 without one).
    """

    def __init__(self, path: str | Path, *, settings: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.settings = settings
        self.resumed_from: int | None = None
        self.earlier_s = 0.0
        self._started = time.perf_counter()

    def on_fit_start(self, trainer: Trainer) -> None:
        self._started = time.perf_counter()
        if not self.path.exists() or trainer.module is None or trainer.optimizer is None:
            return
        state = self._load()
        if state is None:
            return
        trainer.module.model.load_state_dict(state["model"])
        trainer.optimizer.load_state_dict(state["optimizer"])
        if (trainer.scheduler is None) != (state.get("scheduler") is None):
            raise CheckpointError(
                f"Checkpoint {self.path} was saved {'with' if state.get('scheduler') else 'without'} a "
                "learning-rate scheduler and this run has the other; delete it to train from scratch."
            )
        if trainer.scheduler is not None:
            trainer.scheduler.load_state_dict(state["scheduler"])
        if trainer.scaler is not None and state.get("scaler") is not None:
            trainer.scaler.load_state_dict(state["scaler"])
        trainer.epoch, trainer.global_step = state["epoch"], state["global_step"]
        torch.set_rng_state(state["rng"])
        types = state.get("callback_types") or {}
        for index, callback in enumerate(trainer.callbacks):
            saved = state["callbacks"].get(index)
            if types.get(index, type(callback).__qualname__) != type(callback).__qualname__:
                continue  # the callbacks changed since (a user callback added): not its state
            if saved is not None and hasattr(callback, "load_state_dict"):
                callback.load_state_dict(saved)
        self.resumed_from = trainer.epoch
        self.earlier_s = float(state.get("elapsed_s", 0.0))

    def _load(self) -> dict[str, Any] | None:
        """The saved state, or None when it was made with other settings (then it is deleted)."""
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as error:  # UnpicklingError, truncated zip, ... : never run its code
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise CheckpointError(
                f"Checkpoint {self.path} cannot be loaded safely ({type(error).__name__}: {reason[:200]}); "
                "it is corrupt or not a dirkit checkpoint. Delete it to train this run from scratch."
            ) from None
        if not isinstance(state, dict) or "model" not in state:
            raise CheckpointError(
                f"Checkpoint {self.path} is not a dirkit training checkpoint; "
                "delete it to train from scratch."
            )
        if self.settings is not None and state.get("settings") != self.settings:
            changed = _changed_keys(state.get("settings"), self.settings)
            warnings.warn(
                f"Discarding checkpoint {self.path}: it was saved with other settings "
                f"({', '.join(changed) or 'none recorded'}); training this stage from scratch.",
                StaleCheckpointWarning,
                stacklevel=3,
            )
            if rank() == 0:
                self.path.unlink(missing_ok=True)
            return None
        return dict(state)

    def on_epoch_end(self, trainer: Trainer) -> None:
        if rank() != 0 or trainer.module is None or trainer.optimizer is None:
            return
        state = {
            "settings": self.settings,
            "model": trainer.module.model.state_dict(),
            "optimizer": trainer.optimizer.state_dict(),
            "scheduler": None if trainer.scheduler is None else trainer.scheduler.state_dict(),
            "scaler": None if trainer.scaler is None else trainer.scaler.state_dict(),
            "epoch": trainer.epoch,
            "global_step": trainer.global_step,
            "rng": torch.get_rng_state(),
            "elapsed_s": self.earlier_s + time.perf_counter() - self._started,
            "callbacks": {
                i: cb.state_dict()
                for i, cb in enumerate(trainer.callbacks)
                if hasattr(cb, "state_dict") and cb is not self
            },
            "callback_types": {i: type(cb).__qualname__ for i, cb in enumerate(trainer.callbacks)},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        torch.save(state, temporary)
        os.replace(temporary, self.path)


def _changed_keys(saved: Any, asked: Any, prefix: str = "") -> list[str]:
    """Dotted names of the leaves where two plain-JSON values differ (``["train.lr"]``)."""
    if isinstance(saved, dict) and isinstance(asked, dict):
        return [change for key in dict.fromkeys([*saved, *asked])
                for change in _changed_keys(saved.get(key), asked.get(key), f"{prefix}{key}.")]
    return [] if saved == asked else [prefix.rstrip(".") or "settings"]
