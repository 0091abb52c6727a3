"""Tracking callbacks: a per-epoch CSV log that survives interrupts, and an optional TensorBoard writer."""

from __future__ import annotations

import csv
import importlib.util
import io
import time
import warnings
from pathlib import Path
from typing import Any

from dirkit._atomic import atomic_write
from dirkit.engine._distributed import rank
from dirkit.engine._trainer import Trainer
from dirkit.exceptions import TrackingWarning

__all__ = [
    "CSV_COLUMNS", "CSVLogger", "TensorBoardLogger", "read_csv_log",
    "tensorboard_available",
]

#: The first columns of a CSV log; other validation metrics follow as ``val_<name>``.
CSV_COLUMNS = ("stage", "epoch", "global_step", "train_loss", "val_mae", "val_mse", "lr", "epoch_s")


def _lr(trainer: Trainer) -> float | None:
    optimizer = trainer.optimizer
    return None if optimizer is None or not optimizer.param_groups else float(optimizer.param_groups[0]["lr"])


def _replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a synced temporary file renamed onto it)."""
    atomic_write(path, lambda file: file.write(text), mode="w", newline="")

class CSVLogger:
    """One CSV row per epoch of every stage: stage, epoch, step, training loss, validation metrics,
    learning rate and the epoch's seconds.

    Pass one instance to the trainers of every stage of a run (as :func:`~dirkit.engine.fit_plan`
    does): it keeps the rows of all stages. The file is rewritten whole after every epoch, to a
    temporary file that is then renamed, so it is never torn. Its rows are part of the state that
    :class:`~dirkit.engine.EpochCheckpoint` saves: a run interrupted and resumed from its
    checkpoints rewrites the file with the rows up to the resumed epoch and goes on, so every
    epoch appears exactly once; without checkpoints a rerun starts the file afresh. Only rank 0
    writes under ``torch.distributed``.

    Parameters
    ----------
    path : str or Path
        The CSV file (its folder is created).

    Attributes
    ----------
    rows : list of dict
        The rows written so far.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.rows: list[dict[str, Any]] = []
        self._lr: float | None = None
        self._started = time.perf_counter()
        self._first_epoch = True

    def on_fit_start(self, trainer: Trainer) -> None:
        self._first_epoch = True

    def on_epoch_start(self, trainer: Trainer) -> None:
        if self._first_epoch:  # after every on_fit_start, so after a resume restored the rows
            self.write()
            self._first_epoch = False
        self._lr, self._started = _lr(trainer), time.perf_counter()

    def on_epoch_end(self, trainer: Trainer, train_loss: float, val_metrics: dict[str, float]) -> None:
        row: dict[str, Any] = {"stage": trainer.stage, "epoch": trainer.epoch,
                               "global_step": trainer.global_step, "train_loss": float(train_loss)}
        row.update({f"val_{name}": float(value) for name, value in val_metrics.items()})
        row.update(lr=self._lr, epoch_s=round(time.perf_counter() - self._started, 4))
        self.rows.append(row)
        self.write()

    def on_fit_end(self, trainer: Trainer) -> None:
        self.write()  # a stage resumed already complete runs no epoch

    def columns(self) -> list[str]:
        """:data:`CSV_COLUMNS`, then any other keys of the rows in order of appearance."""
        extra = dict.fromkeys(key for row in self.rows for key in row if key not in CSV_COLUMNS)
        return [*CSV_COLUMNS, *extra]

    def write(self) -> None:
        """Replace the file with the header and :attr:`rows` (rank 0 only)."""
        if rank() != 0:
            return
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns(), restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in self.rows)
        _replace_file(self.path, buffer.getvalue())

    def state_dict(self) -> dict[str, Any]:
        return {"rows": [dict(row) for row in self.rows]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rows = [dict(row) for row in state["rows"]]


def read_csv_log(path: str | Path) -> list[dict[str, str]]:
    """The rows of a CSV log as dicts of strings (``""`` for empty cells)."""
    with open(path, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def tensorboard_available() -> bool:
    """Whether the ``tensorboard`` package (needed by ``torch.utils.tensorboard``) is installed."""
    return importlib.util.find_spec("tensorboard") is not None


def _summary_writer(log_dir: Path) -> Any:
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(log_dir))


class TensorBoardLogger:
    """Scalars per epoch for TensorBoard: ``<stage>/train_loss``, ``<stage>/val_<metric>`` and
    ``<stage>/lr`` at step ``epoch``.

    Needs the ``tensorboard`` package. Without it, a :class:`~dirkit.exceptions.TrackingWarning`
    says so once, with the fix (``pip install tensorboard``), and the logger does nothing;
    training is unaffected.
    One instance can serve every stage of a run; :meth:`close` flushes and closes the writer.
    Only rank 0 writes. A resumed run writes the epochs it repeats again (TensorBoard shows the
    latest value of a step).

    Parameters
    ----------
    log_dir : str or Path
        The folder of the event files (``tensorboard --logdir`` it, or a parent of it).
    """

    def __init__(self, log_dir: str | Path) -> None:
        self.log_dir = Path(log_dir)
        self.writer: Any = None
        self._lr: float | None = None
        self.enabled = rank() == 0
        if self.enabled and not tensorboard_available():
            warnings.warn(
                f"TensorBoard logging to {self.log_dir} skipped: the tensorboard package is not "
                "installed (pip install tensorboard); the per-epoch CSV log is written as usual.",
                TrackingWarning,
                stacklevel=2,
            )
            self.enabled = False

    def _writer(self) -> Any:
        if self.writer is None and self.enabled:
            self.writer = _summary_writer(self.log_dir)
        return self.writer

    def on_epoch_start(self, trainer: Trainer) -> None:
        self._lr = _lr(trainer)

    def on_epoch_end(self, trainer: Trainer, train_loss: float, val_metrics: dict[str, float]) -> None:
        writer = self._writer()
        if writer is None:
            return
        scalars = {"train_loss": train_loss, **{f"val_{k}": v for k, v in val_metrics.items()}}
        if self._lr is not None:
            scalars["lr"] = self._lr
        for name, value in scalars.items():
            writer.add_scalar(f"{trainer.stage}/{name}", float(value), trainer.epoch)

    def on_fit_end(self, trainer: Trainer) -> None:
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        """Flush and close the event file (a later epoch opens a new one)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
