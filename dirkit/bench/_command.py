"""Recorded commands that run anywhere: no absolute data folder of the machine that ran them.

A record's ``command`` (and the ``Command:`` line of ``results.md``) writes ``--data-dir``
relative to the project (:func:`project_root`) when the folder is inside it or next to it
(``../shared/data``), and as ``$DATA_DIR`` otherwise, so that the command reads the data folder
from the environment (:func:`dirkit.datasets._paths.resolve_data_dir`) on another machine.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from pathlib import Path, PurePath

__all__ = [
    "DATA_DIR_PLACEHOLDER",
    "portable_command",
    "portable_data_dir",
    "portable_text",
    "project_root",
    "shell_join",
]

DATA_DIR_PLACEHOLDER = "$DATA_DIR"
"""What a recorded command holds in place of a data folder outside the project."""

_FLAG = "--data-dir"
_IN_TEXT = re.compile(r"(--data-dir[= ])(\"[^\"]*\"|'[^']*'|[^\s`'\";]+)")


def project_root() -> Path:
    """The dirkit checkout that is running (the folder holding its ``pyproject.toml``), else the
    working folder (an installed dirkit)."""
    checkout = Path(__file__).resolve().parents[2]
    is_checkout = (checkout / "pyproject.toml").is_file() and (checkout / "dirkit").is_dir()
    return checkout if is_checkout else Path.cwd()


def _near(relative: str) -> bool:
    """Inside the folder, or inside its parent (at most one leading ``..``), and no ``..`` after."""
    parts = PurePath(os.path.normpath(relative)).parts
    ups = 0
    while ups < len(parts) and parts[ups] == "..":
        ups += 1
    return ups <= 1 and ".." not in parts[ups:]


def portable_data_dir(value: str, project: Path | str | None = None) -> str:
    """``value`` of ``--data-dir`` as a recorded command writes it.

    A relative folder inside the project or next to it stays as given; an absolute one there is
    made relative to the project (``project``, default :func:`project_root`); anything else becomes
    ``$DATA_DIR``; a value that already names a variable stays.

    Examples
    --------
    >>> portable_data_dir("../shared/data", "/work/main")
    '../shared/data'
    >>> portable_data_dir("/work/shared/data", "/work/main")
    '../shared/data'
    >>> portable_data_dir("/mnt/datasets", "/work/main")
    '$DATA_DIR'
    >>> portable_data_dir("$DATA_DIR", "/work/main")
    '$DATA_DIR'
    """
    if "$" in value:
        return value
    if not os.path.isabs(os.path.expanduser(value)):
        return value if _near(value) else DATA_DIR_PLACEHOLDER
    base = Path(project) if project is not None else project_root()
    try:
        relative = os.path.relpath(os.path.expanduser(value), base)
    except ValueError:  # another drive (Windows)
        return DATA_DIR_PLACEHOLDER
    return Path(relative).as_posix() if _near(relative) else DATA_DIR_PLACEHOLDER


def portable_command(argv: Sequence[str], project: Path | str | None = None) -> list[str]:
    """``argv`` with the value of every ``--data-dir`` (``--data-dir X`` or ``--data-dir=X``) made
    portable by :func:`portable_data_dir`; other arguments holding that absolute folder get the
    same replacement for it (``--dataset-arg path=/abs/data/x.csv``).

    Examples
    --------
    >>> portable_command(["dirkit", "bench", "--data-dir", "/work/shared/data",
    ...                   "--dataset-arg", "path=/work/shared/data/t.csv"], "/tmp/run")
    ['dirkit', 'bench', '--data-dir', '$DATA_DIR', '--dataset-arg', 'path=$DATA_DIR/t.csv']
    """
    out = [str(a) for a in argv]
    replacements: dict[str, str] = {}
    for i, arg in enumerate(out):
        if arg == _FLAG and i + 1 < len(out):
            value, prefix, at = out[i + 1], "", i + 1
        elif arg.startswith(_FLAG + "="):
            value, prefix, at = arg[len(_FLAG) + 1 :], _FLAG + "=", i
        else:
            continue
        portable = portable_data_dir(value, project)
        out[at] = prefix + portable
        if os.path.isabs(value) and portable != value:
            replacements[os.path.normpath(value)] = portable
    for absolute, portable in replacements.items():
        for i, arg in enumerate(out):
            if absolute in arg:
                out[i] = re.sub(re.escape(absolute) + r"(?=/|$|[\s,;])", portable.replace("\\", r"\\"), arg)
    return out


def shell_join(argv: Sequence[str]) -> str:
    """:func:`shlex.join`, but ``$DATA_DIR`` left for the shell to expand (double quotes).

    Examples
    --------
    >>> shell_join(["dirkit", "bench", "--data-dir", "$DATA_DIR", "--set", "fds.clip=[0.5,2]"])
    'dirkit bench --data-dir "$DATA_DIR" --set \\'fds.clip=[0.5,2]\\''
    """
    parts = []
    for arg in map(str, argv):
        rest = arg.replace(DATA_DIR_PLACEHOLDER, "")
        if DATA_DIR_PLACEHOLDER in arg and not re.search(r'["`\\$]', rest):
            parts.append(f'"{arg}"')
        else:
            parts.append(shlex.quote(arg))
    return " ".join(parts)


def portable_text(text: str, project: Path | str | None = None) -> str:
    """Every ``--data-dir X`` in prose or Markdown (a benchmark README) made portable.

    Examples
    --------
    >>> portable_text("run `dirkit bench --data-dir /work/shared/data --out x`", "/srv/project")
    'run `dirkit bench --data-dir "$DATA_DIR" --out x`'
    """

    def replace(match: re.Match[str]) -> str:
        raw = match.group(2)
        value = raw[1:-1] if raw[:1] in "\"'" and raw[-1:] == raw[:1] and len(raw) > 1 else raw
        portable = portable_data_dir(value, project)
        if portable == value:
            return match.group(0)
        return match.group(1) + (f'"{portable}"' if "$" in portable else shlex.quote(portable))

    return _IN_TEXT.sub(replace, text)
