"""The ``--split-seed`` option of ``dirkit train``, ``bench``, ``predict`` and ``evaluate`` (no torch)."""

from __future__ import annotations

import argparse

__all__ = ["SPLIT_SEED_HELP", "split_seed_option"]

_MAX_SEED = 2**32 - 1

SPLIT_SEED_HELP = (
    "seed of the train/val/test split of the csv and tabular-ir data sets, separate from the "
    "training seed (default 0: one split for every seed, so the +- over seeds is the training "
    "spread, as in the DIR protocol); per-seed seeds each run's split with its training seed "
    "(as before this option existed; results folders made before it hold such runs)"
)


def split_seed_option(text: str) -> int | str:
    """``per-seed`` or a seed in ``0..2**32 - 1`` (the type of ``--split-seed``).

    Examples
    --------
    >>> split_seed_option("3"), split_seed_option("per-seed")
    (3, 'per-seed')
    """
    if text == "per-seed":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a seed (0, 1, ...) or per-seed; got {text!r}") from None
    if not 0 <= value <= _MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"split seed {text} out of range; seeds are integers in 0..{_MAX_SEED}"
        )
    return value
