"""Number and provenance formatting shared by the Markdown report and the terminal summary."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dirkit.bench._aggregate import HIGHER_IS_BETTER, Summary
from dirkit.bench._command import portable_command, shell_join

__all__ = [
    "METRIC_TITLES",
    "best_cells",
    "decimals_for",
    "format_cell",
    "format_duration",
    "provenance_lines",
    "train_settings",
]

#: Column-group titles of the metrics, with the direction that is better.
METRIC_TITLES = {
    "mae": "MAE ↓",
    "mse": "MSE ↓",
    "rmse": "RMSE ↓",
    "gm": "GM ↓",
    "bmae": "Balanced MAE ↓",
    "pearson": "Pearson ↑",
    "spearman": "Spearman ↑",
}


def decimals_for(values: Iterable[float]) -> int:
    """Decimals that give 3-4 significant digits for the typical magnitude of ``values``.

    Examples
    --------
    >>> decimals_for([7.8, 9.1]), decimals_for([0.97, 0.5]), decimals_for([float("nan")])
    (2, 3, 3)
    """
    finite = sorted(abs(v) for v in values if math.isfinite(v))
    if not finite:
        return 3
    typical = finite[len(finite) // 2]
    return 3 if typical < 1 else 2 if typical < 1000 else 1


def format_cell(summary: Summary, decimals: int) -> str:
    """``mean ± std``, the mean alone for one seed, ``–`` when there is no value.

    Examples
    --------
    >>> format_cell(Summary(7.512, 0.1034, 3), 2), format_cell(Summary(7.5, float("nan"), 1), 2)
    ('7.51 ± 0.10', '7.50')
    >>> format_cell(Summary(float("nan"), float("nan"), 0), 2)
    '–'
    """
    if summary.n == 0:
        return "–"
    if not math.isfinite(summary.std):
        return f"{summary.mean:.{decimals}f}"
    return f"{summary.mean:.{decimals}f} ± {summary.std:.{decimals}f}"


def best_cells(summaries: Sequence[Summary], metric: str, decimals: int) -> set[int]:
    """Indices of the best means at the shown precision (ties share it); empty with < 2 values.

    Examples
    --------
    >>> best_cells([Summary(2.0, 0.1, 3), Summary(1.0, 0.1, 3)], "mae", 2)
    {1}
    >>> best_cells([Summary(0.5, 0.1, 3), Summary(0.7, 0.1, 3)], "pearson", 2)
    {1}
    """
    shown = {i: round(s.mean, decimals) for i, s in enumerate(summaries) if s.n > 0}
    if len(shown) < 2:
        return set()
    best = max(shown.values()) if metric in HIGHER_IS_BETTER else min(shown.values())
    return {i for i, v in shown.items() if v == best}


def format_duration(seconds: float) -> str:
    """Human-readable wall time.

    Examples
    --------
    >>> format_duration(12.34), format_duration(185), format_duration(3725)
    ('12.3 s', '3 min 05 s', '1 h 02 min')
    """
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def train_settings(record: Mapping[str, Any]) -> dict[str, Any]:
    """The training config a record was run with (empty if the record does not say)."""
    settings = record.get("settings") or {}
    if isinstance(settings.get("train_config"), Mapping):
        return dict(settings["train_config"])
    config = record.get("config") or {}
    for key in ("train_config", "train"):
        if isinstance(config.get(key), Mapping):
            return dict(config[key])
    return {}


def _machine(machine: Mapping[str, Any]) -> str:
    if not machine:
        return "unknown"
    return (
        f"{machine.get('platform', '?')}, {machine.get('cpu_count', '?')} CPUs, "
        f"torch {machine.get('torch', '?')}, device {machine.get('device', '?')} "
        f"({machine.get('device_name', '?')})"
    )


def _training(config: Mapping[str, Any]) -> str:
    if not config:
        return "unknown"
    return ", ".join(f"{key} {config[key]}" for key in ("epochs", "batch_size", "lr") if key in config)


def provenance_lines(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line each for commit, machine, training settings, command and total wall time."""
    commands = _distinct(
        shell_join(portable_command(r["command"])) if r.get("command") else "unknown" for r in records
    )
    total = sum(float(r.get("duration_s") or 0.0) for r in records)
    return [
        "Commit: " + ", ".join(f"`{c}`" for c in _distinct(str(r.get("commit", "unknown")) for r in records)),
        "Machine: " + "; ".join(_distinct(_machine(r.get("machine") or {}) for r in records)),
        "Training: " + "; ".join(_distinct(_training(train_settings(r)) for r in records)),
        "Command: " + "; ".join(f"`{c}`" for c in commands),
        f"Total wall time: {format_duration(total)} over {len(records)} runs",
    ]
