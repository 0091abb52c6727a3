"""``DIRWeightedRegressor``: dirkit's label-density weights for any scikit-learn regressor."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from dirkit._validation import Interval, OneOf, check_labels, validate_parameter_constraints
from dirkit.density import LDSWeights
from dirkit.density._kernels import KERNELS
from dirkit.exceptions import ConfigError
from dirkit.labels import UniformBinner

__all__ = ["DIRWeightedRegressor"]


class DIRWeightedRegressor(MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    """Fit a scikit-learn regressor with dirkit's inverse label-density sample weights.

    The re-weighting half of the DIR paper (Yang et al., ICML 2021) for estimators that are not
    neural networks: the training labels are binned, their per-bin count (or its square root,
    SQINV) is smoothed by the LDS kernel, and each row is weighted by the inverse of its bin's
    value, so rare labels weigh more. The weights reach ``estimator.fit`` as ``sample_weight``;
    no PyTorch is involved.

    Parameters
    ----------
    estimator : regressor, optional
        A scikit-learn regressor whose ``fit`` takes ``sample_weight``; cloned before fitting.
        Defaults to ``HistGradientBoostingRegressor()``.
    reweight : {"sqrt_inv", "inverse", "none"}, default="sqrt_inv"
        SQINV (the paper's default with LDS), INV, or no re-weighting.
    lds : bool, default=True
        Smooth the per-bin values with the LDS kernel before inverting them.
    kernel, ks, sigma : default "gaussian", 5, 2.0
        The LDS window, as in :class:`~dirkit.density.LDSWeights`.
    clip : tuple of (float, float), optional
        Clip the per-bin counts to ``[low, high]`` first (``(5, 1000)`` in the paper's INV runs).
    n_bins : int, default=100
        Label bins over ``[min(y), max(y)]`` of the rows with positive weight.
    bin_width : float, optional
        Bin width instead of ``n_bins`` (``1.0`` for integer ages); replaces ``n_bins``.

    Attributes
    ----------
    estimator_ : regressor
        The fitted clone of ``estimator``.
    weights_ : LDSWeights
        The fitted density weights (``weights_.bin_weights_`` per bin, ``weights_.binner_``).
    sample_weight_ : ndarray of shape (n_samples,)
        The weights passed to ``estimator_.fit``: the density weight times the given
        ``sample_weight``, summing to the sum of ``sample_weight`` (to ``n_samples`` without it).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names (a pandas DataFrame).

    Notes
    -----
    A given ``sample_weight`` counts in the label histogram (a weight of 2 acts as a repeated
    row, 0 as a removed one: the bins span the labels of rows with positive weight) and
    multiplies the density weights. ``X`` reaches the estimator as
    given (a DataFrame stays one), so NaN, sparse or categorical inputs work where the estimator
    takes them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2)); y = np.exp(X[:, 0]) + rng.normal(0, 0.1, size=300)
    >>> reg = DIRWeightedRegressor(Ridge(), reweight="sqrt_inv", lds=True).fit(X, y)
    >>> reg.predict(X[:3]).shape, round(float(reg.sample_weight_.mean()), 6)
    ((3,), 1.0)
    >>> bool(reg.sample_weight_[y.argmax()] > reg.sample_weight_[np.argmin(np.abs(y - np.median(y)))])
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "reweight": [OneOf(("none", "inverse", "sqrt_inv"))],
        "lds": ["boolean"],
        "kernel": [OneOf(KERNELS)],
        "ks": [Interval(int, 1, None)],
        "sigma": [Interval(float, 0, None, closed="neither")],
        "clip": [tuple, list, None],
        "n_bins": [Interval(int, 1, None)],
        "bin_width": [Interval(float, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        estimator: Any = None,
        *,
        reweight: str = "sqrt_inv",
        lds: bool = True,
        kernel: str = "gaussian",
        ks: int = 5,
        sigma: float = 2.0,
        clip: tuple[float, float] | None = None,
        n_bins: int = 100,
        bin_width: float | None = None,
    ) -> None:
        self.estimator = estimator
        self.reweight = reweight
        self.lds = lds
        self.kernel = kernel
        self.ks = ks
        self.sigma = sigma
        self.clip = clip
        self.n_bins = n_bins
        self.bin_width = bin_width

    def _estimator(self) -> Any:
        if self.estimator is not None:
            return self.estimator
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor()

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **fit_params: Any) -> DIRWeightedRegressor:
        """Weight the rows by their inverse label density and fit a clone of ``estimator``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights; they count in the label histogram and multiply the
            density weights.
        **fit_params
            Passed on to ``estimator.fit``.
        """
        validate_parameter_constraints(self._parameter_constraints, vars(self), type(self).__name__)
        base = self._estimator()
        if not has_fit_parameter(base, "sample_weight"):
            raise ConfigError(
                f"{type(base).__name__}.fit takes no sample_weight, so DIRWeightedRegressor cannot "
                "weight it; choose a regressor whose fit has a sample_weight parameter "
                "(HistGradientBoostingRegressor, Ridge, RandomForestRegressor, SVR, ...)."
            )
        tags = get_tags(base).input_tags
        validate_data(
            self, X, y, accept_sparse=tags.sparse, ensure_all_finite=not tags.allow_nan,
            dtype=None, y_numeric=True,
        )
        labels = check_labels(y)
        given = np.ones(len(labels)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if given.shape != labels.shape or not np.all(np.isfinite(given)) or (given < 0).any():
            raise ConfigError(
                f"sample_weight must hold one finite, non-negative weight per row ({len(labels)}); "
                f"got shape {given.shape}."
            )
        kept = given > 0
        if not kept.any():
            raise ConfigError("sample_weight is zero for every row; give at least one row a weight > 0.")
        binner = UniformBinner(width=self.bin_width, n_bins=None if self.bin_width else self.n_bins)
        self.weights_ = LDSWeights(
            binner=binner,
            reweight=self.reweight,  # type: ignore[arg-type]
            lds=self.lds,
            kernel=self.kernel,  # type: ignore[arg-type]
            ks=self.ks,
            sigma=self.sigma,
            clip=None if self.clip is None else (float(self.clip[0]), float(self.clip[1])),
        ).fit(labels[kept], sample_weight=given[kept])
        self.sample_weight_ = np.zeros(len(labels))
        self.sample_weight_[kept] = given[kept] * self.weights_.weights_  # sums to sum(given)
        self.estimator_ = clone(base).fit(X, y, sample_weight=self.sample_weight_, **fit_params)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict with the fitted estimator."""
        check_is_fitted(self, "estimator_")
        tags = get_tags(self.estimator_).input_tags
        validate_data(
            self, X, accept_sparse=tags.sparse, ensure_all_finite=not tags.allow_nan, dtype=None,
            reset=False,
        )
        return np.asarray(self.estimator_.predict(X))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self._estimator())
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags
