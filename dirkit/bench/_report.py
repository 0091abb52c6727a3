"""Re-render ``results.md`` and the plots of a benchmark folder from its saved files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dirkit.bench._aggregate import datasets_of, methods_of
from dirkit.bench._confusion import plot_group_confusion
from dirkit.bench._density import density_correlations
from dirkit.bench._markdown import render_markdown
from dirkit.bench._plots import plot_label_histogram, plot_per_bin_mae
from dirkit.bench._store import atomic_write, labels_path, load_records, predictions_path, safe_name
from dirkit.labels import UniformBinner
from dirkit.metrics import per_bin_errors

__all__ = ["MARKDOWN_FILE", "ReportFiles", "write_report"]

#: Name of the Markdown tables inside a benchmark's output folder.
MARKDOWN_FILE = "results.md"

Records = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class ReportFiles:
    """Paths :func:`write_report` wrote: the Markdown tables and the PNG plots."""

    markdown: Path
    plots: list[Path] = field(default_factory=list)


def _binners(out_dir: Path, dataset: str, seeds: Sequence[int]) -> dict[int, UniformBinner]:
    """The training-label binner of each seed whose labels were saved."""
    binners = {}
    for seed in seeds:
        path = labels_path(out_dir, dataset, seed)
        if path.exists():
            with np.load(path) as saved:
                binner = UniformBinner(
                    width=float(saved["bin_width"]), range=tuple(saved["label_range"].tolist())
                )
                binners[seed] = binner.fit(saved["y_train"])
    return binners


def _mean_per_bin(rows: Sequence[np.ndarray]) -> np.ndarray:
    """Mean over seeds of per-bin values, ignoring NaN; NaN where no seed has a value.

    Examples
    --------
    >>> nan = float("nan")
    >>> _mean_per_bin([np.array([1.0, nan, nan]), np.array([3.0, 2.0, nan])]).tolist()
    [2.0, 2.0, nan]
    """
    stacked = np.vstack(rows)
    finite = np.isfinite(stacked)
    total = np.where(finite, stacked, 0.0).sum(axis=0)
    count = finite.sum(axis=0)
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def _per_bin_curves(
    out_dir: Path, records: Records, dataset: str, binners: Mapping[int, UniformBinner]
) -> dict[str, np.ndarray]:
    curves: dict[str, np.ndarray] = {}
    for method in methods_of(records, dataset):
        rows = []
        for record in records:
            seed = int(record["seed"])
            path = predictions_path(out_dir, dataset, method, seed)
            if record["dataset"] != dataset or record["method"] != method or seed not in binners:
                continue
            if path.exists():
                with np.load(path) as saved:
                    if "pred_test" in saved:
                        rows.append(per_bin_errors(saved["pred_test"], saved["y_test"], binners[seed])["mae"])
        if rows:
            curves[method] = _mean_per_bin(rows)
    return curves


def _group_edges(diagnostics: list[dict[str, Any]], n_groups: int) -> np.ndarray | None:
    """The seeds' ``group_edges`` (label units), averaged; ``None`` when no record has them.

    Records written before dirkit recorded the edges have none: the figure then shows indices.
    With one split for all seeds (``--split-seed`` a number) every seed has the same edges.
    """
    edges = [
        np.asarray(d["group_edges"], dtype=np.float64)
        for d in diagnostics
        if d.get("group_edges") is not None and len(d["group_edges"]) == n_groups + 1
    ]
    return np.mean(edges, axis=0) if edges else None


def _confusion_plots(out_dir: Path, records: Records, dataset: str) -> list[Path]:
    paths = []
    for method in methods_of(records, dataset):
        diagnostics = [
            r.get("diagnostics") or {} for r in records if r["dataset"] == dataset and r["method"] == method
        ]
        matrices = [
            np.asarray(d["group_confusion"], dtype=np.float64)
            for d in diagnostics
            if d.get("group_confusion") is not None
        ]
        if not matrices or len({m.shape for m in matrices}) != 1:
            continue
        accuracies = [
            float(d["group_accuracy"])
            for d in diagnostics
            if isinstance(d.get("group_accuracy"), (int, float))
        ]
        edges = _group_edges(diagnostics, matrices[0].shape[0])
        paths.append(
            plot_group_confusion(
                np.sum(matrices, axis=0),
                path=out_dir / "plots" / f"{safe_name(dataset)}__{safe_name(method)}__group_confusion.png",
                title=f"{dataset}: {method} ({len(matrices)} seed{'s' if len(matrices) > 1 else ''})",
                accuracy=float(np.mean(accuracies)) if accuracies else None,
                edges=edges,
            )
        )
    return paths


def write_report(out_dir: Path, records: Records | None = None, *, plots: bool = True) -> ReportFiles:
    """Write ``results.md`` and the plots of a benchmark folder.

    ``results.md`` holds the papers' tables and, for every data set, the Pearson correlations of
    per-bin test error with the empirical and LDS-smoothed label density of each method
    (:func:`~dirkit.bench._density.density_correlations`, from the saved predictions).

    Plots, in ``out_dir/plots/``: for each data set the training label histogram with its shot
    regions (``<dataset>__labels.png``) and the per-bin test MAE of every method, mean over
    seeds (``<dataset>__per_bin_mae.png``); for each method that reports
    ``diagnostics["group_confusion"]``, the confusion summed over seeds
    (``<dataset>__<method>__group_confusion.png``).

    Parameters
    ----------
    out_dir : Path
        A folder written by :func:`~dirkit.bench.run_benchmark`.
    records : sequence of dict, optional
        Records to report (default: all of ``out_dir/results.json``).
    plots : bool
        Also draw the plots (needs matplotlib: ``pip install dirkit[plot]``).

    Returns
    -------
    ReportFiles
    """
    out_dir = Path(out_dir)
    records = list(records) if records is not None else load_records(out_dir)
    markdown = out_dir / MARKDOWN_FILE
    text = render_markdown(records, density=density_correlations(out_dir, records))
    atomic_write(markdown, lambda file: file.write(text), mode="w")
    if not plots:
        return ReportFiles(markdown)
    written: list[Path] = []
    for dataset in datasets_of(records):
        seeds = sorted({int(r["seed"]) for r in records if r["dataset"] == dataset})
        binners = _binners(out_dir, dataset, seeds)
        if binners:
            first = min(binners)
            written.append(
                plot_label_histogram(
                    binners[first],
                    path=out_dir / "plots" / f"{safe_name(dataset)}__labels.png",
                    title=f"{dataset} (seed {first})",
                )
            )
            curves = _per_bin_curves(out_dir, records, dataset, binners)
            if curves:
                written.append(
                    plot_per_bin_mae(
                        curves,
                        binners[first],
                        path=out_dir / "plots" / f"{safe_name(dataset)}__per_bin_mae.png",
                        title=dataset,
                    )
                )
        written += _confusion_plots(out_dir, records, dataset)
    return ReportFiles(markdown, written)
