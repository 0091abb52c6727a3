"""Atomic file writes: a temporary file beside the target, synced, then renamed onto it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write"]


def atomic_write(
    path: Path, write: Callable[[IO[Any]], object], *, mode: str, newline: str | None = None
) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, then move it onto ``path``.

    The temporary file is flushed to disk before :func:`os.replace`, which is atomic on POSIX and
    Windows, so ``path`` always holds either the old or the new content in full; an interrupted
    write leaves no temporary file behind. Text modes use UTF-8.

    Examples
    --------
    >>> from tempfile import mkdtemp
    >>> target = Path(mkdtemp()) / "a.txt"
    >>> atomic_write(target, lambda file: file.write("done"), mode="w")
    >>> target.read_text(), [p.name for p in target.parent.iterdir()]
    ('done', ['a.txt'])
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    text = "b" not in mode
    try:
        with open(tmp, mode.replace("w", "x"), encoding="utf-8" if text else None,
                  newline=newline if text else None) as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
