"""Error vs label density per method (Yang et al. 2021, Fig. 3), from a benchmark's saved predictions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dirkit.bench._aggregate import Summary
from dirkit.bench._store import labels_path, predictions_path, record_key
from dirkit.density._kernels import KernelName
from dirkit.labels import UniformBinner
from dirkit.metrics import error_density_correlation

__all__ = ["DENSITY_COLUMNS", "density_correlations"]

#: The correlations shown, in order, with their column titles.
DENSITY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("empirical", "Empirical density"),
    ("effective", "LDS-smoothed density"),
)


def _training_labels(out_dir: Path, dataset: str, seed: int) -> tuple[UniformBinner, np.ndarray] | None:
    """The (unfitted) binner and training labels saved for ``(dataset, seed)``, if any."""
    path = labels_path(out_dir, dataset, seed)
    if not path.exists():
        return None
    with np.load(path) as saved:
        binner = UniformBinner(width=float(saved["bin_width"]), range=tuple(saved["label_range"].tolist()))
        return binner, np.asarray(saved["y_train"], dtype=np.float64)


def density_correlations(
    out_dir: Path,
    records: Sequence[Mapping[str, Any]],
    *,
    kernel: KernelName = "gaussian",
    ks: int = 5,
    sigma: float = 2.0,
) -> dict[tuple[str, str], dict[str, Summary]]:
    """Per (dataset, method): Pearson r of per-bin test MAE with the empirical and LDS density.

    For each record whose test predictions and training labels were saved,
    :func:`~dirkit.metrics.error_density_correlation` correlates, over the test bins, the
    per-bin MAE with the training counts (``"empirical"``) and with the LDS-smoothed counts
    (``"effective"``; ``kernel``, ``ks``, ``sigma`` as LDS's defaults). Values are summarised
    over seeds. Runs without saved predictions, or with non-finite ones, are skipped.

    Parameters
    ----------
    out_dir : Path
        A folder written by :func:`~dirkit.bench.run_benchmark`.
    records : sequence of dict
        The records to summarise.
    kernel, ks, sigma :
        The LDS kernel of the smoothed density.

    Returns
    -------
    dict
        ``{(dataset, method): {"empirical": Summary, "effective": Summary}}``; pairs without any
        saved run are absent.
    """
    out_dir = Path(out_dir)
    labels: dict[tuple[str, int], tuple[UniformBinner, np.ndarray] | None] = {}
    values: dict[tuple[str, str], dict[str, list[float]]] = {}
    for record in records:
        dataset, method, seed = record_key(record)
        if (dataset, seed) not in labels:
            labels[(dataset, seed)] = _training_labels(out_dir, dataset, seed)
        saved_labels, path = labels[(dataset, seed)], predictions_path(out_dir, dataset, method, seed)
        if saved_labels is None or not path.exists():
            continue
        with np.load(path) as saved:
            if "pred_test" not in saved:
                continue
            pred, target = np.asarray(saved["pred_test"]), np.asarray(saved["y_test"])
        if not np.isfinite(pred).all():
            continue
        binner, y_train = saved_labels
        r = error_density_correlation(pred, target, y_train, binner, kernel=kernel, ks=ks, sigma=sigma)
        column = values.setdefault((dataset, method), {name: [] for name, _ in DENSITY_COLUMNS})
        for name, _ in DENSITY_COLUMNS:
            column[name].append(r[name])
    return {key: {name: Summary.of(v) for name, v in column.items()} for key, column in values.items()}
