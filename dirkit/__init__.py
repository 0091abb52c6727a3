"""dirkit: deep imbalanced regression in PyTorch.

The subpackages follow the data flow, each usable on its own:

========================  ===================================================================
``dirkit.datasets``       loaders returning train / val / test splits (``synthetic`` built in)
``dirkit.labels``         continuous labels -> fine bins, groups, hierarchies, shot regions
``dirkit.density``        bin counts -> smoothed label density (LDS) -> sample weights
``dirkit.resampling``     SMOTER, SMOGN, random and noise samplers with ``fit_resample``
``dirkit.nn``             backbones (MLP, ResNet, BiLSTM), FDS, regression / group / hierarchical heads
``dirkit.losses``         regression, focal, balanced-MSE, soft-label, ranking and contrastive losses
``dirkit.methods``        recipes of the papers, composable with ``+`` ("sqinv+lds+fds")
``dirkit.engine``         the training loop, callbacks and ``run_experiment``
``dirkit.estimator``      ``DIRRegressor`` (any method on tabular X), ``DIRWeightedRegressor``
``dirkit.bench``          resumable benchmark runner, results tables (Markdown) and plots
``dirkit.metrics``        MAE / MSE / GM / Pearson / Spearman / bMAE, overall and per shot
``dirkit.exceptions``     the error and warning types dirkit raises
========================  ===================================================================

Subpackages are imported on first use, so ``dirkit.labels``, ``dirkit.density`` and
``dirkit.resampling`` work without loading PyTorch; ``dirkit.DIRRegressor`` loads
``dirkit.estimator`` (and PyTorch) when first accessed.
"""

from __future__ import annotations

import importlib

# Not `from typing import TYPE_CHECKING`: the `dirkit` command imports this package before it
# can catch Ctrl-C (dirkit._entry), so it imports as little as it can (mypy reads this as True).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dirkit.estimator import DIRRegressor, DIRWeightedRegressor

__version__ = "0.1.0"

_SUBPACKAGES = (
    "bench",
    "datasets",
    "density",
    "engine",
    "estimator",
    "exceptions",
    "labels",
    "losses",
    "methods",
    "metrics",
    "nn",
    "resampling",
)

_LAZY_NAMES = {  # name -> module that defines it
    "DIRRegressor": "dirkit.estimator",
    "DIRWeightedRegressor": "dirkit.estimator",
}

__all__ = ["DIRRegressor", "DIRWeightedRegressor", "__version__", *_SUBPACKAGES]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"dirkit.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'dirkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
