"""The ``utkface-dir`` data set: UTKFace faces with a fixed, checksummed AgeDB-DIR-style split.

UTKFace (Zhang et al. 2017, "aligned & cropped" faces) has 23,707 images named
``<age>_<gender>_<race>_<timestamp>.jpg.chip.jpg``, with ages 1-116 and a heavy long tail, but
no DIR split. dirkit builds one the AgeDB-DIR way (``methods-spec.md`` section 8): the ``n``
images of each age, in file-name order, are shuffled by ``numpy.random.default_rng([0, age])``
(seed :data:`UTKFACE_SPLIT_SEED`; :func:`~dirkit.datasets._split.dir_split`), the first
``min(n // 3, 30)`` go to validation, as many to test, the rest to training. Each age's split thus
depends on that age's files only. The cap 30 is AgeDB-DIR's: UTKFace is about
the size of AgeDB (23.7k vs 16.5k images), and the cap gives 100 evaluated ages with
2,394 validation and 2,394 test images (1,290 many-, 958 medium-, 146 few-shot test images)
and 18,919 training images. The split does not depend on the training seed. Its checksum
(:func:`~dirkit.datasets.split_sha256` of the sorted (file name, split) list) over the 23,707
images of the official archive is :data:`UTKFACE_SPLIT_SHA256`::

    00d9535edfbd019674f4b85efa8022025627e8df2af629e9d157ffa3a6579df7

The loader checks what it can before decoding: an archive or folder must hold
:data:`UTKFACE_N_IMAGES` images (``expected_images``; an archive cut short holds fewer), those
23,707 must give the pinned split checksum, and an archive whose name has a known sha256
(:data:`UTKFACE_ARCHIVE_SHA256`) must match it. Each failure is a
:class:`~dirkit.exceptions.DataFormatError` naming the file and what was found.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from dirkit._registry import DATASETS
from dirkit._validation import Interval, validate_params
from dirkit.datasets._base import DatasetSplits
from dirkit.datasets._face_ages import age_splits, resolve_cache_dir, split_sha256, spread_rows
from dirkit.datasets._image_files import (
    IMAGE_SUFFIXES,
    cached_images,
    decode_all,
    file_sha256,
    files_fingerprint,
    tar_images,
    tar_members,
)
from dirkit.datasets._split import dir_split
from dirkit.exceptions import ConfigError, DataFormatError, DataNotFoundError, DirkitWarning

__all__ = [
    "UTKFACE_ARCHIVE_SHA256",
    "UTKFACE_N_IMAGES",
    "UTKFACE_SPLIT_CAP",
    "UTKFACE_SPLIT_SEED",
    "UTKFACE_SPLIT_SHA256",
    "check_utkface",
    "find_utkface",
    "list_utkface",
    "load_utkface_dir",
    "utkface_split",
]

#: Most images per age in validation (and in test): AgeDB-DIR's cap.
UTKFACE_SPLIT_CAP = 30
#: Seed of the per-age shuffles; fixed, independent of the training seed.
UTKFACE_SPLIT_SEED = 0
#: Checksum of the split of the 23,707 images of the official "aligned & cropped" archive.
UTKFACE_SPLIT_SHA256 = "00d9535edfbd019674f4b85efa8022025627e8df2af629e9d157ffa3a6579df7"
#: Images of the official "aligned & cropped" set (every name starts with ``<age>_``).
UTKFACE_N_IMAGES = 23_707
#: sha256 of the archives whose exact bytes are known, by file name.
UTKFACE_ARCHIVE_SHA256 = {
    "UTKFace-64px.tar": "8c2228f570c52c1811630bae2ab04fae552c424c617febb167b56174832564b4",
}

_LABEL_RANGE = (0.0, 121.0)  # 1-year bins 0-120; older ages are clipped to 120 (UTKFace's oldest: 116)
_AGE = re.compile(r"^(\d+)_")
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")


def find_utkface(data_dir: str | os.PathLike[str]) -> Path:
    """The UTKFace archive or image folder under ``data_dir``.

    Looked for, in order, in ``data_dir/utkface/`` and ``data_dir/``: a folder ``UTKFace/``, then
    an archive ``UTKFace*.tar``, ``.tar.gz`` or ``.tgz``. ``data_dir`` may also be the archive.
    """
    root = Path(data_dir)
    if root.is_file() and root.name.lower().endswith(_TAR_SUFFIXES):
        return root
    places = [root / "utkface", root]
    for place in places:
        if (place / "UTKFace").is_dir():
            return place / "UTKFace"
        archives = sorted(p for p in place.glob("UTKFace*") if p.name.lower().endswith(_TAR_SUFFIXES))
        if archives:
            return archives[0]
    raise DataNotFoundError(
        f"UTKFace not found: no UTKFace/ folder or UTKFace*.tar[.gz] archive in {places[0]} or "
        f"{places[1]}. Download the 'aligned & cropped faces' (UTKFace.tar.gz) from "
        "https://susanqq.github.io/UTKFace/ and place it in one of them."
    )


def list_utkface(source: Path) -> dict[str, str]:
    """Map each image's file name to its tar member name or file path, sorted by file name.

    Image files whose name does not start with ``<age>_`` are skipped with a warning. An
    archive that cannot be read raises :class:`~dirkit.exceptions.DataFormatError`.
    """
    if source.is_dir():
        entries = [(p.name, str(p)) for p in source.iterdir() if p.is_file()]
    else:
        entries = tar_members(source)
    images = [(name, where) for name, where in entries if name.lower().endswith(IMAGE_SUFFIXES)]
    unnamed = [name for name, _ in images if not _AGE.match(name)]
    if unnamed:
        warnings.warn(f"Skipped {len(unnamed)} images of {source} whose name does not start with "
                      f"'<age>_' (first: {unnamed[0]!r}).", DirkitWarning, stacklevel=3)
    table: dict[str, str] = {}
    for name, where in sorted(images):
        if not _AGE.match(name):
            continue
        if name in table:
            raise ConfigError(f"{source} holds two images named {name!r} ({table[name]} and {where}).")
        table[name] = where
    if not table:
        raise DataNotFoundError(f"{source} holds no UTKFace image (<age>_<gender>_<race>_<time>.jpg).")
    return table


def check_utkface(source: Path, names: list[str], split_checksum: str, expected: int | None) -> None:
    """Refuse a source that does not hold the expected images (see the module docstring).

    Parameters
    ----------
    source : Path
        The archive or folder (named in the messages).
    names : list of str
        The image file names found in it.
    split_checksum : str
        :func:`~dirkit.datasets.split_sha256` of their split.
    expected : int or None
        How many images ``source`` must hold; ``None`` skips the count and checksum checks.

    Examples
    --------
    >>> check_utkface(Path("UTKFace.tar"), ["20_0_0_1.jpg"], "0" * 64, expected=2)
    Traceback (most recent call last):
    dirkit.exceptions.DataFormatError: UTKFace.tar holds 1 UTKFace images; expected 2 ...
    """
    if expected is None:
        return
    if len(names) != expected:
        cut = " (the archive or a download was cut short?)" if len(names) < expected else ""
        raise DataFormatError(
            f"{source} holds {len(names)} UTKFace images; expected {expected}{cut}. Download it "
            "again, or pass expected_images=None (--dataset-arg expected_images=null) to use "
            "these images anyway."
        )
    if expected == UTKFACE_N_IMAGES and split_checksum != UTKFACE_SPLIT_SHA256:
        raise DataFormatError(
            f"{source} holds {expected} images but not the official file names (split checksum "
            f"{split_checksum[:16]}..., expected {UTKFACE_SPLIT_SHA256[:16]}...). Download it again, "
            "or pass expected_images=None to use these images anyway."
        )


def _check_archive_sha256(source: Path, sha256: str) -> None:
    known = UTKFACE_ARCHIVE_SHA256.get(source.name)
    if known is not None and sha256 != known:
        raise DataFormatError(
            f"{source} has sha256 {sha256[:16]}..., not the {known[:16]}... of the known "
            f"{source.name}: it is damaged or another file; download it again."
        )


def utkface_ages(names: list[str]) -> np.ndarray:
    """Ages parsed from the leading integer of each file name (float64)."""
    ages = []
    for name in names:
        match = _AGE.match(name)
        if match is None:
            raise ConfigError(f"{name!r} does not start with '<age>_'.")
        ages.append(float(match.group(1)))
    return np.array(ages, dtype=np.float64)


def utkface_split(names: list[str]) -> np.ndarray:
    """Split name (``"train"``, ``"val"``, ``"test"``) of each file, by the module's recipe.

    Examples
    --------
    >>> names = [f"{age}_0_0_{i}.jpg.chip.jpg" for age in (20, 21) for i in range(6)]
    >>> utkface_split(names).tolist().count("val")
    4
    """
    ages = np.minimum(utkface_ages(names), _LABEL_RANGE[1] - 1)
    train, val, test = dir_split(ages, UTKFACE_SPLIT_SEED, bin_width=1.0, label_range=_LABEL_RANGE,
                                 cap=UTKFACE_SPLIT_CAP)
    splits = np.empty(len(names), dtype="<U5")
    splits[train], splits[val], splits[test] = "train", "val", "test"
    return splits


@DATASETS.register("utkface-dir")
@validate_params(
    {
        "seed": [Interval(int, 0, None)],
        "data_dir": [str, os.PathLike, None],
        "image_size": [Interval(int, 8, None)],
        "limit": [Interval(int, 3, None), None],
        "cache_dir": [str, os.PathLike, None],
        "expected_images": [Interval(int, 1, None), None],
    }
)
def load_utkface_dir(
    seed: int = 0,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    image_size: int = 32,
    limit: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    expected_images: int | None = UTKFACE_N_IMAGES,
) -> DatasetSplits:
    """Load UTKFace-DIR: uint8 images of shape (N, 3, image_size, image_size) and ages in years.

    The first load decodes and resizes every image (about 5 s for the 23,707 images at 32 px)
    and caches the array in ``cache_dir/images/``, keyed by the archive's sha256 (for a folder:
    the names, sizes and times of its files), ``image_size`` and ``limit``; later loads read
    the cache. Bins are 1 year wide over [0, 121).

    Parameters
    ----------
    seed : int
        Ignored by the data: the split is fixed (accepted so the benchmark can pass it).
    data_dir : path
        Holds ``utkface/UTKFace-64px.tar``, the official ``UTKFace.tar.gz`` or a ``UTKFace/``
        image folder (see :func:`find_utkface`); any image size is accepted.
    image_size : int
        Side of the square images after resizing (32; 64 for the original DIR resolution).
    limit : int, optional
        Keep ``limit`` images, evenly spread over the files in name order, for quick runs;
        each keeps its split, and ``info["split_sha256"]`` is still that of the whole split.
    cache_dir : path, optional
        Cache root (default ``$XDG_CACHE_HOME/dirkit`` or ``~/.cache/dirkit``).
    expected_images : int or None
        How many images the archive or folder must hold (:data:`UTKFACE_N_IMAGES`, the official
        set, whose split checksum is then checked too); ``None`` accepts any number (your own
        subset of UTKFace).

    Returns
    -------
    DatasetSplits
        ``info`` holds ``split_sha256`` (equal to :data:`UTKFACE_SPLIT_SHA256` for the official
        images), ``split_cap``, ``split_seed``, ``image_size``, ``limit`` and ``source``.

    Raises
    ------
    DataNotFoundError
        When ``data_dir`` holds no UTKFace archive or folder.
    DataFormatError
        When the archive cannot be read, holds another number of images than
        ``expected_images`` (a truncated download), or fails a known checksum.
    """
    if data_dir is None:
        raise ConfigError(
            "utkface-dir needs data_dir (the folder holding utkface/; CLI: --data-dir DIR or "
            "$DIRKIT_DATA_DIR)."
        )
    source = find_utkface(data_dir)
    table = list_utkface(source)
    names = list(table)
    splits = utkface_split(names)
    checksum = split_sha256(names, splits.tolist())
    check_utkface(source, names, checksum, expected_images)
    keep = spread_rows(len(names), limit)
    kept = [names[i] for i in keep]
    where = {table[name]: row for row, name in enumerate(kept)}

    def decode() -> np.ndarray:
        items = (
            tar_images(source, where) if source.is_file()
            else ((row, path, Path(path).read_bytes()) for path, row in where.items())
        )
        return decode_all(items, len(kept), image_size)

    fingerprint = file_sha256(source) if source.is_file() else files_fingerprint(
        (Path(p) for p in table.values()), source)
    if source.is_file():
        _check_archive_sha256(source, fingerprint)
    key = f"utkface-{fingerprint[:24]}-{image_size}px" + ("" if limit is None else f"-limit{limit}")
    images = cached_images(key, kept, decode, cache_dir=resolve_cache_dir(cache_dir))
    return age_splits(
        "utkface-dir",
        images,
        utkface_ages(kept),
        splits[keep],
        label_range=_LABEL_RANGE,
        description=f"UTKFace-DIR: {len(kept)} faces at {image_size} px, ages in years, balanced val/test",
        info={
            "seed": seed,
            "split_sha256": checksum,
            "split_cap": UTKFACE_SPLIT_CAP,
            "split_seed": UTKFACE_SPLIT_SEED,
            "image_size": image_size,
            "limit": limit,
            "source": source.name,
        },
    )
