"""The DIR-style split of a labelled table: balanced validation and test sets, the rest for training.

Shared by the table loaders (``tabular-ir/<name>``, ``csv``). Three steps, each a function:

1. :func:`dir_bins` picks equal-width label bins (the data set's fine bins, also used for shots,
   LDS and FDS).
2. :func:`dir_split` takes, in every bin, ``min(n_bin // 3, cap)`` rows for validation and as many
   for test (the AgeDB-DIR recipe of Yang et al. 2021, ``methods-spec.md`` section 8), the rest
   for training, so validation and test are as balanced over the label range as the data allow.
3. :func:`split_table` wraps the result in a :class:`DatasetSplits`, dropping the feature columns
   that are constant on the training rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from dirkit._validation import check_labels, check_same_length
from dirkit.datasets._base import DatasetSplits
from dirkit.exceptions import ConfigError, LabelError
from dirkit.labels import UniformBinner

__all__ = [
    "SPLIT_NAMES",
    "default_cap",
    "default_n_bins",
    "dir_bins",
    "dir_split",
    "fixed_split_table",
    "split_table",
]

#: Bounds of the default number of bins: ``n_rows // 100`` clipped into this range.
N_BINS_RANGE = (20, 50)
#: Validation and test each take at most about this fraction of the rows (the default cap).
EVAL_FRACTION = 0.1
#: The default cap is never below this, so small tables still get a usable validation set.
MIN_CAP = 5


def default_n_bins(n_rows: int) -> int:
    """Default bin count: one bin per 100 rows, at least 20 and at most 50.

    Examples
    --------
    >>> default_n_bins(198), default_n_bins(4177), default_n_bins(8192)
    (20, 41, 50)
    """
    return int(min(max(n_rows // 100, N_BINS_RANGE[0]), N_BINS_RANGE[1]))


def default_cap(n_rows: int, n_occupied: int) -> int:
    """Default per-bin cap: ``max(5, ceil(0.1 * n_rows / n_occupied))``.

    With every bin holding at least ``3 * cap`` rows, validation and test would each hold about
    10% of the rows; sparse bins give less, so in practice they hold less than 10%.

    Examples
    --------
    >>> default_cap(8192, 45), default_cap(198, 12)
    (19, 5)
    """
    return int(max(MIN_CAP, math.ceil(EVAL_FRACTION * n_rows / max(n_occupied, 1))))


def dir_bins(y: object, *, n_bins: int | None = None) -> tuple[float, tuple[float, float]]:
    """Equal-width label bins ``(bin_width, label_range)`` covering every label.

    Integer-valued labels (counts, ages, ratings) get bins of a whole number of units centred on
    the integers, ``width = ceil(n_values / n_bins)`` with ``n_values = max - min + 1``, so every
    bin holds the same number of possible values; other labels get ``n_bins`` bins spanning
    exactly ``[min, max]``.

    Parameters
    ----------
    y : array-like of shape (n,)
        All labels of the table.
    n_bins : int, optional
        Bin count (for integer labels: the largest bin count); default :func:`default_n_bins`.

    Returns
    -------
    bin_width : float
    label_range : tuple of (float, float)

    Examples
    --------
    >>> import numpy as np
    >>> dir_bins(np.arange(1, 30), n_bins=41)  # 29 integer values: one bin each
    (1.0, (0.5, 29.5))
    >>> dir_bins(np.arange(0, 100), n_bins=50)  # 100 integer values: two per bin
    (2.0, (-0.5, 99.5))
    >>> dir_bins(np.array([0.0, 0.5, 2.0]), n_bins=20)
    (0.1, (0.0, 2.0))
    """
    labels = check_labels(y)
    if n_bins is not None and (isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1):
        raise ConfigError(f"n_bins must be an int >= 1 or None; got {n_bins!r}.")
    count = n_bins if n_bins is not None else default_n_bins(labels.size)
    low, high = float(labels.min()), float(labels.max())
    if high <= low:
        raise LabelError(f"All {labels.size} labels equal {low:g}: a constant target has no bins to split.")
    if np.all(labels == np.round(labels)):
        n_values = round(high - low) + 1
        width = math.ceil(n_values / count)
        n = math.ceil(n_values / width)
        return float(width), (low - 0.5, low - 0.5 + n * width)
    return (high - low) / count, (low, high)


def dir_split(
    y: object,
    seed: int,
    *,
    bin_width: float,
    label_range: tuple[float, float],
    cap: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices of a balanced DIR split: ``min(n_bin // 3, cap)`` per bin to val and to test.

    In every bin the rows are shuffled by a generator seeded with ``(seed, bin index)``: the first
    ``k = min(n_bin // 3, cap)`` go to validation, the next ``k`` to test, the rest to training.
    A bin's split therefore depends only on the seed and its own rows. **Sparse bins**: a bin of
    one or two rows gives ``k = 0`` and lies wholly in training (its labels are never tested, as
    ages with fewer than three images in AgeDB-DIR); a bin of 3 to ``3 * cap + 2`` rows gives
    ``n_bin // 3`` rows to each evaluation split, fewer than the cap, so evaluation is exactly
    balanced only over the bins holding at least ``3 * cap`` rows.

    Parameters
    ----------
    y : array-like of shape (n,)
        Labels.
    seed : int
        Seeds the shuffles.
    bin_width : float
        Width of the bins.
    label_range : tuple of (float, float)
        Range the bins cover (as from :func:`dir_bins`).
    cap : int, optional
        Most rows per bin in validation (and in test); default :func:`default_cap`.

    Returns
    -------
    train, val, test : ndarray of int64
        Sorted, disjoint row indices covering every row.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.repeat([0.0, 1.0, 2.0], [30, 9, 2])
    >>> train, val, test = dir_split(y, 0, bin_width=1.0, label_range=(-0.5, 2.5), cap=5)
    >>> np.bincount(y[val].astype(int)).tolist(), np.bincount(y[train].astype(int)).tolist()
    ([5, 3], [20, 3, 2])
    """
    labels = check_labels(y)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be an int >= 0; got {seed!r}.")
    binner = UniformBinner(width=bin_width, range=label_range)
    ids = binner.fit_transform(labels)
    occupied = np.flatnonzero(binner.counts_)
    if cap is None:
        cap = default_cap(labels.size, occupied.size)
    if isinstance(cap, bool) or not isinstance(cap, (int, np.integer)) or cap < 0:
        raise ConfigError(f"cap must be an int >= 0 or None; got {cap!r}.")
    parts: list[list[np.ndarray]] = [[], [], []]
    for b in occupied:
        rows = np.flatnonzero(ids == b)
        rows = rows[np.random.default_rng([int(seed), int(b)]).permutation(rows.size)]
        k = min(rows.size // 3, int(cap))
        for part, chunk in zip(parts, (rows[2 * k :], rows[:k], rows[k : 2 * k]), strict=True):
            part.append(chunk)
    train, val, test = (np.sort(np.concatenate(p)).astype(np.int64) for p in parts)
    return train, val, test


def _checked_table(
    x: object, y: object, feature_names: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Checked labels, the features as one row per label, and one name per feature column."""
    labels = check_labels(y)
    check_same_length(x=x, y=labels)
    features = np.asarray(x).reshape(labels.size, -1)
    names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(features.shape[1])]
    if len(names) != features.shape[1]:
        raise ConfigError(f"{len(names)} feature names for {features.shape[1]} feature columns.")
    return labels, features, names


def split_table(
    name: str,
    x: np.ndarray,
    y: object,
    seed: int,
    *,
    n_bins: int | None = None,
    cap: int | None = None,
    feature_names: Sequence[str] | None = None,
    description: str = "",
    info: dict[str, object] | None = None,
) -> DatasetSplits:
    """Bin ``y`` with :func:`dir_bins`, split with :func:`dir_split` and return the splits.

    Feature columns that are constant on the training rows are dropped: they carry nothing a
    model fitted on training data can use, and standardising them by their (zero) training
    spread would blow up any validation or test row that differs, e.g. a one-hot column of a
    nominal value that only occurs outside training (such rows then read as "none of the
    training values"). ``info`` of the result gains ``split_seed`` (``seed``), ``features`` (kept
    column names), ``dropped_features``, ``n_bins``, ``cap`` and ``n_train_only_bins`` (occupied bins too
    sparse to give any row to validation and test).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).exponential(10.0, size=600)
    >>> x = np.column_stack([y, np.ones_like(y)])  # the second column is constant
    >>> data = split_table("toy", x, y, seed=0, feature_names=["signal", "constant"])
    >>> data.sizes(), data.info["n_bins"], data.info["cap"], data.info["dropped_features"]
    ({'train': 514, 'val': 43, 'test': 43}, 20, 5, ['constant'])
    """
    labels, x, names = _checked_table(x, y, feature_names)
    bin_width, label_range = dir_bins(labels, n_bins=n_bins)
    binner = UniformBinner(width=bin_width, range=label_range).fit(labels)
    counts = binner.counts_
    used_cap = cap if cap is not None else default_cap(labels.size, int((counts > 0).sum()))
    train, val, test = dir_split(labels, seed, bin_width=bin_width, label_range=label_range, cap=used_cap)
    extra = {
        "split_seed": seed,
        "n_bins": int(binner.n_bins_),
        "cap": int(used_cap),
        "n_train_only_bins": int(((counts > 0) & (counts < 3)).sum()),
    }
    return _splits(name, x, labels, (train, val, test), names, bin_width, label_range, description,
                   {**(info or {}), **extra})


def _splits(
    name: str,
    x: np.ndarray,
    labels: np.ndarray,
    parts: tuple[np.ndarray, np.ndarray, np.ndarray],
    names: list[str],
    bin_width: float,
    label_range: tuple[float, float],
    description: str,
    info: dict[str, object],
) -> DatasetSplits:
    """The splits of the rows ``parts`` (train, val, test), features constant on train dropped."""
    train, val, test = parts
    keep = np.ptp(x[train], axis=0) > 0
    if not keep.any():
        raise ConfigError(f"{name}: every feature column is constant on the {train.size} training rows.")
    x = x[:, keep]
    return DatasetSplits(
        name=name,
        x_train=x[train],
        y_train=labels[train],
        x_val=x[val],
        y_val=labels[val],
        x_test=x[test],
        y_test=labels[test],
        bin_width=bin_width,
        label_range=label_range,
        description=description,
        info={
            **info,
            "features": [n for n, k in zip(names, keep, strict=True) if k],
            "dropped_features": [n for n, k in zip(names, keep, strict=True) if not k],
        },
    )


#: The values a split column may hold, and the split each names.
SPLIT_NAMES = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}


def fixed_split_table(
    name: str,
    x: np.ndarray,
    y: object,
    split: object,
    *,
    n_bins: int | None = None,
    feature_names: Sequence[str] | None = None,
    description: str = "",
    info: dict[str, object] | None = None,
) -> DatasetSplits:
    """Splits given row by row (``split[i]`` is ``"train"``, ``"val"`` or ``"test"``), binned like
    :func:`split_table`.

    For tables that ship a fixed split (one column, or one file per split). The fine bins come
    from :func:`dir_bins` over every label; constant training columns are dropped as in
    :func:`split_table`. ``"valid"`` and ``"validation"`` also name the validation split.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.arange(10.0)
    >>> x = np.column_stack([y, y ** 2])
    >>> part = ["train"] * 6 + ["val"] * 2 + ["test"] * 2
    >>> fixed_split_table("toy", x, y, part).sizes()
    {'train': 6, 'val': 2, 'test': 2}
    """
    labels, x, names = _checked_table(x, y, feature_names)
    text = np.asarray(split).astype(str)
    if text.shape != labels.shape:
        raise ConfigError(f"The split column has {text.size} values for {labels.size} rows.")
    unknown = sorted(set(text.tolist()) - set(SPLIT_NAMES))
    if unknown:
        raise ConfigError(
            f"Unknown split value(s) {unknown}; each row must be one of {', '.join(SPLIT_NAMES)}."
        )
    part = np.array([SPLIT_NAMES[v] for v in text.tolist()])
    indices = (np.flatnonzero(part == "train"), np.flatnonzero(part == "val"), np.flatnonzero(part == "test"))
    empty = [s for s, rows in zip(("train", "val", "test"), indices, strict=True) if rows.size == 0]
    if empty:
        raise ConfigError(
            f"{name}: the fixed split has no {' and no '.join(empty)} rows; every split needs at "
            "least one (validation selects the checkpoint)."
        )
    bin_width, label_range = dir_bins(labels, n_bins=n_bins)
    n_fine = UniformBinner(width=bin_width, range=label_range).fit(labels).n_bins_
    extra = {"split": "fixed", "n_bins": int(n_fine)}
    return _splits(name, x, labels, indices, names, bin_width, label_range, description,
                   {**(info or {}), **extra})
