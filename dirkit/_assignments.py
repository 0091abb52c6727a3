"""``KEY=VALUE`` options of the command line (``--set``, ``--dataset-arg``, ``--train-arg``).

The three options share one value syntax:

- JSON when the value parses as JSON: ``2``, ``0.5``, ``true``, ``null``, ``[0.5, 2]``,
  ``["a", "b"]``, ``"text"`` (quotes keep commas and brackets in a string: ``'"a,b.csv"'``);
- a bracket list of bare items: ``[a, b]`` (items may be quoted: ``['a', 'b']``);
- a comma list: ``a,b`` or ``0.5,2``;
- otherwise the text itself, as a string.

List items are read as JSON scalars when they parse (``1``, ``0.5``, ``true``), else as strings,
so ``features=a,b``, ``'features=[a, b]'`` and ``'features=["a", "b"]'`` give the same list. A key
given twice is an error (give a list instead); so is an empty list item (``a,,b``).

This module imports nothing heavy: the command line parses options before loading PyTorch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dirkit.exceptions import ConfigError

__all__ = ["parse_assignments", "parse_value"]

_QUOTES = ("'", '"')


def _scalar(text: str) -> Any:
    item = text.strip()
    if len(item) >= 2 and item[0] == item[-1] and item[0] in _QUOTES:
        return item[1:-1]
    try:
        value = json.loads(item)
    except json.JSONDecodeError:
        return item
    return value if not isinstance(value, (list, dict)) else item


def _items(inner: str, text: str) -> list[Any]:
    if not inner.strip():
        return []
    parts = inner.split(",")
    if any(not part.strip() for part in parts):
        raise ConfigError(f"Empty item in the list {text!r}; write lists as a,b or [a, b].")
    if any(ch in part for part in parts for ch in "[]{}"):
        raise ConfigError(f"Nested list {text!r}: write nested lists in JSON, e.g. [[1, 2], [3]].")
    return [_scalar(part) for part in parts]


def parse_value(text: str) -> Any:
    """Read one option value: JSON, a bracket list, a comma list, or else the text itself.

    Examples
    --------
    >>> parse_value("2"), parse_value("gaussian"), parse_value("null")
    (2, 'gaussian', None)
    >>> parse_value("a,b") == parse_value("[a, b]") == parse_value('["a", "b"]') == ["a", "b"]
    True
    >>> parse_value("0.5,2"), parse_value("[]"), parse_value('"a,b.csv"')
    ([0.5, 2], [], 'a,b.csv')
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        return _items(stripped[1:-1], text)
    if "," in text:
        return _items(text, text)
    return text


def parse_assignments(items: Sequence[str], *, dotted: bool, option: str | None = None) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` (or ``GROUP.KEY=VALUE`` with ``dotted``) options into a dict.

    Values are read by :func:`parse_value`. ``option`` (e.g. ``"--dataset-arg"``) names the
    option in error messages.

    Raises
    ------
    ConfigError
        For an item without ``=`` (or without ``GROUP.`` when ``dotted``), a key given twice, or
        a malformed list.

    Examples
    --------
    >>> parse_assignments(["lds.sigma=2", "lds.kernel=gaussian", "fds.start_epoch=0"], dotted=True)
    {'lds': {'sigma': 2, 'kernel': 'gaussian'}, 'fds': {'start_epoch': 0}}
    >>> parse_assignments(["scale=0.1", "features=a,b"], dotted=False)
    {'scale': 0.1, 'features': ['a', 'b']}
    """
    parsed: dict[str, Any] = {}
    shape = "METHOD.FIELD=VALUE (e.g. lds.sigma=2)" if dotted else "KEY=VALUE (e.g. scale=0.1)"
    flag = f"{option} " if option else ""
    seen: set[str] = set()
    for item in items:
        key, sep, text = item.partition("=")
        group, dot, field = key.partition(".")
        if not sep or not key.strip() or (dotted and not (dot and group.strip() and field.strip())):
            raise ConfigError(f"Expected {flag}{shape}; got {item!r}.")
        name = f"{group.strip()}.{field.strip()}" if dotted else key.strip()
        if name in seen:
            raise ConfigError(
                f"{flag}{name} is given twice; give it once (a list as {name}=a,b or '{name}=[a, b]')."
            )
        seen.add(name)
        value = parse_value(text)
        if dotted:
            parsed.setdefault(group.strip(), {})[field.strip()] = value
        else:
            parsed[name] = value
    return parsed
