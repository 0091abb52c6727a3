"""dirkit: deep imbalanced regression in PyTorch.

The subpackages follow the data flow, each usable on its own:

========================  ===================================================================
``dirkit.datasets``       loaders returning train / val / test splits (``synthetic`` built in)
``dirkit.labels``         continuous labels -> fine bins, groups, hierarchies, shot regions
``dirkit.density``        bin counts -> smoothed label density (LDS) -> sample weights
``dirkit.resampling``     SMOTER, SMOGN, random and noise samplers with ``fit_resample``
``dirkit.nn``             backbones (MLP, ResNet), FDS, regression / group / hierarchical heads
``dirkit.losses``         regression, focal, balanced-MSE, soft-label, ranking and contrastive losses
``dirkit.methods``        recipes of the papers, composable with ``+`` ("sqinv+lds+fds")
``dirkit.engine``         the training loop, callbacks and ``run_experiment``
``dirkit.metrics``        MAE / MSE / GM / Pearson / Spearman / bMAE, overall and per shot
``dirkit.exceptions``     the error and warning types dirkit raises
========================  ===================================================================

Subpackages are imported on first use, so ``dirkit.labels``, ``dirkit.density`` and
``dirkit.resampling`` work without loading PyTorch.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__version__ = "0.1.0"

_SUBPACKAGES = (
    "datasets",
    "density",
    "engine",
    "exceptions",
    "labels",
    "losses",
    "methods",
    "metrics",
    "nn",
    "resampling",
)

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name: str) -> ModuleType:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"dirkit.{name}")
    raise AttributeError(f"module 'dirkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
