"""Reading tables (CSV, Parquet, NPZ) into named columns, and encoding columns as float features."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dirkit.exceptions import ConfigError, DataFormatError, DataNotFoundError, LabelError

__all__ = ["TABLE_SUFFIXES", "encode_features", "numeric_target", "read_table", "select_columns"]

#: File suffixes :func:`read_table` understands, by format.
TABLE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "csv": (".csv", ".csv.gz", ".tsv", ".txt"),
    "parquet": (".parquet", ".pq"),
    "npz": (".npz",),
}


def _import_pandas(what: str) -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(
            f"Reading {what} needs pandas, an optional dependency of dirkit: "
            "pip install 'dirkit[tabular]' (or pip install pandas)."
        ) from None
    return pandas


def _format_of(path: Path) -> str:
    name = path.name.lower()
    for kind, suffixes in TABLE_SUFFIXES.items():
        if name.endswith(suffixes):
            return kind
    known = ", ".join(s for suffixes in TABLE_SUFFIXES.values() for s in suffixes)
    raise ConfigError(f"Cannot tell the format of {path}: expected a file name ending in {known}.")


def read_table(path: Path | str) -> dict[str, np.ndarray]:
    """Read a table into ``{column name: 1-D or 2-D array}``, in file order.

    CSV (comma-separated with a header; ``.tsv`` tab-separated) and Parquet are read with pandas
    (the ``tabular`` extra; Parquet also needs pyarrow or fastparquet). NPZ files are read with
    NumPy: each stored array is one column (a 2-D array is a block of columns); no pandas needed.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.npz")
    >>> np.savez(path, y=np.arange(3.0), x=np.ones((3, 2)))
    >>> {k: v.shape for k, v in read_table(path).items()}
    {'y': (3,), 'x': (3, 2)}
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"No table file at {path} (working directory {Path.cwd()}).")
    kind = _format_of(path)
    if kind == "npz":
        return _read_npz(path)
    pandas = _import_pandas(f"{kind.upper()} files")
    unreadable: tuple[type[BaseException], ...] = (
        pandas.errors.ParserError, pandas.errors.EmptyDataError, UnicodeDecodeError
    )
    if kind == "parquet":  # pyarrow's errors on a damaged file are ValueErrors and OSErrors
        unreadable = (*unreadable, ValueError, OSError)
    try:
        if kind == "parquet":
            frame = pandas.read_parquet(path)
        else:
            frame = pandas.read_csv(path, sep="\t" if path.name.lower().endswith(".tsv") else ",")
    except ImportError:
        raise ImportError(
            f"Reading {path} (Parquet) needs pyarrow or fastparquet: pip install pyarrow."
        ) from None
    except unreadable as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataFormatError(
            f"{path} is not a readable {kind.upper()} table ({reason}); give a file with a header row "
            "and one value per column in every row."
        ) from None
    if frame.empty:
        raise DataFormatError(f"{path} has no data rows; give a table with a header and at least one row.")
    return {str(column): frame[column].to_numpy() for column in frame.columns}


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("a single .npy array, not an .npz archive of named arrays")
        with archive:
            return {key: np.asarray(archive[key]) for key in archive.files}
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataFormatError(
            f"{path} is not a readable NPZ archive ({reason:.200}); write it with numpy.savez "
            "(one named array per column, no object arrays)."
        ) from None


