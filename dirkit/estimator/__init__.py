"""Scikit-learn facades for tabular X.

- :class:`DIRRegressor` trains any dirkit method (a PyTorch MLP with the method's head, losses
  and weights);
- :class:`DIRWeightedRegressor` fits any scikit-learn regressor with dirkit's label-density
  (SQINV / INV, LDS) sample weights, without PyTorch;
- :func:`expected_failed_checks` gives the scikit-learn checks an estimator fails by design, for
  ``check_estimator(est, expected_failed_checks=...)``.

Each is imported on first access, so ``DIRWeightedRegressor`` does not load PyTorch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dirkit.estimator._regressor import DIRRegressor
    from dirkit.estimator._weighted import DIRWeightedRegressor

from dirkit.estimator._checks import expected_failed_checks

__all__ = ["DIRRegressor", "DIRWeightedRegressor", "expected_failed_checks"]

_MODULES = {
    "DIRRegressor": "dirkit.estimator._regressor",
    "DIRWeightedRegressor": "dirkit.estimator._weighted",
}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(_MODULES[name]), name)
    raise AttributeError(f"module 'dirkit.estimator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
