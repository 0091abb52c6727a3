"""Plain-text tables for the terminal: one run's shot metrics, and a benchmark summary."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from dirkit.bench._aggregate import SHOT_COLUMNS, Summary, aggregate, datasets_of, methods_of, shot_columns
from dirkit.bench._format import METRIC_TITLES, best_cells, decimals_for, format_cell

__all__ = ["format_shot_table", "render_summary"]

_SHOT_ROWS = (*SHOT_COLUMNS, ("few_incl_zero", "Few+Zero"))
_RUN_METRICS = ("count", "mae", "mse", "rmse", "gm", "pearson", "spearman", "bmae")
_EMPTY = Summary(math.nan, math.nan, 0)


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-align the first column, right-align the others."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _number(value: object, metric: str) -> str:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    return f"{int(value)}" if metric == "count" else f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"


def format_shot_table(metrics: Mapping[str, Mapping[str, object]]) -> str:
    """One run's metrics as a table: a row per shot region, a column per metric.

    Parameters
    ----------
    metrics : dict
        ``metrics[shot][metric]``, as in ``RunResult.metrics["test"]``.

    Examples
    --------
    >>> print(format_shot_table({"all": {"count": 4.0, "mae": 1.25}, "few": {"count": 0.0,
    ...                          "mae": float("nan")}}))
    Shot  count    mae
    ----  -----  -----
    All       4  1.250
    Few       0      –
    """
    shots = [(key, title) for key, title in _SHOT_ROWS if key in metrics]
    names = [m for m in _RUN_METRICS if any(m in metrics[s] for s, _ in shots)]
    names += [m for s, _ in shots for m in metrics[s] if m not in names]
    rows = [[title] + [_number(metrics[key].get(m), m) for m in names] for key, title in shots]
    return _grid(["Shot", *names], rows)


def render_summary(records: Sequence[Mapping[str, Any]], *, metrics: Sequence[str] = ("mae", "gm")) -> str:
    """Benchmark summary for the terminal: per data set and metric, methods x shot regions.

    Cells are mean ± std over seeds of the test metric; ``*`` marks the best of each column.

    Examples
    --------
    >>> records = [{"dataset": "d", "method": m, "seed": 0,
    ...             "metrics": {"test": {"all": {"mae": v}, "few": {"mae": v + 1}}}}
    ...            for m, v in [("vanilla", 3.0), ("lds", 2.0)]]
    >>> print(render_summary(records, metrics=["mae"]))
    d: test MAE ↓ (mean ± std over seeds; * best)
    Method   n    All  Many  Medium    Few
    -------  -  -----  ----  ------  -----
    vanilla  1  3.00     –       –   4.00
    lds      1  2.00*    –       –   3.00*
    """
    summaries = aggregate(records)
    blocks = []
    for dataset in datasets_of(records):
        methods = methods_of(records, dataset)
        own = [summaries[(dataset, m)] for m in methods]
        shots = shot_columns(own)
        for metric in metrics:
            columns = []
            for shot, _ in shots:
                column = [o["metrics"].get(shot, {}).get(metric, _EMPTY) for o in own]
                decimals = decimals_for(s.mean for s in column if s.n > 0)
                best = best_cells(column, metric, decimals)
                columns.append(
                    [format_cell(s, decimals) + ("*" if i in best else " ") for i, s in enumerate(column)]
                )
            rows = [
                [m, str(len(o["seeds"]))] + [c[i] for c in columns]
                for i, (m, o) in enumerate(zip(methods, own, strict=True))
            ]
            title = f"{dataset}: test {METRIC_TITLES.get(metric, metric)} (mean ± std over seeds; * best)"
            blocks.append(title + "\n" + _grid(["Method", "n"] + [t for _, t in shots], rows))
    return "\n\n".join(blocks)
