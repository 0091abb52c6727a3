"""Scikit-learn facade: :class:`DIRRegressor` trains any dirkit method on tabular X."""

from dirkit.estimator._regressor import DIRRegressor

__all__ = ["DIRRegressor"]
