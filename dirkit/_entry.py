"""The ``dirkit`` console script and ``python -m dirkit``: :func:`dirkit.cli.main`, interruptible.

Ctrl-C while the command line itself is still being imported (the first fraction of a second)
would otherwise end in a ``KeyboardInterrupt`` traceback, or in an ``ImportError`` when it lands
inside a C extension's import; here either ends with one line and status 130, as an interrupt
later on does (:func:`dirkit.cli.main` handles those itself). Only an interrupt during Python's
own start-up, before any dirkit code runs, is beyond reach.
"""

from __future__ import annotations

import sys

from dirkit._interrupt import interrupted, watch_interrupts

__all__ = ["main"]

INTERRUPTED = 130  # 128 + SIGINT, the shell's status for a command ended by Ctrl-C


def main() -> int:
    """Run the ``dirkit`` command on ``sys.argv[1:]`` and return its exit status."""
    with watch_interrupts():
        try:
            from dirkit.cli import main as run

            if not interrupted():  # an import may have swallowed the KeyboardInterrupt
                return run()
        except KeyboardInterrupt:
            pass
        except Exception:  # an ImportError made of a Ctrl-C inside a C extension's import
            if not interrupted():
                raise
    print("\ndirkit: interrupted.", file=sys.stderr)
    return INTERRUPTED
