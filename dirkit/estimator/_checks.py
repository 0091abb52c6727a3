"""The scikit-learn estimator checks a dirkit estimator is expected to fail, with the reasons."""

from __future__ import annotations

__all__ = ["expected_failed_checks"]


def expected_failed_checks(estimator: object) -> dict[str, str]:
    """``{check name: reason}`` for the scikit-learn checks that ``estimator`` fails by design.

    Since scikit-learn 1.6 an estimator no longer declares its expected failures in its tags; the
    caller passes them to ``check_estimator(..., expected_failed_checks=...)`` or to
    ``parametrize_with_checks(..., expected_failed_checks=...)``, which takes this function as is.
    Without them ``check_estimator(DIRRegressor())`` reports the sample-weight equivalence check
    as a failure.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from dirkit.estimator import DIRRegressor, DIRWeightedRegressor
    >>> sorted(expected_failed_checks(DIRRegressor()))
    ['check_sample_weight_equivalence_on_dense_data']
    >>> expected_failed_checks(DIRWeightedRegressor(Ridge()))
    {}

    ``check_estimator(est, expected_failed_checks=expected_failed_checks(est))`` then passes.
    """
    return dict(getattr(type(estimator), "_xfail_checks", {}))
