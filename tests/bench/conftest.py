"""Fixtures of the benchmark tests: a tiny registered data set and a fake, counting run function."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from dirkit._registry import DATASETS
from dirkit.datasets import DatasetSplits
from dirkit.engine import RunResult
from dirkit.metrics import shot_metrics

TINY = "tiny-bench"


def make_tiny(seed: int = 0, *, shift: float = 0.0) -> DatasetSplits:
    """20 bins of width 1: many-, medium-, few- and zero-shot training counts; balanced test."""
    rng = np.random.default_rng(seed)
    counts = np.repeat([150, 40, 5, 0], 5)
    y_train = np.concatenate([rng.uniform(i, i + 1, size=c) for i, c in enumerate(counts)]) + shift
    y_eval = np.repeat(np.arange(20) + 0.5, 3)
    x = lambda y: np.column_stack([y, rng.normal(size=y.size)]).astype(np.float32)  # noqa: E731
    return DatasetSplits(
        "tiny-bench",
        x(y_train),
        y_train,
        x(y_eval),
        y_eval,
        x(y_eval),
        y_eval,
        bin_width=1.0,
        label_range=(0.0, 20.0),
        description="tiny test data",
    )


@dataclass
class FakeRun:
    """Stands in for ``run_experiment``: predictions offset by a method- and seed-specific error."""

    fail_on_call: int | None = None
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    kwargs: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, data: DatasetSplits, method: str, *, seed: int, **kwargs: Any) -> RunResult:
        self.calls.append((data.name, method, seed))
        self.kwargs.append(kwargs)
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise RuntimeError("simulated crash")
        offset = 1.0 + len(method) / 10 + seed / 100
        predictions = {s: getattr(data, f"y_{s}") + offset for s in ("val", "test")}
        metrics = {
            s: shot_metrics(predictions[s], getattr(data, f"y_{s}"), data.y_train, data.binner())
            for s in ("val", "test")
        }
        diagnostics: dict[str, Any] = {}
        if method.startswith("group"):
            diagnostics = {"group_confusion": [[8, 2, 0], [1, 7, 2], [0, 3, 5]], "group_accuracy": 0.7}
        return RunResult(
            data.name,
            method,
            seed,
            {"train": {"epochs": 1}},
            metrics,
            predictions,
            [{"stage": "main", "epoch": 1, "train_loss": 1.0}],
            diagnostics,
            duration_s=0.5,
        )


@pytest.fixture
def tiny_dataset(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Register ``tiny-bench`` for one test; the returned list collects the seeds it was loaded with."""
    loads: list[int] = []

    def load(seed: int = 0, *, shift: float = 0.0) -> DatasetSplits:
        loads.append(seed)
        return make_tiny(seed, shift=shift)

    monkeypatch.setitem(DATASETS._items, TINY, load)
    return loads


@pytest.fixture
def fake_run() -> FakeRun:
    return FakeRun()
