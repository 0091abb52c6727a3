"""The ``csv`` data set: any CSV, Parquet or NPZ table, split like the ``tabular-ir`` sets."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dirkit._registry import DATASETS
from dirkit.datasets._base import DatasetSplits
from dirkit.datasets._split import fixed_split_table, split_table
from dirkit.datasets._table import encode_features, numeric_target, read_table, select_columns
from dirkit.exceptions import ConfigError

__all__ = ["load_csv"]


def _resolve(path: Path | str, data_dir: Path | str | None) -> Path:
    candidate = Path(path).expanduser()
    if candidate.is_absolute() or candidate.exists() or data_dir is None:
        return candidate
    under_data_dir = Path(data_dir) / candidate
    return under_data_dir if under_data_dir.exists() else candidate


@DATASETS.register("csv")
def load_csv(
    seed: int = 0,
    *,
    path: Path | str | None = None,
    target: str | None = None,
    features: Sequence[str] | None = None,
    n_bins: int | None = None,
    cap: int | None = None,
    data_dir: Path | str | None = None,
    split: str | None = None,
    train: Path | str | None = None,
    val: Path | str | None = None,
    test: Path | str | None = None,
    split_seed: int | None = None,
) -> DatasetSplits:
    """Load a user table (CSV, Parquet or NPZ) with the balanced DIR split of ``tabular-ir``, or its own.

    The format follows the file name: ``.csv``/``.tsv`` and ``.parquet`` are read with pandas
    (``pip install 'dirkit[tabular]'``; Parquet also needs pyarrow), ``.npz`` with NumPy (each
    stored array is a column; a 2-D array a block of columns). Numeric feature columns are used
    as float32, nominal (string) columns one-hot encoded; missing values raise an error; columns
    constant on the training rows are dropped. The
    split is :func:`~dirkit.datasets._split.split_table`, the rule of
    :func:`~dirkit.datasets.load_tabular_ir`: per label bin ``min(n_bin // 3, cap)`` rows to
    validation and to test, the rest to training.

    Parameters
    ----------
    seed : int
        Seeds the split when ``split_seed`` is None (the benchmark runner's ``split_seed="per-seed"``).
    path : Path or str
        The table. A relative path that does not exist in the working directory is looked up
        under ``data_dir``.
    target : str
        Name of the label column (NPZ: of the label array).
    features : list of str, optional
        Feature columns, in this order; default every column except the target.
    n_bins, cap : int, optional
        Override the bin count and the per-bin cap of the split (``cap``: the balanced split only).
    data_dir : Path or str, optional
        Where relative paths are also looked for (``dirkit bench --data-dir``).
    split : str, optional
        A column of ``path`` that gives each row's split (``train``, ``val`` / ``valid`` /
        ``validation``, ``test``) instead of the balanced split; it is not a feature, and the seed
        then changes only the model.
    train, val, test : Path or str, optional
        One file per split, with the same columns, instead of ``path`` (as held-out benchmarks
        ship them). Nominal levels are taken from the three together.
    split_seed : int, optional
        Seeds the balanced split instead of ``seed``, so that runs of several seeds share one
        split (``dirkit bench --split-seed``, default 0 there). No effect on a fixed split.

    Returns
    -------
    DatasetSplits
        Named ``"csv"``; ``info`` holds the file, target and encoded feature names.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> rng = np.random.default_rng(0)
    >>> file = os.path.join(tempfile.mkdtemp(), "toy.npz")
    >>> np.savez(file, y=rng.exponential(5.0, size=300), x=rng.normal(size=(300, 3)))
    >>> data = load_csv(path=file, target="y")
    >>> data.n_features, data.info["features"]
    (3, ['x[0]', 'x[1]', 'x[2]'])
    """
    files = {"train": train, "val": val, "test": test}
    given = [k for k, v in files.items() if v is not None]
    if given and (path is not None or split is not None or len(given) < 3):
        raise ConfigError(
            "Give either path= (optionally with split=COLUMN) or all three of train=, val= and test=; "
            f"got path={path!r}, split={split!r} and {', '.join(f'{k}=' for k in given)}."
        )
    if (path is None and not given) or target is None:
        raise ConfigError(
            "The csv data set needs path= and target= (e.g. --dataset-arg path=data.csv "
            "--dataset-arg target=price); features= is optional."
        )
    if isinstance(features, str):
        features = [features]
    if given:
        located = {k: _resolve(v, data_dir) for k, v in files.items() if v is not None}
        tables = {k: _read(file, target) for k, file in located.items()}
        columns = _stack(tables)
        part = np.concatenate([np.full(len(next(iter(t.values()))), k) for k, t in tables.items()])
        source = ", ".join(f"{k}={file.name}" for k, file in located.items())
        file_info: dict[str, object] = {k: str(file) for k, file in located.items()}
    else:
        assert path is not None
        file = _resolve(path, data_dir)
        columns = _read(file, target)
        source, file_info = file.name, {"file": str(file)}
        if split is not None:
            if split not in columns:
                raise ConfigError(
                    f"Unknown split column {split!r}; the table has the columns {list(columns)}."
                )
            if split == target or (features is not None and split in features):
                raise ConfigError(f"The split column {split!r} cannot also be the target or a feature.")
            part = np.asarray(columns.pop(split))
    y, chosen = select_columns(columns, target, features)
    x, feature_names = encode_features(chosen)
    description = f"csv: {source}, {len(y)} rows, target {target!r}"
    info = {**file_info, "target": target}
    if given or split is not None:
        return fixed_split_table("csv", x, y, part, n_bins=n_bins, feature_names=feature_names,
                                 description=description, info=info)
    return split_table("csv", x, y, seed if split_seed is None else split_seed, n_bins=n_bins, cap=cap,
                       feature_names=feature_names, description=description, info=info)


def _read(file: Path, target: str) -> dict[str, np.ndarray]:
    """The columns of ``file``, its target column checked to hold a number in every row."""
    columns = read_table(file)
    if target in columns:
        columns[target] = numeric_target(columns[target], target, file)
    return columns


def _stack(tables: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The columns of several tables, rows concatenated in order; their column names must agree."""
    first, *others = tables.items()
    names = list(first[1])
    for which, table in others:
        if list(table) != names:
            raise ConfigError(
                f"The {which} file has the columns {list(table)}, the {first[0]} file {names}; "
                "the split files need the same columns."
            )
    return {n: np.concatenate([np.asarray(t[n]) for t in tables.values()]) for n in names}
