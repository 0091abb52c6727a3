"""Where the real data sets live: ``--data-dir``, else ``$DIRKIT_DATA_DIR``, else ``$DATA_DIR``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from dirkit.exceptions import ConfigError

__all__ = ["DATA_DIR_VARIABLES", "resolve_data_dir"]

#: Environment variables naming the data folder when no ``data_dir`` is given, first wins.
#: ``$DATA_DIR`` is what recorded commands write for a data folder outside the project.
DATA_DIR_VARIABLES = ("DIRKIT_DATA_DIR", "DATA_DIR")

_VARIABLE = re.compile(r"\$(?:(\w+)|\{(\w+)\})")


def resolve_data_dir(
    given: Path | str | None, environ: Mapping[str, str] | None = None
) -> Path | None:
    """The data folder: ``given``, else the first of :data:`DATA_DIR_VARIABLES` set, else None.

    ``$VAR`` in ``given`` is expanded (a recorded command such as ``--data-dir $DATA_DIR`` run
    without a shell); an unset variable, or an empty value, is an error that names the fix.

    Examples
    --------
    >>> resolve_data_dir("../shared/data", {}).as_posix()
    '../shared/data'
    >>> resolve_data_dir(None, {"DATA_DIR": "/data"}).as_posix()
    '/data'
    >>> resolve_data_dir("$DATA_DIR/tabular", {"DATA_DIR": "/data"}).as_posix()
    '/data/tabular'
    >>> resolve_data_dir(None, {}) is None
    True
    """
    env = os.environ if environ is None else environ
    if given is None:
        found = next((name for name in DATA_DIR_VARIABLES if env.get(name)), None)
        return None if found is None else Path(env[found]).expanduser()
    text = str(given)
    if "$" in text:
        expanded = _expand(text, env)
        if "$" in expanded:
            raise ConfigError(
                f"The data folder {text!r} names an unset environment variable; set it (e.g. "
                "export DATA_DIR=/path/to/data) or pass --data-dir with the folder."
            )
        text = expanded
    if not text.strip():
        raise ConfigError(
            "The data folder is empty (was $DATA_DIR unset?); set DATA_DIR or pass --data-dir with "
            "the folder."
        )
    return Path(text).expanduser()


def _expand(text: str, env: Mapping[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced from ``env``; unset ones stay as written."""
    return _VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), text)
