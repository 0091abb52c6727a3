"""Decode image files to one uint8 array, once: the result is cached on disk by a fingerprint.

Image data sets are stored as ``uint8`` arrays of shape (N, 3, size, size) (a quarter of the
memory of float32); the model converts them to float (:class:`~dirkit.methods.ImageNormalize`).
Each image is converted to RGB and resized to ``size x size`` (squashed, not cropped, as the DIR
reference code's ``Resize((size, size))``) with Pillow's bicubic filter, after a JPEG draft
decode at the smallest scale still at least ``size`` wide (much faster for large photos).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from dirkit.exceptions import ConfigError, DataFormatError, DataNotFoundError

__all__ = [
    "IMAGE_SUFFIXES",
    "cached_images",
    "decode_all",
    "decode_image",
    "file_sha256",
    "files_fingerprint",
    "readable_tar",
    "tar_images",
    "tar_members",
]

#: File name endings read as images (compared in lower case).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
_CACHE_FORMAT = "v1"  # bump when the decoding changes, so old cache files are not reused


def decode_image(data: bytes, size: int, *, name: str = "image") -> np.ndarray:
    """Decode encoded image bytes to a uint8 array of shape (3, size, size).

    Examples
    --------
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("L", (20, 10), color=200).save(buffer, format="PNG")
    >>> pixels = decode_image(buffer.getvalue(), 8)
    >>> pixels.shape, pixels.dtype, int(pixels.max())
    ((3, 8, 8), dtype('uint8'), 200)
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (size, size))  # JPEG only: decode at a reduced scale
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError) as error:
        message = f"{name} is not a readable image ({error}); re-extract the data set."
        raise DataNotFoundError(message) from None
    if rgb.size != (size, size):
        rgb = rgb.resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1).copy()


def decode_all(items: Iterable[tuple[int, str, bytes]], n: int, size: int) -> np.ndarray:
    """Decode ``(row, name, bytes)`` items into rows of a new (n, 3, size, size) uint8 array."""
    images = np.zeros((n, 3, size, size), dtype=np.uint8)
    filled = np.zeros(n, dtype=bool)
    for row, name, data in items:
        images[row] = decode_image(data, size, name=name)
        filled[row] = True
    if not filled.all():
        raise DataNotFoundError(f"{int((~filled).sum())} of {n} images could not be read.")
    return images


#: What reading a truncated or corrupt (compressed) tar archive raises.
_TAR_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError)


def _unreadable(archive: Path, error: BaseException, found: str = "") -> DataFormatError:
    lines = str(error).strip().splitlines()  # tarfile lists one line per compression it tried
    reason = lines[0].rstrip(":") if lines else "no detail"
    return DataFormatError(
        f"{archive} is not a readable tar archive ({type(error).__name__}: {reason:.200}{found}); "
        "it is truncated or corrupt: download it again (or extract it and give the folder)."
    )


@contextlib.contextmanager
def readable_tar(archive: Path) -> Iterator[None]:
    """Turn the errors of reading a bad tar archive into one :class:`DataFormatError` naming it.

    Examples
    --------
    >>> import tempfile
    >>> junk = Path(tempfile.mkdtemp()) / "faces.tar"
    >>> _ = junk.write_bytes(b"not a tar archive" * 64)
    >>> with readable_tar(junk):  # doctest: +ELLIPSIS
    ...     tarfile.open(junk).close()
    Traceback (most recent call last):
    dirkit.exceptions.DataFormatError: .../faces.tar is not a readable tar archive (...); ...
    """
    try:
        yield
    except DataFormatError:
        raise
    except _TAR_ERRORS as error:
        raise _unreadable(archive, error) from None


def tar_members(archive: Path) -> list[tuple[str, str]]:
    """``(file name, member name)`` of every regular file of a tar archive, in archive order.

    A truncated or corrupt archive raises :class:`DataFormatError` naming it and how many files
    were listed before the damage. (An archive cut exactly between two members reads as a
    shorter, valid archive: callers check the count they expect.)
    """
    members: list[tuple[str, str]] = []
    try:
        with tarfile.open(archive) as tar:
            for member in tar:
                if member.isfile():
                    members.append((Path(member.name).name, member.name))
    except _TAR_ERRORS as error:
        found = f", after {len(members)} files" if members else ""
        raise _unreadable(archive, error, found) from None
    return members


def tar_images(archive: Path, rows: dict[str, int]) -> Iterable[tuple[int, str, bytes]]:
    """``(row, member name, bytes)`` of the members named in ``rows``, in archive order.

    Reading in archive order keeps compressed archives (``.tar.gz``) to one sequential pass. A
    member cut short raises :class:`DataFormatError` naming the archive.
    """
    with readable_tar(archive), tarfile.open(archive) as tar:
        for member in tar:
            row = rows.get(member.name)
            if row is None or not member.isfile():
                continue
            stream = tar.extractfile(member)
            if stream is not None:
                data = stream.read()
                if len(data) != member.size:
                    raise DataFormatError(
                        f"{archive}: member {member.name} holds {len(data)} of its {member.size} "
                        "bytes; the archive is truncated: download it again."
                    )
                yield row, member.name, data


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def files_fingerprint(paths: Iterable[Path], root: Path) -> str:
    """Hex sha256 of every file's path relative to ``root``, byte size and modification time.

    A cheap cache key for a folder of images (hashing the contents of 200,000 photos would cost
    more than decoding them): replacing, adding or touching a file changes it.
    """
    digest = hashlib.sha256()
    for path in sorted(paths):
        stat = path.stat()
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        digest.update(f"{name}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _read_cache(path: Path, names: list[str]) -> np.ndarray | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            if stored["names"].tolist() == names:
                return np.asarray(stored["images"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        pass  # unreadable or stale: decode again and overwrite it
    return None


def cached_images(
    key: str,
    names: list[str],
    decode: Callable[[], np.ndarray],
    *,
    cache_dir: Path,
) -> np.ndarray:
    """The images of ``names`` from ``cache_dir/images/<key>.npz``, or ``decode()`` them and store them.

    ``key`` must change whenever the source files or the decoding settings change (callers build
    it from a checksum of the source and the image size). The file also stores ``names``; a cache
    file whose names differ, or that cannot be read, is replaced. Writes go to a temporary file
    renamed into place, so an interrupted write never leaves a truncated cache.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> make = lambda: np.ones((1, 3, 2, 2), dtype=np.uint8)
    >>> first = cached_images("demo", ["a.jpg"], make, cache_dir=folder)
    >>> again = cached_images("demo", ["a.jpg"], lambda: 1 / 0, cache_dir=folder)  # not called
    >>> bool((first == again).all())
    True
    """
    if not key.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"cache keys hold letters, digits, '-' and '_' only; got {key!r}.")
    path = Path(cache_dir) / "images" / f"{key}-{_CACHE_FORMAT}.npz"
    if path.is_file():
        stored = _read_cache(path, names)
        if stored is not None:
            return stored
    images = decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(temporary, images=images, names=np.array(names, dtype=str))
    os.replace(temporary, path)
    return images
