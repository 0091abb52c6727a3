"""Benchmark figures: label histogram with shot regions, per-bin test MAE.

The group confusion figure is in :mod:`dirkit.bench._confusion`.

Figures are drawn on :class:`matplotlib.figure.Figure` objects rendered by the Agg canvas, so no
pyplot state or interactive backend is touched. matplotlib is optional: ``pip install dirkit[plot]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from dirkit.labels import UniformBinner, bin_shots

__all__ = [
    "MAX_LINES_PER_AXES",
    "SHOT_COLORS",
    "plot_label_histogram",
    "plot_per_bin_mae",
]

#: Colours of the shot regions (colour-blind-safe: blue, orange, vermillion, grey).
SHOT_COLORS = {"many": "#0072B2", "medium": "#E69F00", "few": "#D55E00", "zero": "#7F7F7F"}
_SHOT_TITLES = {"many": "many-shot", "medium": "medium-shot", "few": "few-shot", "zero": "zero-shot"}


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib: pip install dirkit[plot]") from None
    return Figure(figsize=(width, height), layout="constrained")


def _save(fig: Any, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path


def _log_y(ax: Any) -> None:
    """Log-scale y axis labelled with plain numbers (1, 2, 5, 10, ...) rather than powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _shade_shots(ax: Any, binner: UniformBinner, *, many: int, few: int, alpha: float) -> list[Any]:
    """Shade contiguous runs of bins of one shot region; return legend handles in table order."""
    from matplotlib.patches import Patch

    shots = bin_shots(binner.counts_, many=many, few=few)
    edges = binner.edges_
    start = 0
    for i in range(1, shots.size + 1):
        if i == shots.size or shots[i] != shots[start]:
            ax.axvspan(edges[start], edges[i], color=SHOT_COLORS[str(shots[start])], alpha=alpha, lw=0)
            start = i
    return [  # legend patches more opaque than the shading, so their colours can be told apart
        Patch(color=SHOT_COLORS[shot], alpha=min(1.0, alpha * 3), label=f"{title} ({n} bins)")
        for shot, title in _SHOT_TITLES.items()
        if (n := int((shots == shot).sum()))
    ]


