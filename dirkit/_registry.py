"""A small, strict name -> object registry.

One instance per kind of component (``LOSSES``, ``METHODS``, ``DATASETS``, ...). Objects
register themselves in the file that defines them; each subpackage ``__init__`` imports those
files explicitly, so everything registered is visible by reading the imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from dirkit.exceptions import ConfigError, UnknownNameError

T = TypeVar("T")

__all__ = ["BACKBONES", "DATASETS", "LOSSES", "METHODS", "RESAMPLERS", "Registry"]


class Registry(Generic[T]):
    """Map names to components of one kind.

    Parameters
    ----------
    kind : str
        What the registry holds, in the plural ("losses", "methods"), used in error messages.

    Examples
    --------
    >>> KERNELS = Registry("kernels")
    >>> @KERNELS.register("box")
    ... def box():
    ...     return [1, 1, 1]
    >>> KERNELS.get("box")()
    [1, 1, 1]
    >>> KERNELS.names()
    ['box']
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, *, override: bool = False) -> Callable[[T], T]:
        """Return a decorator that registers its argument under ``name``.

        Raises :class:`~dirkit.exceptions.ConfigError` if ``name`` is taken and ``override`` is False.
        """
        if not name or name != name.strip().lower():
            raise ConfigError(f"{self.kind} names must be non-empty lower-case strings; got {name!r}.")

        def decorator(obj: T) -> T:
            if name in self._items and not override:
                raise ConfigError(
                    f"{name!r} is already registered in {self.kind}; pass override=True to replace it."
                )
            self._items[name] = obj
            return obj

        return decorator

    def get(self, name: str) -> T:
        """Return the object registered as ``name``; unknown names raise with the list of known ones."""
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(
                f"Unknown {self.kind[:-1] if self.kind.endswith('s') else self.kind} {name!r}. "
                f"Known {self.kind}: {', '.join(self.names()) or '(none)'}."
            ) from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, names={self.names()})"


# One registry per kind of component; components register themselves in their own file.
BACKBONES: Registry = Registry("backbones")
DATASETS: Registry = Registry("datasets")
LOSSES: Registry = Registry("losses")
METHODS: Registry = Registry("methods")
RESAMPLERS: Registry = Registry("resamplers")
