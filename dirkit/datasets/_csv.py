"""The ``csv`` data set: any CSV, Parquet or NPZ table, split like the ``tabular-ir`` sets."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dirkit._registry import DATASETS
from dirkit.datasets._base import DatasetSplits
from dirkit.datasets._split import split_table
from dirkit.datasets._table import encode_features, read_table, select_columns
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
) -> DatasetSplits:
    """Load a user table (CSV, Parquet or NPZ) with the balanced DIR split of ``tabular-ir``.

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
        Seeds the split.
    path : Path or str
        The table. A relative path that does not exist in the working directory is looked up
        under ``data_dir``.
    target : str
        Name of the label column (NPZ: of the label array).
    features : list of str, optional
        Feature columns, in this order; default every column except the target.
    n_bins, cap : int, optional
        Override the bin count and the per-bin cap of the split.
    data_dir : Path or str, optional
        Where relative paths are also looked for (``dirkit bench --data-dir``).

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
    if path is None or target is None:
        raise ConfigError(
            "The csv data set needs path= and target= (e.g. --dataset-arg path=data.csv "
            "--dataset-arg target=price); features= is optional."
        )
    if isinstance(features, str):
        features = [features]
    file = _resolve(path, data_dir)
    y, columns = select_columns(read_table(file), target, features)
    x, feature_names = encode_features(columns)
    return split_table(
        "csv",
        x,
        y,
        seed,
        n_bins=n_bins,
        cap=cap,
        feature_names=feature_names,
        description=f"csv: {file.name}, {len(y)} rows, target {target!r}",
        info={"file": str(file), "target": target},
    )
