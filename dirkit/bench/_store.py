"""The benchmark's files: ``results.json`` (one record per run) and compact ``.npz`` arrays.

Every write goes to a temporary file in the same folder and is moved into place with
:func:`os.replace`, so a reader (or an interrupted run) only ever sees a complete file. Writers
of ``results.json`` hold a cross-process lock (``.results.json.lock``) and :func:`merge_records`
re-reads the file under it, so concurrent benchmarks on one folder lose no record.
"""

from __future__ import annotations

import json
import math
import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from dirkit._atomic import atomic_write
from dirkit.bench._lock import file_lock
from dirkit.exceptions import ConfigError

__all__ = [
    "RESULTS_FILE",
    "atomic_write",
    "labels_path",
    "load_records",
    "log_path",
    "merge_records",
    "predictions_path",
    "prepare_out_dir",
    "record_key",
    "safe_name",
    "save_arrays",
    "save_records",
    "to_json",
]

#: Name of the results file inside a benchmark's output folder.
RESULTS_FILE = "results.json"

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def to_json(value: object) -> Any:
    """Plain-JSON form of ``value``: NumPy types to Python, tuples to lists, NaN and inf to None.

    Strict JSON has no NaN, so a missing metric (an empty shot group) is written as ``null``.

    Examples
    --------
    >>> import numpy as np
    >>> to_json({"mae": np.float32(1.5), "few": float("nan"), "edges": np.arange(2), "t": (1, 2)})
    {'mae': 1.5, 'few': None, 'edges': [0, 1], 't': [1, 2]}
    """
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, np.generic):
        return to_json(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def record_key(record: Mapping[str, Any]) -> tuple[str, str, int]:
    """The identity of a record: ``(dataset, method, seed)``.

    Examples
    --------
    >>> record_key({"dataset": "synthetic", "method": "lds", "seed": 1, "metrics": {}})
    ('synthetic', 'lds', 1)
    """
    return str(record["dataset"]), str(record["method"]), int(record["seed"])


def prepare_out_dir(out_dir: Path) -> Path:
    """Create ``out_dir`` if needed and check that files can be written into it; return it.

    Raises :class:`~dirkit.exceptions.ConfigError` (one line naming the folder and the fix) for an
    existing file, a folder that cannot be created, or one that is read-only, before any run.

    Examples
    --------
    >>> from tempfile import mkdtemp
    >>> prepare_out_dir(Path(mkdtemp()) / "runs" / "a").is_dir()
    True
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(
            f"The output folder {out_dir} is an existing file; name a folder (created if needed)."
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"Cannot create the output folder {out_dir} ({error.strerror}); choose a writable folder."
        ) from None
    probe = out_dir / f".dirkit-write-test.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    try:
        probe.open("x").close()
        probe.unlink()
    except OSError as error:
        raise ConfigError(
            f"Cannot write into the output folder {out_dir} ({error.strerror}); choose a writable "
            "folder or fix its permissions."
        ) from None
    return out_dir


def load_records(out_dir: Path) -> list[dict[str, Any]]:
    """Records of ``out_dir/results.json``; an absent file gives an empty list.

    Raises :class:`~dirkit.exceptions.ConfigError` if the file is not a benchmark results file.
    """
    path = Path(out_dir) / RESULTS_FILE
    if not path.exists():
        return []
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path} is not valid JSON ({error}); restore it or use another folder.") from None
    if not isinstance(content, dict) or not isinstance(content.get("records"), list):
        raise ConfigError(f'{path} is not a dirkit results file: expected {{"records": [...]}}.')
    for number, record in enumerate(content["records"], start=1):
        _check_record(path, number, record)
    return list(content["records"])


#: The fields that identify a record (:func:`record_key`) and their JSON types.
_KEY_FIELDS: dict[str, tuple[type, str]] = {
    "dataset": (str, "a string"), "method": (str, "a string"), "seed": (int, "an integer")
}


def _check_record(path: Path, number: int, record: object) -> None:
    """Refuse a record that :func:`record_key` cannot read, naming it and the bad field."""
    where = f"Record {number} of {path}"
    fix = "repair or delete that record, or use another folder"
    if not isinstance(record, dict):
        raise ConfigError(f"{where} is {type(record).__name__} {record!r:.40}, not an object; {fix}.")
    for field, (kind, text) in _KEY_FIELDS.items():
        if field not in record:
            raise ConfigError(f"{where} has no {field!r} field (fields: {', '.join(record)}); {fix}.")
        value = record[field]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"{where} has {field}={value!r}, not {text}; {fix}.")


def _lock_path(out_dir: Path) -> Path:
    return Path(out_dir) / f".{RESULTS_FILE}.lock"


def _remove_orphans(out_dir: Path) -> None:
    """Delete temporary ``results.json`` files left by killed writers (call under the lock)."""
    for orphan in Path(out_dir).glob(f".{RESULTS_FILE}.*.tmp"):
        orphan.unlink(missing_ok=True)


def _write_records(out_dir: Path, records: list[dict[str, Any]]) -> Path:
    path = Path(out_dir) / RESULTS_FILE
    text = json.dumps({"records": to_json(records)}, indent=1, allow_nan=False)
    _remove_orphans(out_dir)
    atomic_write(path, lambda file: file.write(text + "\n"), mode="w")
    return path


def merge_records(out_dir: Path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``records`` to ``out_dir/results.json`` and return every record the file now holds.

    Under the folder's cross-process lock, the file is read again, each given record replaces
    the saved one with its :func:`record_key` (or is appended), and the result is written
    atomically; records other processes saved meanwhile are kept.

    Examples
    --------
    >>> from tempfile import mkdtemp
    >>> folder = Path(mkdtemp())
    >>> _ = merge_records(folder, [{"dataset": "d", "method": "a", "seed": 0}])
    >>> [r["method"] for r in merge_records(folder, [{"dataset": "d", "method": "b", "seed": 0}])]
    ['a', 'b']
    """
    with file_lock(_lock_path(out_dir)):
        merged = {record_key(r): r for r in load_records(out_dir)}
        merged.update((record_key(r), r) for r in records)
        _write_records(out_dir, list(merged.values()))
    return list(merged.values())


def save_records(out_dir: Path, records: list[dict[str, Any]]) -> Path:
    """Write ``{"records": records}`` to ``out_dir/results.json`` atomically; return the path.

    Replaces whatever the file held (under the folder's lock); :func:`merge_records` adds to it.

    Examples
    --------
    >>> from tempfile import mkdtemp
    >>> folder = Path(mkdtemp())
    >>> _ = save_records(folder, [{"dataset": "d", "method": "m", "seed": 0, "mae": float("nan")}])
    >>> load_records(folder)
    [{'dataset': 'd', 'method': 'm', 'seed': 0, 'mae': None}]
    """
    with file_lock(_lock_path(out_dir)):
        return _write_records(out_dir, records)


def safe_name(name: str) -> str:
    """``name`` with every character other than letters, digits and ``._+-`` replaced by ``_``.

    Examples
    --------
    >>> safe_name("group-asym+fds/v2")
    'group-asym+fds_v2'
    """
    return _UNSAFE.sub("_", name)


def predictions_path(out_dir: Path, dataset: str, method: str, seed: int) -> Path:
    """Where the test and validation predictions of one run are kept.

    Examples
    --------
    >>> predictions_path(Path("out"), "synthetic", "sqinv+lds", 2).as_posix()
    'out/predictions/synthetic__sqinv+lds__2.npz'
    """
    return Path(out_dir) / "predictions" / f"{safe_name(dataset)}__{safe_name(method)}__{seed}.npz"


def log_path(out_dir: Path, dataset: str, method: str, seed: int, *, kind: str = "csv") -> Path:
    """Where the per-epoch log of one run is kept: ``kind="csv"`` the CSV file,
    ``kind="tensorboard"`` the folder of its TensorBoard event files.

    Examples
    --------
    >>> log_path(Path("out"), "synthetic", "sqinv+lds", 2).as_posix()
    'out/logs/synthetic__sqinv+lds__2.csv'
    >>> log_path(Path("out"), "synthetic", "vanilla", 0, kind="tensorboard").as_posix()
    'out/tensorboard/synthetic__vanilla__0'
    """
    stem = predictions_path(Path(), dataset, method, seed).stem
    if kind == "tensorboard":
        return Path(out_dir) / "tensorboard" / stem
    if kind != "csv":
        raise ConfigError(f"log_path kind must be 'csv' or 'tensorboard'; got {kind!r}.")
    return Path(out_dir) / "logs" / f"{stem}.csv"


def labels_path(out_dir: Path, dataset: str, seed: int) -> Path:
    """Where the training labels and the binning of one data set and seed are kept.

    Examples
    --------
    >>> labels_path(Path("out"), "synthetic", 0).as_posix()
    'out/labels/synthetic__0.npz'
    """
    return Path(out_dir) / "labels" / f"{safe_name(dataset)}__{seed}.npz"


def save_arrays(path: Path, **arrays: object) -> Path:
    """Save arrays to a compressed ``.npz`` file atomically; return the path."""
    atomic_write(Path(path), lambda file: np.savez_compressed(file, **arrays), mode="wb")  # type: ignore[arg-type]
    return Path(path)