def select_columns(
    columns: Mapping[str, np.ndarray], target: str, features: Sequence[str] | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Split ``columns`` into the target array and the feature columns (default: all others).

    Examples
    --------
    >>> import numpy as np
    >>> y, x = select_columns({"a": np.zeros(2), "b": np.ones(2), "c": np.ones(2)}, "b")
    >>> y.tolist(), list(x)
    ([1.0, 1.0], ['a', 'c'])
    """
    names = list(columns)
    if target not in columns:
        raise ConfigError(f"Unknown target column {target!r}; the table has the columns {names}.")
    chosen = [n for n in names if n != target] if features is None else list(features)
    unknown = [n for n in chosen if n not in columns]
    if unknown:
        raise ConfigError(f"Unknown feature column(s) {unknown}; the table has the columns {names}.")
    if target in chosen:
        raise ConfigError(f"The target column {target!r} cannot also be a feature.")
    if not chosen:
        raise ConfigError(f"No feature columns: the table has only the target column {target!r}.")
    return np.asarray(columns[target]), {n: np.asarray(columns[n]) for n in chosen}


def _where(path: Path, row: int) -> str:
    """Where data row ``row`` (0-based) of a table file is, in words a user can look up."""
    if _format_of(path) == "csv":  # the header is line 1
        return f"line {row + 2} of {path} (data row {row + 1})"
    return f"row {row + 1} of {path}"


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def numeric_target(values: np.ndarray, target: str, path: Path | str) -> np.ndarray:
    """The target column of the table file ``path`` as float64, or an error naming the bad cell.

    Raises
    ------
    LabelError
        For a value that is not a number, or a missing or infinite one: the message gives the
        value and where it is (for CSV, its line; the header is line 1).

    Examples
    --------
    >>> numeric_target(np.array(["1.5", "2"], dtype=object), "y", "t.csv").tolist()
    [1.5, 2.0]
    >>> numeric_target(np.array([24, 25, 26, "abc"], dtype=object), "age", "t.csv")
    Traceback (most recent call last):
    dirkit.exceptions.LabelError: Target column 'age' holds 'abc' at line 5 of t.csv (data row 4): ...
    """
    path = Path(path)
    column = np.asarray(values)
    if column.ndim != 1:
        raise LabelError(f"Target {target!r} of {path} must be one column; got shape {column.shape}.")
    if column.dtype.kind in "biuf":
        floats = column.astype(np.float64)
    else:
        numbers = [_number(v) for v in column.tolist()]
        text = [row for row, number in enumerate(numbers) if number is None]
        if text:
            raise LabelError(
                f"Target column {target!r} holds {column[text[0]]!r} at {_where(path, text[0])}: the "
                f"target must be a number in every row ({len(text)} row(s) are not); fix or drop them."
            )
        floats = np.array(numbers, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(floats))
    if bad.size:
        row = int(bad[0])
        what = "missing" if np.isnan(floats[row]) else f"{float(floats[row])!r}"
        raise LabelError(
            f"Target column {target!r} is {what} at {_where(path, row)} ({bad.size} row(s) missing "
            "or infinite); drop or fill those rows."
        )
    return floats


def _is_missing(values: np.ndarray) -> np.ndarray:
    return np.array([v is None or (isinstance(v, float) and v != v) for v in values], dtype=bool)


def _one_hot(name: str, values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    missing = _is_missing(values)
    if missing.any():
        raise ConfigError(
            f"Nominal column {name!r} has {int(missing.sum())} missing value(s) (first at row "
            f"{int(np.flatnonzero(missing)[0])}); fill or drop them, or leave the column out."
        )
    text = values.astype(str)
    levels = np.unique(text)  # sorted, so the encoding does not depend on row order
    return (text[:, None] == levels[None, :]).astype(np.float32), [f"{name}={v}" for v in levels]


def encode_features(columns: Mapping[str, np.ndarray]) -> tuple[np.ndarray, list[str]]:
    """Encode feature columns as a float32 matrix: numbers as they are, nominal columns one-hot.

    A column is numeric when its dtype is numeric or boolean, nominal otherwise (strings,
    objects). A nominal column becomes one 0/1 column per distinct value, named
    ``"column=value"``, levels sorted; the levels are taken from the whole table (every split),
    which uses no label information. 2-D numeric arrays (NPZ) contribute one column each,
    named ``"name[j]"``. Missing values are an error, never imputed silently.

    Returns
    -------
    x : ndarray of shape (n, n_encoded), float32
    names : list of str
        Name of each encoded column.

    Examples
    --------
    >>> import numpy as np
    >>> x, names = encode_features({"size": np.array([1.5, 2.0, 3.0]),
    ...                             "sex": np.array(["M", "F", "M"], dtype=object)})
    >>> names
    ['size', 'sex=F', 'sex=M']
    >>> x.tolist()
    [[1.5, 0.0, 1.0], [2.0, 1.0, 0.0], [3.0, 0.0, 1.0]]
    """
    blocks: list[np.ndarray] = []
    names: list[str] = []
    for name, raw in columns.items():
        values = np.asarray(raw)
        if values.dtype.kind in "biuf":
            with np.errstate(over="ignore"):  # beyond float32's range: reported below as infinite
                block = values.astype(np.float32).reshape(values.shape[0], -1)
            bad = ~np.isfinite(block)
            if bad.any():
                raise ConfigError(
                    f"Feature column {name!r} has {int(bad.any(axis=1).sum())} row(s) with missing or "
                    "infinite values (or beyond float32's range, 3.4e38) (first at row "
                    f"{int(np.flatnonzero(bad.any(axis=1))[0])}); "
                    "impute or drop them, or leave the column out with features=[...]."
                )
            blocks.append(block)
            names += [name] if values.ndim == 1 else [f"{name}[{j}]" for j in range(block.shape[1])]
        elif values.ndim == 1:
            block, level_names = _one_hot(name, values)
            blocks.append(block)
            names += level_names
        else:
            raise ConfigError(f"Column {name!r}: 2-D arrays must be numeric; got dtype {values.dtype}.")
    if not blocks:
        raise ConfigError("No feature columns to encode.")
    return np.concatenate(blocks, axis=1), names
