"""The names and one-line descriptions of dirkit's methods, data sets and losses, without PyTorch.

``dirkit list`` prints from here so that it starts in a fraction of a second: the registries fill
only when their subpackages are imported, and those import PyTorch. The catalogue is a snapshot
of the registries, written to ``_catalog.json`` next to this file by ``python -m dirkit._catalog``
(the tests fail when it is stale). Once a subpackage is imported (a Python session, the tests),
its live registry is used instead, with anything registered after import.

Examples
--------
>>> names = dict(listing("methods"))
>>> "vanilla" in names and "Yang et al. 2021" in names["sqinv"]
True
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from dirkit.exceptions import UnknownNameError

__all__ = ["KINDS", "build", "describe", "listing", "load", "write"]

KINDS: dict[str, str] = {
    "datasets": "dirkit.datasets",
    "losses": "dirkit.losses",
    "methods": "dirkit.methods",
}
"""Each listable kind -> the subpackage whose import fills its registry."""

CATALOG_FILE = Path(__file__).with_name("_catalog.json")


def describe(obj: object) -> str:
    """The first line of ``obj.summary`` or of its docstring, Sphinx roles and literals unwrapped."""
    text = getattr(obj, "summary", None) or (getattr(obj, "__doc__", None) or "").strip()
    first = str(text).splitlines()[0] if text else ""
    return re.sub(r":\w+:`~?([^`]+)`|``([^`]+)``", lambda m: m.group(1) or m.group(2), first)


def _registry(kind: str) -> Any:
    import dirkit._registry as registries

    return getattr(registries, kind.upper())


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise UnknownNameError(f"Unknown kind {kind!r}; valid: {', '.join(sorted(KINDS))}.")


def build(kind: str) -> list[tuple[str, str]]:
    """(name, description) pairs of the live registry of ``kind``, sorted; imports its subpackage."""
    _check(kind)
    importlib.import_module(KINDS[kind])
    registry = _registry(kind)
    return [(name, describe(registry.get(name))) for name in registry]


def load(kind: str) -> list[tuple[str, str]]:
    """(name, description) pairs of ``kind`` from the snapshot file; imports nothing heavy."""
    _check(kind)
    with open(CATALOG_FILE, encoding="utf-8") as file:
        return sorted(json.load(file)[kind].items())


def listing(kind: str) -> list[tuple[str, str]]:
    """The live registry of ``kind`` if its subpackage is imported, else the snapshot."""
    _check(kind)
    return build(kind) if KINDS[kind] in sys.modules else load(kind)


def write(path: Path = CATALOG_FILE) -> Path:
    """Write the snapshot of every kind to ``path`` (JSON) and return it."""
    catalog = {kind: dict(build(kind)) for kind in sorted(KINDS)}
    path.write_text(json.dumps(catalog, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"Wrote {write()}")
