"""The 15 imbalanced-regression tables of Branco, Torgo & Ribeiro, registered as ``tabular-ir/<name>``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dirkit._registry import DATASETS
from dirkit.datasets._base import DatasetSplits
from dirkit.datasets._split import split_table
from dirkit.datasets._table import encode_features, read_table
from dirkit.exceptions import ConfigError, DataNotFoundError, UnknownNameError

__all__ = ["TABULAR_IR_SETS", "load_tabular_ir"]

#: Registered name -> file stem in ``<data_dir>/tabular-ir/`` (the official file names keep
#: their capitals; registered names are lower-case). Rows: a1-a7 198, boston 506, accel 1,732,
#: fuelcons 1,764, availpwr and maxtorque 1,802, abalone 4,177, bank8fm 4,499, heat 7,400,
#: cpusm 8,192.
TABULAR_IR_SETS: dict[str, str] = {
    "a1": "a1",
    "a2": "a2",
    "a3": "a3",
    "a4": "a4",
    "a6": "a6",
    "a7": "a7",
    "abalone": "Abalone",
    "accel": "Accel",
    "availpwr": "availPwr",
    "bank8fm": "bank8FM",
    "boston": "boston",
    "cpusm": "cpuSm",
    "fuelcons": "fuelCons",
    "heat": "heat",
    "maxtorque": "maxTorque",
}

_FOLDER = "tabular-ir"


def _find_file(stem: str, data_dir: Path) -> Path:
    """``<data_dir>/tabular-ir/<stem>.csv`` (or directly in ``data_dir``), any letter case."""
    folders = [data_dir / _FOLDER, data_dir]
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.name.lower() == f"{stem.lower()}.csv":
                    return path
    raise DataNotFoundError(
        f"{stem}.csv not found in {data_dir / _FOLDER} or {data_dir}; pass the folder that holds "
        f"{_FOLDER}/ as data_dir "
            "(e.g. --data-dir ../shared/data, or set $DIRKIT_DATA_DIR)."
    )


def load_tabular_ir(
    name: str,
    seed: int = 0,
    *,
    data_dir: Path | str | None,
    n_bins: int | None = None,
    cap: int | None = None,
    split_seed: int | None = None,
) -> DatasetSplits:
    """Load one Branco-Torgo table with a balanced DIR split.

    The file is a CSV with a header whose **first column is the target**; numeric columns become
    float32 features as they are, nominal (string) columns are one-hot encoded (one 0/1 column per
    value, named ``"column=value"``, see :func:`~dirkit.datasets._table.encode_features`); columns
    constant on the training rows (e.g. a value seen only in test) are dropped. The
    tables have no fixed split: :func:`~dirkit.datasets._split.split_table` bins the target
    (integer targets in whole-unit bins, others in equal-width bins; 20 to 50 bins, one per 100
    rows) and takes ``min(n_bin // 3, cap)`` rows per bin for validation and as many for test
    (AgeDB-DIR recipe; default cap ``max(5, ceil(0.1 * rows / occupied bins))``), the rest for
    training. Bins of one or two rows stay wholly in training. Other split seeds give other
    splits.

    Parameters
    ----------
    name : str
        One of :data:`TABULAR_IR_SETS` (case-insensitive, e.g. ``"abalone"`` or ``"availPwr"``).
    seed : int
        Seeds the split when ``split_seed`` is None (the benchmark runner's ``split_seed="per-seed"``).
    data_dir : Path or str
        Folder holding ``tabular-ir/`` (or the ``tabular-ir`` folder itself).
    n_bins, cap : int, optional
        Override the bin count and the per-bin cap of the split.
    split_seed : int, optional
        Seeds the split instead of ``seed``, so that runs of several seeds share one split
        (``dirkit bench --split-seed``, default 0 there).

    Returns
    -------
    DatasetSplits
        ``info`` holds the file, the feature names and the split settings.

    Examples
    --------
    >>> sorted(TABULAR_IR_SETS)[:3], len(TABULAR_IR_SETS)
    (['a1', 'a2', 'a3'], 15)
    >>> load_tabular_ir("abalone", data_dir=None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dirkit.exceptions.ConfigError: tabular-ir/abalone needs data_dir, the folder holding tabular-ir/ ...
    """
    key = name.lower().removeprefix(f"{_FOLDER}/")
    if key not in TABULAR_IR_SETS:
        raise UnknownNameError(f"Unknown tabular-ir set {name!r}. Known: {', '.join(TABULAR_IR_SETS)}.")
    if data_dir is None:
        raise ConfigError(
            f"{_FOLDER}/{key} needs data_dir, the folder holding {_FOLDER}/ "
            "(e.g. --data-dir ../shared/data, or set $DIRKIT_DATA_DIR)."
        )
    path = _find_file(TABULAR_IR_SETS[key], Path(data_dir))
    columns = read_table(path)
    target = next(iter(columns))
    y = columns.pop(target)
    x, feature_names = encode_features(columns)
    return split_table(
        f"{_FOLDER}/{key}",
        x,
        y,
        seed if split_seed is None else split_seed,
        n_bins=n_bins,
        cap=cap,
        feature_names=feature_names,
        description=f"{_FOLDER}/{key}: {path.name}, {len(y)} rows, target {target!r}",
        info={"file": path.name, "target": target},
    )


def _registered_loader(key: str) -> Callable[..., DatasetSplits]:
    def load(
        seed: int = 0,
        *,
        data_dir: Path | str | None = None,
        n_bins: int | None = None,
        cap: int | None = None,
        split_seed: int | None = None,
    ) -> DatasetSplits:
        return load_tabular_ir(key, seed, data_dir=data_dir, n_bins=n_bins, cap=cap, split_seed=split_seed)

    load.__name__ = load.__qualname__ = f"load_tabular_ir_{key}"
    load.__doc__ = (
        f"Branco-Torgo table {TABULAR_IR_SETS[key]!r}, balanced DIR val/test split "
        f"(:func:`load_tabular_ir` with ``name={key!r}``)."
    )
    return load


for _key in TABULAR_IR_SETS:  # a fixed list of names: nothing is discovered at import time
    DATASETS.register(f"{_FOLDER}/{_key}")(_registered_loader(_key))
