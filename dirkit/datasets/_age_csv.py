"""Face-age data sets given as the DIR authors' label file (``age,path,split``) plus an image folder.

AgeDB-DIR and IMDB-WIKI-DIR (Yang et al. 2021) ship a CSV with one row per image: the age, the
image path relative to the data folder, and the split (``train``, ``val`` or ``test``). The images
themselves come from the original data sets' authors; the user points dirkit at them.
"""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from dirkit._validation import Interval
from dirkit.datasets._base import DatasetSplits
from dirkit.datasets._face_ages import SPLITS, age_splits, resolve_cache_dir, split_sha256, spread_rows
from dirkit.datasets._image_files import cached_images, decode_all, file_sha256, files_fingerprint
from dirkit.exceptions import ConfigError, DataNotFoundError, LabelError

__all__ = ["AGE_CSV_LOADER_PARAMS", "find_label_file", "load_age_csv", "read_age_csv"]

#: Parameter constraints shared by the loaders built on :func:`load_age_csv` (agedb-dir, imdb-wiki-dir).
AGE_CSV_LOADER_PARAMS: dict[str, list[Any]] = {
    "seed": [Interval(int, 0, None)],
    "data_dir": [str, os.PathLike, None],
    "image_root": [str, os.PathLike, None],
    "image_size": [Interval(int, 8, None)],
    "limit": [Interval(int, 3, None), None],
    "cache_dir": [str, os.PathLike, None],
}

_COLUMNS = ("age", "path", "split")


def find_label_file(data_dir: str | os.PathLike[str] | None, folder: str, file_name: str, name: str) -> Path:
    """``data_dir/folder/file_name`` or ``data_dir/file_name``, whichever exists."""
    if data_dir is None:
        raise ConfigError(
            f"{name} needs data_dir (the folder holding {folder}/; CLI: --data-dir DIR or $DIRKIT_DATA_DIR)."
        )
    places = [Path(data_dir) / folder / file_name, Path(data_dir) / file_name]
    for path in places:
        if path.is_file():
            return path
    raise DataNotFoundError(
        f"{name}: label file not found at {places[0]} or {places[1]}. It is part of the DIR "
        "authors' release (github.com/YyzHarry/imbalanced-regression)."
    )


def read_age_csv(path: str | os.PathLike[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Read a DIR label file with (at least) the columns ``age``, ``path`` and ``split``.

    Returns
    -------
    ages : ndarray of shape (n,), float64
    paths : list of str
        Image paths relative to the image root.
    splits : ndarray of shape (n,), str
        ``"train"``, ``"val"`` or ``"test"``.

    Examples
    --------
    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "ages.csv"
    >>> _ = file.write_text("age,path,split\\n31,AgeDB/1_a_31_f.jpg,train\\n59,AgeDB/2_b_59_m.jpg,val\\n")
    >>> ages, paths, splits = read_age_csv(file)
    >>> ages.tolist(), paths[1], splits.tolist()
    ([31.0, 59.0], 'AgeDB/2_b_59_m.jpg', ['train', 'val'])
    """
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        header = list(reader.fieldnames or [])
        absent = [c for c in _COLUMNS if c not in header]
        if absent:
            raise LabelError(
                f"{path} lacks the column(s) {absent} (header: {header}); expected age,path,split."
            )
        rows = list(reader)
    try:
        ages = np.array([float(row["age"]) for row in rows], dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise LabelError(f"{path}: an age is not a number ({error}).") from None
    splits = np.array([row["split"] for row in rows], dtype="<U5")
    bad = np.flatnonzero(~np.isin(splits, SPLITS) | ~np.isfinite(ages) | (ages < 0))
    if bad.size:
        row = rows[int(bad[0])]
        raise LabelError(
            f"{path}: line {int(bad[0]) + 2} has age {row['age']!r} and split {row['split']!r}; ages "
            f"must be finite and >= 0 and splits one of {list(SPLITS)} ({bad.size} such lines)."
        )
    return ages, [row["path"] for row in rows], splits


def _check_images(name: str, root: Path, paths: list[str], labels: Path, hint: str) -> list[Path]:
    if not root.is_dir():
        raise DataNotFoundError(f"{name}: the image root {root} does not exist. {hint}")
    files = [root / p for p in paths]
    missing = [p for p, f in zip(paths, files, strict=True) if not f.is_file()]
    if missing:
        raise DataNotFoundError(
            f"{name}: {len(missing):,} of the {len(paths):,} images listed in {labels.name} are missing "
            f"under the image root {root} (first: {missing[0]}). {hint}"
        )
    return files


def load_age_csv(
    name: str,
    labels: Path,
    *,
    image_root: str | os.PathLike[str] | None,
    image_size: int,
    limit: int | None,
    cache_dir: str | os.PathLike[str] | None,
    label_range: tuple[float, float],
    seed: int,
    hint: str,
) -> DatasetSplits:
    """Load the images listed in ``labels`` with their ages and the file's own split.

    The image root defaults to the label file's folder (the DIR layout: ``agedb.csv`` next to
    ``AgeDB/``). Decoded images are cached under ``cache_dir/images/``, keyed by the label file's
    sha256, the names, sizes and times of the image files, ``image_size`` and ``limit``.
    """
    ages, paths, splits = read_age_csv(labels)
    keep = spread_rows(len(paths), limit)
    kept = [paths[i] for i in keep]
    root = Path(image_root) if image_root is not None else labels.parent
    files = _check_images(name, root, kept, labels, hint)

    def decode() -> np.ndarray:
        items = ((row, str(file), file.read_bytes()) for row, file in enumerate(files))
        return decode_all(items, len(files), image_size)

    digest = hashlib.sha256(f"{file_sha256(labels)}{files_fingerprint(files, root)}".encode()).hexdigest()
    key = f"{name}-{digest[:24]}-{image_size}px" + ("" if limit is None else f"-limit{limit}")
    images = cached_images(key, kept, decode, cache_dir=resolve_cache_dir(cache_dir))
    return age_splits(
        name,
        images,
        ages[keep],
        splits[keep],
        label_range=label_range,
        description=f"{name}: {len(kept)} faces at {image_size} px, ages in years, official split",
        info={
            "seed": seed,
            "split_sha256": split_sha256(paths, splits.tolist()),
            "image_size": image_size,
            "limit": limit,
            "labels": labels.name,
        },
    )
