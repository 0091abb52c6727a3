"""Group confusion figure: true vs predicted label group, axes labelled with the groups' ranges."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dirkit.bench._plots import _figure, _save

__all__ = ["group_range_labels", "plot_group_confusion"]

_MAX_TICKS = 15


def group_range_labels(edges: Sequence[float] | np.ndarray) -> list[str]:
    """``"low–high"`` for each group between consecutive ``edges``, in label units.

    The edges are written with the fewest decimals (at most 6, else in scientific notation) that
    place each within 1% of the narrowest group's width of its value; the en dash keeps negative
    bounds readable (``"-5–0"``).

    Examples
    --------
    >>> group_range_labels([0.0, 10.0, 20.0])
    ['0–10', '10–20']
    >>> group_range_labels([-1.5, 0.0, 1.0 / 3.0, 96.5, 108.5])
    ['-1.5–0', '0–0.33', '0.33–96.5', '96.5–108.5']
    """
    values = np.asarray(edges, dtype=np.float64)
    width = float(np.min(np.diff(values))) if values.size > 1 else 1.0
    close = [d for d in range(7) if np.all(np.abs(np.round(values, d) - values) <= 0.01 * abs(width))]
    if close:
        text = [np.format_float_positional(np.round(value, close[0]), trim="-") for value in values]
    else:  # tiny groups: significant digits instead
        text = [np.format_float_scientific(value, precision=3, trim="-") for value in values]
    return [f"{low}–{high}" for low, high in itertools.pairwise(text)]


def plot_group_confusion(
    confusion: np.ndarray,
    *,
    path: Path,
    title: str,
    accuracy: float | None = None,
    edges: Sequence[float] | np.ndarray | None = None,
) -> Path:
    """Row-normalised confusion of true vs predicted label group (group-classification methods).

    Parameters
    ----------
    confusion : array-like of shape (G, G)
        Counts, rows true groups, columns predicted groups (summed over seeds).
    path : Path
        PNG file to write.
    title : str
        Figure title (data set and method).
    accuracy : float, optional
        Group accuracy to state in the title.
    edges : array-like of shape (G + 1,), optional
        Group boundaries in label units (``diagnostics["group_edges"]``); the axes then show each
        group's label range. Without them (records written before dirkit recorded the edges) the
        axes show group indices.

    Returns
    -------
    Path
    """
    counts = np.asarray(confusion, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    rates = np.divide(counts, totals, out=np.full_like(counts, np.nan), where=totals > 0)
    n_groups = counts.shape[0]
    if edges is not None and len(edges) != n_groups + 1:
        raise ValueError(f"{n_groups} groups need {n_groups + 1} edges; got {len(edges)}.")
    size = min(4.0 + 0.3 * n_groups, 9.0)
    ranges = 0.0 if edges is None else 0.7  # room for the range labels
    fig = _figure(size + 1.2 + ranges, size + ranges)
    ax = fig.subplots()
    from matplotlib import colormaps

    cmap = colormaps["Blues"].with_extremes(bad="#BDBDBD")  # grey rows: no test sample in that group
    image = ax.imshow(np.ma.masked_invalid(rates), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    fig.colorbar(image, ax=ax, shrink=0.85, label="fraction of the true group's test samples")
    if n_groups <= _MAX_TICKS:
        for (i, j), value in np.ndenumerate(rates):
            if counts[i, j] > 0:
                color = "white" if value > 0.6 else "black"
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7, color=color)
    ticks = np.arange(0, n_groups, max(1, int(np.ceil(n_groups / _MAX_TICKS))))
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    if edges is not None:
        names = group_range_labels(edges)
        ax.set_xticklabels([names[i] for i in ticks], rotation=45, ha="right", rotation_mode="anchor",
                           fontsize=7)
        ax.set_yticklabels([names[i] for i in ticks], fontsize=7)
        ax.set_xlabel("predicted group (label range)")
        ax.set_ylabel("true group (label range, low labels at the top)")
    else:
        ax.set_xlabel("predicted group")
        ax.set_ylabel("true group (low labels at the top)")
    suffix = f", group accuracy {accuracy:.3f}" if accuracy is not None and np.isfinite(accuracy) else ""
    empty = " (grey: no test sample)" if np.isnan(rates).any() else ""
    ax.set_title(
        f"{title}\ngroup confusion on test ({int(counts.sum()):,} samples{suffix}){empty}", fontsize=10
    )
    return _save(fig, path)