def _legend(ax: Any, shot_handles: list[Any]) -> None:
    """The plotted series right of the axes; the shot regions in one row at the bottom."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.figure.legend(
        handles=shot_handles,
        loc="outside lower center",
        ncols=len(shot_handles),
        fontsize=8,
        frameon=False,
        title="shaded: shot region of each bin, from its training count",
        title_fontsize=8,
    )


def plot_label_histogram(
    binner: UniformBinner, *, path: Path, title: str, many: int = 100, few: int = 20
) -> Path:
    """Training samples per bin, shot regions shaded, thresholds drawn; log counts when skewed.

    Parameters
    ----------
    binner : UniformBinner
        Fitted on the training labels.
    path : Path
        PNG file to write.
    title : str
        Figure title (the data set).
    many, few : int
        Shot thresholds (training samples per bin).

    Returns
    -------
    Path
    """
    counts, edges = binner.counts_, binner.edges_
    fig = _figure(9, 4.2)
    ax = fig.subplots()
    regions = _shade_shots(ax, binner, many=many, few=few, alpha=0.18)
    ax.bar(
        edges[:-1],
        counts,
        width=np.diff(edges),
        align="edge",
        color="#333333",
        lw=0,
        label="training samples",
    )
    positive = counts[counts > 0]
    if positive.size and positive.max() / positive.min() > 30:
        _log_y(ax)
        ax.set_ylim(0.7, positive.max() * 1.6)
    else:
        ax.set_ylim(0, max(float(counts.max()), many) * 1.12)  # headroom: the shading stays visible
    ax.axhline(many, color=SHOT_COLORS["many"], ls="--", lw=1, label=f"many-shot: > {many} per bin")
    ax.axhline(few, color=SHOT_COLORS["few"], ls=":", lw=1.2, label=f"few-shot: < {few} per bin")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel(f"label (bin width {edges[1] - edges[0]:g})")
    ax.set_ylabel("training samples per bin" + (" (log scale)" if ax.get_yscale() == "log" else ""))
    ax.set_title(f"{title}: training label distribution ({int(counts.sum()):,} samples)")
    _legend(ax, regions)
    return _save(fig, path)


#: Up to this many methods share one axes; more get one panel each (small multiples).
MAX_LINES_PER_AXES = 8
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_PANEL_COLUMNS = 4


def plot_per_bin_mae(
    curves: Mapping[str, np.ndarray],
    binner: UniformBinner,
    *,
    path: Path,
    title: str,
    many: int = 100,
    few: int = 20,
) -> Path:
    """Test MAE in each label bin, one line per method, over the shaded shot regions.

    Up to :data:`MAX_LINES_PER_AXES` methods share one axes, each with its own colour and marker
    and the first (the reference, usually vanilla) dashed black. With more, every method gets its
    own panel on shared axes with the reference dashed in each, so 26 methods stay readable.

    Parameters
    ----------
    curves : dict of str to ndarray of shape (n_bins,)
        Per-bin test MAE of each method (mean over seeds; NaN where a bin has no test sample).
        The first entry is the reference.
    binner : UniformBinner
        Fitted on the training labels (its counts set the shading).
    path : Path
        PNG file to write.
    title : str
        Figure title (the data set).
    many, few : int
        Shot thresholds.

    Returns
    -------
    Path
    """
    centers = (binner.edges_[:-1] + binner.edges_[1:]) / 2
    names = list(curves)
    values = (
        np.concatenate([np.asarray(c, dtype=np.float64) for c in curves.values()]) if curves else np.ones(1)
    )
    positive = values[np.isfinite(values) & (values > 0)]
    log = bool(positive.size and positive.max() > 10 * np.median(positive))  # a few bins dwarf the rest
    scale = " (log scale)" if log else ""
    if len(names) <= MAX_LINES_PER_AXES:
        fig = _figure(10, 4.8)
        ax = fig.subplots()
        regions = _shade_shots(ax, binner, many=many, few=few, alpha=0.12)
        colors = _colors(len(names))
        for i, method in enumerate(names):
            style = {"lw": 1.4, "color": colors[i]} if i else {"lw": 2.0, "color": "black", "ls": "--"}
            ax.plot(centers, curves[method], marker=_MARKERS[i % len(_MARKERS)], ms=3, label=method, **style)
        _finish_axes(ax, binner, log)
        ax.set_xlabel("label")
        ax.set_ylabel(f"test MAE in the bin, mean over seeds{scale}")
        ax.set_title(f"{title}: test error along the label range")
        _legend(ax, regions)
        return _save(fig, path)
    rows = -(-len(names) // _PANEL_COLUMNS)
    fig = _figure(12, 1.9 * rows + 1.4)
    axes = fig.subplots(rows, _PANEL_COLUMNS, sharex=True, sharey=True, squeeze=False).ravel()
    reference = names[0]
    handles: list[Any] = []
    for ax, method in zip(axes, names, strict=False):
        handles = _shade_shots(ax, binner, many=many, few=few, alpha=0.12)
        if method != reference:
            ax.plot(centers, curves[reference], color="black", ls="--", lw=1.0)
        ax.plot(centers, curves[method], color="#0072B2" if method != reference else "black", lw=1.4,
                marker="o", ms=1.8)
        ax.set_title(method, fontsize=9)
        _finish_axes(ax, binner, log)
        ax.tick_params(labelsize=7)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    for column in range(_PANEL_COLUMNS):  # the lowest panel of each column carries the label axis
        lowest = axes[max(i for i in range(column, len(names), _PANEL_COLUMNS))]
        lowest.xaxis.set_tick_params(labelbottom=True)
        lowest.set_xlabel("label", fontsize=8)
    fig.supylabel(f"test MAE in the bin, mean over seeds{scale}", fontsize=9)
    fig.suptitle(
        f"{title}: test error along the label range, one panel per method "
        f"(dashed: {reference}, the reference)",
        fontsize=10,
    )
    fig.legend(handles=handles, loc="outside lower center", ncols=max(len(handles), 1), fontsize=8,
               frameon=False, title="shaded: shot region of each bin, from its training count",
               title_fontsize=8)
    return _save(fig, path)


def _finish_axes(ax: Any, binner: UniformBinner, log: bool) -> None:
    ax.set_xlim(binner.edges_[0], binner.edges_[-1])
    if log:
        _log_y(ax)
    else:
        ax.set_ylim(bottom=0)
    ax.grid(axis="y", which="both", alpha=0.25)


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]  # at most MAX_LINES_PER_AXES lines share an axes: no colour repeats
    return [cmap(i % cmap.N) for i in range(max(n, 1))]
