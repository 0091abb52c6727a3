"""``python -m dirkit``: the same command line as ``dirkit`` (see :mod:`dirkit.cli`)."""

import sys

from dirkit._entry import main

if __name__ == "__main__":
    sys.exit(main())
