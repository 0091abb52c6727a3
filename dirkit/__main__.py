"""``python -m dirkit``: the same command line as ``dirkit`` (see :mod:`dirkit.cli`)."""

import sys

from dirkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
