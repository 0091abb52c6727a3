"""Check that the environment holds exactly the pins of ``ci/requirements-lowest.txt``; print them.

Run by ``make test-lowest`` after installing, so that a later install step that upgraded a pin
(a test dependency asking for a newer NumPy, say) fails loudly instead of testing other versions.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PINS = Path(__file__).with_name("requirements-lowest.txt")


def main() -> int:
    wrong = []
    found = []
    for line in PINS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, pinned = line.split("==")
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "missing"
        found.append(f"{name} {installed}")
        if installed != pinned:
            wrong.append(f"{name}: pinned {pinned}, installed {installed}")
    found.append(f"torch {version('torch')}")
    print("lowest versions: " + ", ".join(found))
    if wrong:
        print("not the pins of ci/requirements-lowest.txt: " + "; ".join(wrong), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
