"""The ``imdb-wiki-dir`` data set: IMDB-WIKI-DIR (Yang et al. 2021) from its label file and images."""

from __future__ import annotations

import os

from dirkit._registry import DATASETS
from dirkit._validation import validate_params
from dirkit.datasets._age_csv import AGE_CSV_LOADER_PARAMS, find_label_file, load_age_csv
from dirkit.datasets._base import DatasetSplits

__all__ = ["load_imdb_wiki_dir"]

_HINT = (
    "The IMDB-WIKI face crops (imdb_crop/, wiki_crop/) come from data.vision.ee.ethz.ch/cvl/rrothe/"
    "imdb-wiki; put them so that the label file's paths resolve under the image root, or pass "
    "image_root= (CLI: --dataset-arg image_root=DIR)."
)


@DATASETS.register("imdb-wiki-dir")
@validate_params(AGE_CSV_LOADER_PARAMS)
def load_imdb_wiki_dir(
    seed: int = 0,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    image_root: str | os.PathLike[str] | None = None,
    image_size: int = 32,
    limit: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> DatasetSplits:
    """Load IMDB-WIKI-DIR: uint8 images (N, 3, image_size, image_size), ages in years, official split.

    The split is the label file's (about 191.5k training and 11k validation and test images,
    balanced at up to 150 per age); ages 0-186 in 1-year bins over [0, 187). The first load
    decodes every listed photo (about 213k: expect many minutes on a CPU); later loads read the
    on-disk cache (see :func:`~dirkit.datasets.load_utkface_dir`).

    Parameters
    ----------
    seed : int
        Ignored by the data: the split is the official one (accepted so the benchmark can pass it).
    data_dir : path
        Holds ``imdb-wiki-dir/imdb_wiki.csv`` (or ``imdb_wiki.csv`` itself).
    image_root : path, optional
        The folder the label file's paths (``imdb_crop/...``, ``wiki_crop/...``) are relative
        to; default the label file's folder.
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
        When the label file is missing, or images are missing under the image root.
    """
    labels = find_label_file(data_dir, "imdb-wiki-dir", "imdb_wiki.csv", "imdb-wiki-dir")
    return load_age_csv("imdb-wiki-dir", labels, image_root=image_root, image_size=image_size,
                        limit=limit, cache_dir=cache_dir, label_range=(0.0, 187.0), seed=seed, hint=_HINT)
