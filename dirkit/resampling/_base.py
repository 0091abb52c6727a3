"""BaseResampler: validate, compute relevance and regions, call ``_fit_resample``, restore types."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from sklearn.base import BaseEstimator

from dirkit._validation import (
    Interval,
    OneOf,
    check_labels,
    validate_parameter_constraints,
)
from dirkit.exceptions import ConfigError, LabelError, ShapeError
from dirkit.resampling._generation import Synthetic
from dirkit.resampling._regions import Region, split_regions
from dirkit.resampling._relevance import RELEVANCE_NAMES, TAILS, compute_relevance
from dirkit.resampling._strategy import target_counts
from dirkit.resampling._table import Table, is_dataframe, read_features, write_features
from dirkit.resampling._target import relevance_source, write_target

__all__ = ["BaseResampler", "Resampled"]


@dataclass(frozen=True, eq=False)
class Resampled:
    """What ``_fit_resample`` returns: input rows to keep (repeats allowed) and synthetic rows."""

    kept: np.ndarray
    synthetic: Synthetic


def _make_rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.RandomState):  # sklearn-style: draw a seed from it
        return np.random.default_rng(random_state.randint(0, np.iinfo(np.int32).max))
    return np.random.default_rng(random_state)


class BaseResampler(BaseEstimator, abc.ABC):
    """Template for resamplers of imbalanced regression data.

    :meth:`fit_resample` validates the parameters and the data, computes the relevance of each
    target, splits the samples into rare and common regions, derives the target size of each region
    from ``sampling_strategy``, calls the abstract :meth:`_fit_resample` hook, and returns the
    result in the caller's container types. Subclasses define ``__init__`` (keyword-only,
    storing every parameter), ``_fit_resample``, and ``_mode`` ("over", "under" or "both").

    Examples
    --------
    >>> from dirkit.resampling import SMOTER
    >>> issubclass(SMOTER, BaseResampler), sorted(SMOTER().get_params())[:3]
    (True, ['categorical_features', 'k_neighbors', 'random_state'])
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "sampling_strategy": [
            list,
            tuple,
            np.ndarray,
            OneOf(("balance", "extreme")),
            Interval(float, 0, None, closed="neither"),
        ],
        "relevance": ["callable", OneOf(RELEVANCE_NAMES)],
        "tails": [OneOf(TAILS)],
        "threshold": [Interval(float, 0, 1, closed="right")],
        "relevance_target": [OneOf(("norm",)), Interval(int, 0, None)],
        "categorical_features": [list, tuple, np.ndarray, OneOf(("auto",))],
        "random_state": [Interval(int, 0, None), np.random.Generator, np.random.RandomState, None],
    }
    _mode: ClassVar[Literal["over", "under", "both"]] = "both"
    _needs_finite_features: ClassVar[bool] = True

    def __init__(
        self,
        *,
        sampling_strategy: Any = "balance",
        relevance: Any = "boxplot",
        tails: Literal["both", "high", "low"] = "both",
        threshold: float = 0.5,
        relevance_target: Literal["norm"] | int = "norm",
        categorical_features: Any = "auto",
        random_state: Any = None,
    ) -> None:
        self.sampling_strategy = sampling_strategy
        self.relevance = relevance
        self.tails = tails
        self.threshold = threshold
        self.relevance_target = relevance_target
        self.categorical_features = categorical_features
        self.random_state = random_state

    def fit_resample(self, X: Any, y: Any) -> tuple[Any, Any]:
        """Resample ``X`` and ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Features; numeric and nominal columns of any dtype.
        y : array-like, Series or DataFrame of shape (n_samples,) or (n_samples, n_outputs)
            Finite continuous targets.

        Returns
        -------
        X_resampled : same container type as X, shape (n_resampled, n_features)
            Column names and dtypes kept; integer columns rounded; a fresh RangeIndex.
        y_resampled : same container type as y, shape (n_resampled,) or (n_resampled, n_outputs)
            Float targets keep their dtype; integer targets become float64.
        """
        name = type(self).__name__
        validate_parameter_constraints(self._parameter_constraints, self.get_params(False), name)
        table = read_features(X, self.categorical_features)
        y_arr = check_labels(y, allow_multi_output=True)
        if table.n_samples != y_arr.shape[0]:
            raise ShapeError(
                f"Inputs must have the same number of samples: X has {table.n_samples} rows, "
                f"y has shape {np.shape(y)}."
            )
        if self._needs_finite_features:
            _check_finite(table, name)
        source = relevance_source(y_arr, self.relevance_target)
        phi = compute_relevance(source, self.relevance, self.tails)
        regions = split_regions(source, phi, threshold=self.threshold)
        rare = np.array([r.rare for r in regions], dtype=bool)
        _check_both_kinds(rare, phi, self.threshold)
        sizes = np.array([r.n_samples for r in regions], dtype=np.int64)
        counts = target_counts(sizes, rare, self.sampling_strategy, mode=self._mode)
        result = self._fit_resample(table, y_arr, regions, counts, _make_rng(self.random_state))
        synthetic = result.synthetic
        self.relevance_ = phi
        self.regions_ = regions
        self.sampling_strategy_ = counts
        self.sample_indices_ = np.concatenate([result.kept, synthetic.seeds])
        self.synthetic_mask_ = np.r_[
            np.zeros(result.kept.size, dtype=bool), np.ones(synthetic.seeds.size, dtype=bool)
        ]
        self.n_features_in_ = int(table.numeric.shape[1] + table.nominal.shape[1])
        if is_dataframe(X) and all(isinstance(c, str) for c in X.columns):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        X_out = write_features(X, table, result.kept, synthetic.numeric, synthetic.nominal)
        return X_out, write_target(y, y_arr, result.kept, synthetic.y)

    @abc.abstractmethod
    def _fit_resample(
        self,
        table: Table,
        y: np.ndarray,
        regions: list[Region],
        counts: np.ndarray,
        rng: np.random.Generator,
    ) -> Resampled:
        """Return the rows to keep and the synthetic rows so region ``i`` ends with ``counts[i]``."""

    @staticmethod
    def _select(
        regions: list[Region], counts: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, list[tuple[Region, int]]]:
        """Under-sample shrinking regions (without replacement); list the growing ones.

        Returns the kept input rows in input order and ``(region, n_new)`` for every region that
        must gain ``n_new`` samples.
        """
        kept: list[np.ndarray] = []
        grow: list[tuple[Region, int]] = []
        for region, count in zip(regions, counts.tolist(), strict=True):
            if count < region.n_samples:
                kept.append(rng.choice(region.indices, size=count, replace=False))
                continue
            kept.append(region.indices)
            if count > region.n_samples:
                grow.append((region, count - region.n_samples))
        return np.sort(np.concatenate(kept)), grow


def _check_finite(table: Table, name: str) -> None:
    bad = ~np.isfinite(table.numeric)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ConfigError(
            f"{name} needs finite numeric features; X has {int(bad.sum())} NaN or infinite "
            f"value(s) (first at row {row}, column {table.numeric_columns[col]}). Impute them "
            "first, or mark the column as categorical in `categorical_features`."
        )


def _check_both_kinds(rare: np.ndarray, phi: np.ndarray, threshold: float) -> None:
    if not rare.any():
        raise LabelError(
            f"no rare samples: no target has relevance >= threshold {threshold} (the largest "
            f"relevance is {phi.max():.3g}). Lower `threshold`, use tails='both', or try "
            "relevance='density'."
        )
    if rare.all():
        raise LabelError(
            f"every sample is rare at relevance threshold {threshold} (the smallest relevance is "
            f"{phi.min():.3g}), so there is nothing to balance against. Raise `threshold`."
        )
