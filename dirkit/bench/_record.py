"""What one run leaves in a benchmark folder: its JSON record and its arrays."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import dirkit
from dirkit.bench._store import labels_path, predictions_path, save_arrays, to_json
from dirkit.datasets import DatasetSplits
from dirkit.engine import RunResult

__all__ = ["make_record", "save_labels", "save_predictions"]


def make_record(
    result: RunResult,
    *,
    settings: Mapping[str, Any],
    command: Sequence[str],
    commit: str,
    machine: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON record of one run (metrics of ``val`` and ``test``; predictions are kept apart)."""
    return to_json(
        {
            "dataset": result.dataset,
            "method": result.method,
            "seed": result.seed,
            "config": result.config,
            "settings": settings,
            "metrics": {split: result.metrics[split] for split in ("val", "test") if split in result.metrics},
            "diagnostics": result.diagnostics,
            "history": result.history,
            "duration_s": result.duration_s,
            "commit": commit,
            "machine": machine,
            "command": list(command),
            "dirkit_version": dirkit.__version__,
            "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        }
    )


def save_labels(out_dir: Path, name: str, seed: int, data: DatasetSplits) -> None:
    """Save the training labels and binning of a data set (once per seed) for the plots."""
    path = labels_path(out_dir, name, seed)
    if not path.exists():
        save_arrays(
            path,
            y_train=np.asarray(data.y_train, dtype=np.float64),
            bin_width=np.float64(data.bin_width),
            label_range=np.asarray(data.label_range, dtype=np.float64),
            description=np.asarray(data.description or name),
        )


def save_predictions(
    out_dir: Path, name: str, method: str, seed: int, data: DatasetSplits, result: RunResult
) -> None:
    """Save the labels and predictions of ``val`` and ``test`` of one run for the plots."""
    arrays = {}
    for split in ("val", "test"):
        if split in result.predictions:
            arrays[f"y_{split}"] = np.asarray(getattr(data, f"y_{split}"), dtype=np.float64)
            arrays[f"pred_{split}"] = np.asarray(result.predictions[split], dtype=np.float64).reshape(-1)
    save_arrays(predictions_path(out_dir, name, method, seed), **arrays)
