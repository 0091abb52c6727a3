"""The split seed of the table data sets: one fixed split for every seed, or one split per seed.

The DIR protocol reports mean ± std over training seeds on one split, so that the spread is the
training spread. Loaders that take a ``split_seed`` argument (``csv``, ``tabular-ir/*``) get it
from the runner: an int (default 0, one split for every seed) or, with ``"per-seed"``, none, and
their ``seed`` (the training seed) seeds the split as it did before dirkit had the option.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final, Literal

from dirkit.exceptions import ConfigError

__all__ = [
    "PER_SEED",
    "SplitSeed",
    "check_same_split",
    "check_split_seed",
    "saved_split_seed",
    "takes_split_seed",
]

PER_SEED: Final = "per-seed"
"""The split seed value that seeds each run's split with its training seed."""

SplitSeed = int | Literal["per-seed"]

_MAX_SEED = 2**32 - 1


def check_split_seed(value: object) -> SplitSeed:
    """``value`` if it is ``"per-seed"`` or an int in ``0..2**32 - 1``; else a ConfigError.

    Examples
    --------
    >>> check_split_seed(0), check_split_seed("per-seed")
    (0, 'per-seed')
    """
    if value == PER_SEED:
        return PER_SEED
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_SEED:
        raise ConfigError(
            f"split_seed must be an int in 0..{_MAX_SEED} or {PER_SEED!r}; got {value!r}."
        )
    return int(value)


def takes_split_seed(loader: Callable[..., Any]) -> bool:
    """Whether ``loader`` names a ``split_seed`` parameter (``**kwargs`` does not count)."""
    try:
        return "split_seed" in inspect.signature(loader).parameters
    except (TypeError, ValueError):
        return False


def saved_split_seed(settings: object) -> SplitSeed:
    """The split seed of a saved record's settings; ``"per-seed"`` for records made before the option.

    Examples
    --------
    >>> saved_split_seed({"train_config": {}}), saved_split_seed({"split_seed": 0})
    ('per-seed', 0)
    """
    if isinstance(settings, Mapping) and "split_seed" in settings:
        return check_split_seed(settings["split_seed"])
    return PER_SEED


def _flag(value: SplitSeed) -> str:
    return f"--split-seed {value} (split_seed={value!r} in Python)"


def check_same_split(
    records: Iterable[Mapping[str, Any]], datasets: Iterable[str], split_seed: SplitSeed, path: Path
) -> None:
    """Refuse to add runs of ``split_seed`` to a folder whose records of ``datasets`` used another.

    Mean ± std over seeds mixing one fixed split with per-seed splits would measure neither the
    training spread nor the split spread.
    """
    wanted = set(datasets)
    for record in records:
        if record.get("dataset") not in wanted:
            continue
        saved = saved_split_seed(record.get("settings"))
        if saved != split_seed:
            raise ConfigError(
                f"{path} holds {record['dataset']} runs with split seed {saved!r} and these would use "
                f"{split_seed!r}; the splits must not mix: rerun with {_flag(saved)}, or use another "
                "output folder."
            )
