"""Mean and standard deviation over seeds of every (dataset, method, shot, metric)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "HIGHER_IS_BETTER",
    "SHOT_COLUMNS",
    "Summary",
    "aggregate",
    "datasets_of",
    "methods_of",
    "shot_columns",
]

#: Shots shown as table columns, in order, with their column titles. ``"few"`` excludes the
#: zero-shot bins, which get their own columns where the test split has any: all of them, those
#: inside the training label range (interpolation) and those outside it (extrapolation).
SHOT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("all", "All"),
    ("many", "Many"),
    ("medium", "Medium"),
    ("few", "Few"),
    ("zero", "Zero"),
    ("zero_interp", "Zero int."),
    ("zero_extrap", "Zero ext."),
)
_ZERO_SHOTS = frozenset({"zero", "zero_interp", "zero_extrap"})

#: Metrics where larger is better; every other metric is an error.
HIGHER_IS_BETTER = frozenset({"pearson", "spearman", "group_accuracy"})


@dataclass(frozen=True)
class Summary:
    """Mean and sample standard deviation (``ddof=1``) of the finite values over seeds.

    ``n`` counts the finite values; ``std`` is NaN when ``n < 2`` and both are NaN when ``n == 0``.
    """

    mean: float
    std: float
    n: int

    @classmethod
    def of(cls, values: Iterable[object]) -> Summary:
        """Summarise values, ignoring None, NaN and inf.

        Examples
        --------
        >>> Summary.of([1.0, 2.0, None, float("nan"), 3.0])
        Summary(mean=2.0, std=1.0, n=3)
        """
        finite = np.array([v for v in values if _is_finite(v)], dtype=np.float64)
        if finite.size == 0:
            return cls(math.nan, math.nan, 0)
        std = float(finite.std(ddof=1)) if finite.size > 1 else math.nan
        return cls(float(finite.mean()), std, int(finite.size))


def _is_finite(value: object) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and math.isfinite(value)


def datasets_of(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """Data set names in order of first appearance."""
    return list(dict.fromkeys(str(r["dataset"]) for r in records))


def methods_of(records: Iterable[Mapping[str, Any]], dataset: str | None = None) -> list[str]:
    """Method names (of one data set, if given) in order of first appearance."""
    return list(
        dict.fromkeys(str(r["method"]) for r in records if dataset is None or r["dataset"] == dataset)
    )


def aggregate(
    records: Iterable[Mapping[str, Any]], *, split: str = "test"
) -> dict[tuple[str, str], dict[str, Any]]:
    """Summaries over seeds, keyed by ``(dataset, method)``.

    Each value holds ``"metrics"`` (``[shot][metric] -> Summary``), ``"diagnostics"``
    (``[name] -> Summary`` for the scalar diagnostics), ``"seeds"`` (sorted) and
    ``"duration_s"`` (the total).

    Examples
    --------
    >>> records = [
    ...     {"dataset": "d", "method": "m", "seed": s, "duration_s": 1.0,
    ...      "metrics": {"test": {"all": {"mae": v}}}} for s, v in enumerate([1.0, 3.0])]
    >>> summary = aggregate(records)[("d", "m")]
    >>> summary["metrics"]["all"]["mae"], summary["seeds"]
    (Summary(mean=2.0, std=1.4142135623730951, n=2), [0, 1])
    """
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for record in records:
        groups.setdefault((str(record["dataset"]), str(record["method"])), []).append(record)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for key, group in groups.items():
        tables = [r.get("metrics", {}).get(split, {}) for r in group]
        metrics: dict[str, dict[str, Summary]] = {}
        for shot in dict.fromkeys(s for t in tables for s in t):
            names = dict.fromkeys(m for t in tables for m in t.get(shot, {}))
            metrics[shot] = {m: Summary.of(t.get(shot, {}).get(m) for t in tables) for m in names}
        diagnostics = [r.get("diagnostics") or {} for r in group]
        scalar = dict.fromkeys(k for d in diagnostics for k, v in d.items() if _is_finite(v))
        out[key] = {
            "metrics": metrics,
            "diagnostics": {k: Summary.of(d.get(k) for d in diagnostics) for k in scalar},
            "seeds": sorted(int(r["seed"]) for r in group),
            "duration_s": float(sum(float(r.get("duration_s") or 0.0) for r in group)),
        }
    return out


def shot_columns(summaries: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """All / Many / Medium / Few, plus the three zero-shot columns where some test split has
    zero-shot samples (the interpolation and extrapolation columns even when one is empty).

    ``summaries`` are values of :func:`aggregate` (one per method).
    """
    empty = Summary(math.nan, math.nan, 0)
    summaries = list(summaries)
    zero = any(s["metrics"].get("zero", {}).get("count", empty).mean > 0 for s in summaries)
    present = {shot for s in summaries for shot in s["metrics"]}
    return [c for c in SHOT_COLUMNS if c[0] not in _ZERO_SHOTS or (zero and c[0] in present)]
