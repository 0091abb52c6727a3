"""Training time of ``dirkit``'s engine against a minimal hand-written PyTorch loop (issue 14).

Both train ``vanilla`` on the built-in ``synthetic`` data set in one process, on ``--threads``
CPU threads: the engine through :func:`dirkit.engine.fit_method` (its ``Trainer.fit`` timed, so
the one-off set-up, resampling and model building, is excluded; its per-epoch training passes are
also timed alone, without the validation the engine runs after each epoch), the loop on the same
model architecture, training rows, batch size, optimiser and epochs: ``randperm``, index, forward,
MSE, ``zero_grad``, ``backward``, ``step``, nothing else. Engine and loop alternate for
``--repeats`` runs; medians are reported with the ratios (target: engine <= 1.2x the loop).

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_engine_overhead.py [--epochs 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import ClassVar
from unittest import mock

import torch

import dirkit.engine._fit as engine_fit
from dirkit.datasets import make_synthetic
from dirkit.engine import TrainConfig, Trainer, fit_method


class TimedTrainer(Trainer):
    """The engine's ``Trainer``, recording the wall time of ``fit`` and of each training epoch."""

    fit_seconds: ClassVar[list[float]] = []
    epoch_seconds: ClassVar[list[float]] = []
    captured: ClassVar[list[tuple[torch.nn.Module, torch.Tensor, torch.Tensor]]] = []

    def fit(self, module, train, sampler, val=None):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        super().fit(module, train, sampler, val)
        TimedTrainer.fit_seconds.append(time.perf_counter() - started)
        TimedTrainer.captured.append((module.model, train.x, train.y))

    def train_epoch(self, train, sampler):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        loss = super().train_epoch(train, sampler)
        TimedTrainer.epoch_seconds.append(time.perf_counter() - started)
        return loss


def minimal_loop(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, config: TrainConfig
) -> list[float]:
    """Seconds per epoch of a plain loop over full batches of the same rows (drop_last)."""
    # The engine's optimiser (Adam with its weight decay).
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    model.train()
    epochs = []
    for _ in range(config.epochs):
        started = time.perf_counter()
        order = torch.randperm(len(y))
        for start in range(0, len(y) - config.batch_size + 1, config.batch_size):
            index = order[start : start + config.batch_size]
            prediction = model(x[index]).prediction
            loss = (prediction.reshape(-1) - y[index]).square().mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        epochs.append(time.perf_counter() - started)
    return epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = TrainConfig(epochs=args.epochs, batch_size=256)
    data = make_synthetic(0)
    engine_fit_s, engine_epoch_s, loop_s, loop_epoch_s = [], [], [], []
    for repeat in range(args.repeats + 1):  # run 0 warms up and is discarded
        TimedTrainer.fit_seconds, TimedTrainer.epoch_seconds, TimedTrainer.captured = [], [], []
        with mock.patch.object(engine_fit, "Trainer", TimedTrainer):
            fit_method(data, "vanilla", seed=repeat, train_config=config)
        model, x, y = TimedTrainer.captured[0]
        epochs = minimal_loop(model, x, y, config)
        if repeat:
            engine_fit_s.append(TimedTrainer.fit_seconds[0])
            engine_epoch_s.append(statistics.median(TimedTrainer.epoch_seconds))
            loop_s.append(sum(epochs))
            loop_epoch_s.append(statistics.median(epochs))
    fit, epoch = statistics.median(engine_fit_s), statistics.median(engine_epoch_s)
    loop, loop_epoch = statistics.median(loop_s), statistics.median(loop_epoch_s)
    print(f"torch {torch.__version__}, {args.threads} thread(s); synthetic, {len(data.y_train)} rows, "
          f"MLP{config.hidden} -> {config.feature_dim}, batch {config.batch_size}, {args.epochs} epochs, "
          f"median of {args.repeats} runs")
    print(f"{'':<36}{'seconds':>9}{'x loop':>8}")
    print(f"{'minimal loop: training':<36}{loop:>9.3f}{1.0:>8.2f}")
    print(f"{'engine: Trainer.fit (with val)':<36}{fit:>9.3f}{fit / loop:>8.2f}")
    print(f"{'minimal loop: one epoch':<36}{loop_epoch:>9.3f}{1.0:>8.2f}")
    print(f"{'engine: one training epoch':<36}{epoch:>9.3f}{epoch / loop_epoch:>8.2f}")
    print("target: engine <= 1.20x the loop")


if __name__ == "__main__":
    main()
