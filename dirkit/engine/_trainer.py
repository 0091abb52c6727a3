"""The training loop: ``fit -> train_epoch -> train_step``, with named hooks for callbacks."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor, nn
from torch.optim.lr_scheduler import LRScheduler

from dirkit.datasets._batches import Batch, GlobalBatchSampler, SampleTable
from dirkit.engine._distributed import is_distributed
from dirkit.engine._precision import Precision
from dirkit.exceptions import DirkitError

__all__ = ["TrainModule", "Trainer", "TrainingError"]


class TrainingError(DirkitError, RuntimeError):
    """Training cannot go on (a non-finite loss, say); the message says where and what to try."""


class TrainModule(Protocol):
    """What the :class:`Trainer` drives: one stage of a method."""

    @property
    def model(self) -> nn.Module: ...

    def configure_optimizer(self) -> torch.optim.Optimizer: ...

    def training_loss(self, batch: Batch, *, epoch: int) -> Tensor: ...

    def predict(self, x: Tensor) -> Tensor: ...


class Trainer:
    """A plain loop you can read top to bottom; callbacks extend it through named hooks.

    Hooks, called on every callback that defines them (keyword arguments are filtered to each
    hook's signature): ``on_fit_start(trainer)``, ``on_epoch_start(trainer)``,
    ``on_train_batch_end(trainer, loss)``, ``on_epoch_end(trainer, train_loss, val_metrics)``,
    ``on_fit_end(trainer)``. A callback sets ``trainer.should_stop = True`` to stop early. A
    callback with ``state_dict()`` / ``load_state_dict(state)`` has its state saved in, and
    restored from, :class:`~dirkit.engine.EpochCheckpoint` files. What a hook can read:
    ``trainer.epoch`` (epochs done; at ``on_epoch_end`` it counts the one just finished),
    ``trainer.global_step``, ``trainer.stage``, ``trainer.epochs``, ``trainer.module.model``,
    ``trainer.optimizer`` and ``trainer.scheduler``.

    Parameters
    ----------
    epochs : int
        Epochs to train (a resumed run continues from ``trainer.epoch``).
    callbacks : sequence of objects
        Duck-typed: any object with some of the hook methods.
    evaluate_fn : callable, optional
        ``evaluate_fn(pred, target) -> dict`` of validation metrics; MAE and MSE by default.
    progress : bool
        Show a progress bar over epochs.
    description : str
        Label of the progress bar.
    stage : str
        Name of the method's stage this trainer runs (``"main"``, ``"pretrain"``, ...), for
        callbacks (``trainer.stage``).
    precision : Precision, optional
        Autocast the forward pass and loss of each training step (mixed precision), with a
        ``torch.amp.GradScaler`` (``trainer.scaler``) where it says so; None: float32.
    lr_scheduler : callable, optional
        ``lr_scheduler(optimizer) -> LRScheduler or None``, called once the optimiser exists;
        the scheduler is stepped after every epoch (before ``on_epoch_end``, so a checkpoint
        saves the learning rate of the next epoch) and kept as ``trainer.scheduler``.
    """

    def __init__(
        self,
        *,
        epochs: int,
        callbacks: Sequence[object] = (),
        evaluate_fn: Callable[[np.ndarray, np.ndarray], dict[str, float]] | None = None,
        progress: bool = False,
        description: str = "train",
        lr_scheduler: Callable[[torch.optim.Optimizer], LRScheduler | None] | None = None,
        precision: Precision | None = None,
        stage: str = "main",
    ) -> None:
        self.epochs = epochs
        self.stage = stage
        self.callbacks = list(callbacks)
        self.evaluate_fn = evaluate_fn or _mae_mse
        self.progress = progress
        self.description = description
        self.epoch = 0
        self.global_step = 0
        self.should_stop = False
        self.module: TrainModule | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.lr_scheduler = lr_scheduler
        self.scheduler: LRScheduler | None = None
        self.precision = precision
        self.scaler: torch.amp.GradScaler | None = None

    # ------------------------------------------------------------------ the loop
    def fit(
        self,
        module: TrainModule,
        train: SampleTable,
        sampler: GlobalBatchSampler,
        val: SampleTable | None = None,
    ) -> None:
        """Train ``module`` on ``train`` batches from ``sampler``, validating on ``val``."""
        self.module, self.optimizer = module, module.configure_optimizer()
        self.scheduler = None if self.lr_scheduler is None else self.lr_scheduler(self.optimizer)
        precision = self.precision
        self.scaler = (torch.amp.GradScaler(precision.device_type)
                       if precision is not None and precision.grad_scaler else None)
        self.should_stop = False
        self._call("on_fit_start")
        bar = _progress_bar(self.epochs, self.epoch, self.description, enabled=self.progress)
        while self.epoch < self.epochs and not self.should_stop:
            self._call("on_epoch_start")
            train_loss = self.train_epoch(train, sampler)
            val_metrics = self.evaluate(val) if val is not None else {}
            if self.scheduler is not None:
                self.scheduler.step()
            self.epoch += 1
            self._call("on_epoch_end", train_loss=train_loss, val_metrics=val_metrics)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{train_loss:.4g}", **{k: f"{v:.4g}" for k, v in val_metrics.items()})
        if bar is not None:
            bar.close()
        self._call("on_fit_end")

    def train_epoch(self, train: SampleTable, sampler: GlobalBatchSampler) -> float:
        """One pass over this process's batches; returns the mean training loss."""
        self._active_module().model.train()
        losses = [self.train_step(train.batch(index)) for index in sampler.epoch(self.epoch)]
        return float(np.mean(losses)) if losses else float("nan")

    def train_step(self, batch: Batch) -> float:
        """Forward, backward and optimiser step on one batch."""
        module, optimizer = self._active_module(), self.optimizer
        if optimizer is None:
            raise TrainingError("Trainer.train_step needs an optimizer; call Trainer.fit.")
        optimizer.zero_grad(set_to_none=True)
        precision = self.precision
        with (torch.autocast(precision.device_type, dtype=precision.dtype) if precision is not None
              else contextlib.nullcontext()):
            loss = module.training_loss(batch, epoch=self.epoch)
        loss = loss.float()
        if not torch.isfinite(loss):
            raise TrainingError(
                f"The training loss became {loss.item()} at epoch {self.epoch}, step "
                f"{self.global_step} ({self.description}). Lower the learning rate, check the "
                "inputs for extreme values, or standardise them."
            )
        if self.scaler is not None:  # float16: scaled against underflow, inf steps skipped
            self.scaler.scale(loss).backward()
            self.scaler.step(optimizer)
            self.scaler.update()
        else:
            loss.backward()
            optimizer.step()
        self.global_step += 1
        self._call("on_train_batch_end", loss=loss.detach())
        return float(loss.detach())

    # ------------------------------------------------------------------ evaluation
    @torch.no_grad()
    def predict(self, table: SampleTable, *, batch_size: int = 4096) -> np.ndarray:
        """Predictions of the module for every row of ``table``, in eval mode."""
        module = self._active_module()
        module.model.eval()
        outputs = [
            module.predict(table.x[start : start + batch_size]).float().cpu()
            for start in range(0, len(table), batch_size)
        ]
        return torch.cat(outputs).numpy().astype(np.float64)

    def evaluate(self, table: SampleTable) -> dict[str, float]:
        """Validation metrics of the current model on ``table``."""
        return self.evaluate_fn(self.predict(table), table.y.cpu().numpy().astype(np.float64))

    # ------------------------------------------------------------------ hooks
    def _active_module(self) -> TrainModule:
        if self.module is None:
            raise TrainingError("The Trainer has no module yet; call Trainer.fit first.")
        return self.module

    def _call(self, hook: str, **kwargs: Any) -> None:
        for callback in self.callbacks:
            method = getattr(callback, hook, None)
            if method is None:
                continue
            accepted = inspect.signature(method).parameters
            method(self, **{k: v for k, v in kwargs.items() if k in accepted})

    @property
    def distributed(self) -> bool:
        """True when training under ``torch.distributed``."""
        return is_distributed()


def _mae_mse(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    error = pred - target
    return {"mae": float(np.abs(error).mean()), "mse": float((error**2).mean())}


def _progress_bar(total: int, initial: int, description: str, *, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    # disable=None: shown on a terminal, silent when the output is a file or a pipe
    return tqdm(total=total, initial=initial, desc=description, unit="epoch", leave=False,
                dynamic_ncols=True, disable=None)
