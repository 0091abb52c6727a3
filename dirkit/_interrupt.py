"""Noticing Ctrl-C in the command line even when an import turns it into another error.

A ``KeyboardInterrupt`` that lands inside a C extension's import (NumPy, PyTorch) can come out
as an ``ImportError`` ("PyCapsule_Import could not import module ...") instead. While
:func:`watch_interrupts` is active, SIGINT still raises ``KeyboardInterrupt`` as Python's own
handler does, and :func:`interrupted` also remembers it, so the command line can end such a
run with its one-line "interrupted" message instead of a traceback.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

__all__ = ["interrupted", "watch_interrupts"]

_seen: list[int] = []


def _note_and_raise(signum: int, frame: FrameType | None) -> None:
    _seen.append(signum)
    raise KeyboardInterrupt


def interrupted() -> bool:
    """Whether SIGINT arrived while :func:`watch_interrupts` was active."""
    return bool(_seen)


@contextlib.contextmanager
def watch_interrupts() -> Iterator[None]:
    """Remember SIGINT (still raising ``KeyboardInterrupt``) while the block runs.

    Only Python's default handler is replaced (and put back after): a handler the caller
    installed, or a call outside the main thread, is left alone.

    Examples
    --------
    >>> with watch_interrupts():
    ...     interrupted()
    False
    """
    try:
        replace = signal.getsignal(signal.SIGINT) is signal.default_int_handler
        previous = signal.signal(signal.SIGINT, _note_and_raise) if replace else None
    except ValueError:  # not the main thread: signals cannot be handled here
        previous = None
    if previous is not None:
        _seen.clear()
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
