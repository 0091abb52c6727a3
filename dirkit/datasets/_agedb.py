"""The ``agedb-dir`` data set: AgeDB-DIR (Yang et al. 2021) from its label file and the AgeDB images."""

from __future__ import annotations

import os

from dirkit._registry import DATASETS
from dirkit._validation import validate_params
from dirkit.datasets._age_csv import AGE_CSV_LOADER_PARAMS, find_label_file, load_age_csv
from dirkit.datasets._base import DatasetSplits

__all__ = ["load_agedb_dir"]

_HINT = (
    "The AgeDB images are distributed by their authors on request (ibug.doc.ic.ac.uk/resources/"
    "agedb); put them so that the label file's paths (AgeDB/<file>.jpg) resolve under the image "
    "root, or pass image_root= (CLI: --dataset-arg image_root=DIR)."
)


@DATASETS.register("agedb-dir")
@validate_params(AGE_CSV_LOADER_PARAMS)
def load_agedb_dir(
    seed: int = 0,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    image_root: str | os.PathLike[str] | None = None,
    image_size: int = 32,
    limit: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> DatasetSplits:
    """Load AgeDB-DIR: uint8 images (N, 3, image_size, image_size), ages in years, official split.

    The split is the label file's: 12,208 training, 2,140 validation and 2,140 test images
    (balanced, at most 30 per age), ages 1-101, 1-year bins over [0, 121). Under the usual shot
    rule (many > 100, few < 20 training images per age) the test split has 1,530 many-, 448
    medium- and 162 few-shot images. Decoded images are cached on disk (see
    :func:`~dirkit.datasets.load_utkface_dir`).

    Parameters
    ----------
    seed : int
        Ignored by the data: the split is the official one (accepted so the benchmark can pass it).
    data_dir : path
        Holds ``agedb-dir/agedb.csv`` (or ``agedb.csv`` itself).
    image_root : path, optional
        The folder the label file's paths (``AgeDB/<file>.jpg``) are relative to; default the
        label file's folder.
    image_size : int
        Side of the square images after resizing.
    limit : int, optional
        Keep ``limit`` images, evenly spread over the rows of the label file, for quick runs.
    cache_dir : path, optional
        Cache root (default ``$XDG_CACHE_HOME/dirkit`` or ``~/.cache/dirkit``).

    Returns
    -------
    DatasetSplits
        ``info["split_sha256"]`` is the checksum of the label file's (path, split) list.

    Raises
    ------
    DataNotFoundError
        When the label file is missing, or images are missing under the image root (the message
        names the root and says where to get the images).
    """
    labels = find_label_file(data_dir, "agedb-dir", "agedb.csv", "agedb-dir")
    return load_age_csv("agedb-dir", labels, image_root=image_root, image_size=image_size, limit=limit,
                        cache_dir=cache_dir, label_range=(0.0, 121.0), seed=seed, hint=_HINT)
