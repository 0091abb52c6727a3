"""``DIRRegressor``: any registered dirkit method as a scikit-learn regressor on tabular X."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import sklearn.exceptions
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data
from torch import Tensor, nn

from dirkit._validation import (
    Interval,
    OneOf,
    check_is_fitted,
    check_labels,
    validate_parameter_constraints,
)
from dirkit.datasets import DatasetSplits
from dirkit.engine import TrainConfig, check_method_spec, fit_method
from dirkit.estimator._data import label_bins, validation_split
from dirkit.exceptions import ConfigError, LabelError, NotFittedError, ShapeError
from dirkit.labels import UniformBinner
from dirkit.nn import DIRModel, DIROutput

__all__ = ["DIRRegressor"]

_PREDICT_BATCH = 4096


class _NotFittedError(NotFittedError, sklearn.exceptions.NotFittedError):
    """dirkit's :class:`~dirkit.exceptions.NotFittedError`, recognised by scikit-learn too."""


class DIRRegressor(RegressorMixin, BaseEstimator):
    """Train a dirkit method (``"sqinv+lds"``, ``"sqinv+lds+fds"``, ``"group-dir"``...) on tabular X.

    The model is dirkit's MLP backbone (inputs standardised inside the model) with the head,
    losses, sample weights and stages of ``method``. A seeded ``validation_fraction`` of the rows
    is held out and used only to select the best epoch; the rest trains.

    Parameters
    ----------
    method : str, default="sqinv+lds"
        Registered methods joined by ``+`` (see ``dirkit.methods.METHODS.names()``). The
        default is the DIR paper's re-weighting baseline, square-root inverse label density
        smoothed by LDS (Yang et al. 2021): cheap (one stage, no feature statistics), valid with
        every head, and it only changes the sample weights.
    method_params : dict, optional
        ``{method_name: {field: value}}`` replacing the defaults of the methods' configs,
        e.g. ``{"lds": {"sigma": 1.0}}``.
    epochs, batch_size, lr, weight_decay, hidden, feature_dim, dropout, norm
        Training settings, as in :class:`~dirkit.engine.TrainConfig` (Adam; MLP widths
        ``hidden`` then a linear projection to ``feature_dim``). A batch size that would leave
        a last batch of one row is raised by the fewest rows that avoid it.
    n_bins : int, default=100
        Fine label bins (for LDS, FDS and group methods) over ``[min(y), max(y)]`` of the
        labels passed to ``fit``, validation rows included, so none of them is clipped.
    bin_width : float, optional
        Bin width instead of ``n_bins`` (``1.0`` for integer ages); replaces ``n_bins``.
    validation_fraction : float, default=0.1
        Share of the rows held out for checkpoint selection (best validation MAE). ``0``
        trains on every row and keeps the last epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the initialisation and the batch order; an int makes
        repeated fits on CPU identical.
    device : str, default="cpu"
        Torch device to train and predict on (``"cuda"``).
    backbone : nn.Module, callable or str, optional
        Your own feature extractor instead of the MLP: a ``torch.nn.Module`` mapping a batch of
        standardised rows (N, n_features) to features (N, d), a factory called with
        ``(n_features,)`` that returns one, or a ``"module:callable"`` path to such a factory
        (see :func:`~dirkit.engine.run_experiment`). ``hidden``, ``feature_dim``, ``dropout``
        and ``norm`` then do not apply. A module instance is copied; it stays untrained.

    Attributes
    ----------
    model_ : DIRModel
        The trained model, in eval mode and in float64: it trains in float32, but float32 matrix
        products differ in the last bit between batch sizes, and a row's prediction must not
        depend on the rows predicted with it.
    binner_ : UniformBinner
        The fine bins, fitted on the training rows.
    history_ : list of dict
        One record per epoch and stage: training loss and, with validation, ``val_mae``.
    method_configs_ : dict
        Every method's config as plain values.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names (a pandas DataFrame).

    Notes
    -----
    ``sample_weight`` multiplies the method's own weights and is rescaled to mean 1 over the
    training rows; the label histogram behind LDS counts rows, not weights. Resampling methods
    (``smoter``, ``smogn``) do not take ``sample_weight``; to resample in a pipeline, put
    :class:`dirkit.resampling.SMOGN` in front of ``DIRRegressor(method="vanilla")`` in an
    ``imblearn.pipeline.Pipeline``.

    It fails one scikit-learn check by design (sample-weight equivalence: a weight of 2 is not a
    repeated row, see ``_xfail_checks``); run the checks as
    ``check_estimator(est, expected_failed_checks=dirkit.estimator.expected_failed_checks(est))``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = np.exp(X[:, 0])
    >>> reg = DIRRegressor(epochs=2, hidden=(16,), feature_dim=8, random_state=0).fit(X, y)
    >>> reg.predict(X[:4]).shape, reg.binner_.n_bins_
    ((4,), 100)
    """

    # Expected failures of sklearn's estimator checks, read by the tests (check name -> reason).
    _xfail_checks: ClassVar[dict[str, str]] = {
        "check_sample_weight_equivalence_on_dense_data": (
            "A weight of 2 is not a repeated row here, nor 0 a removed one: repeating rows "
            "changes the label histogram, hence the LDS / inverse-frequency weight of every row "
            "in that bin; it also changes the mini-batches Adam steps on and the rows the seeded "
            "validation split holds out."
        ),
    }

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "method": [str],
        "method_params": [dict, None],
        "epochs": [Interval(int, 1, None)],
        "batch_size": [Interval(int, 1, None)],
        "lr": [Interval(float, 0, None, closed="neither")],
        "weight_decay": [Interval(float, 0, None)],
        "hidden": [tuple, list],
        "feature_dim": [Interval(int, 1, None)],
        "dropout": [Interval(float, 0, 1, closed="left")],
        "norm": [OneOf(("batch", "layer")), None],
        "n_bins": [Interval(int, 1, None)],
        "bin_width": [Interval(float, 0, None, closed="neither"), None],
        "validation_fraction": [Interval(float, 0, 1, closed="left")],
        "random_state": [Interval(int, 0, 2**32 - 1), np.random.RandomState, None],
        "device": [str],
        "backbone": [nn.Module, "callable", str, None],
    }

    def __init__(
        self,
        *,
        method: str = "sqinv+lds",
        method_params: Mapping[str, Mapping[str, Any]] | None = None,
        epochs: int = 30,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        hidden: Sequence[int] = (256, 256),
        feature_dim: int = 128,
        dropout: float = 0.0,
        norm: Literal["batch", "layer"] | None = "batch",
        n_bins: int = 100,
        bin_width: float | None = None,
        validation_fraction: float = 0.1,
        random_state: int | np.random.RandomState | None = None,
        device: str = "cpu",
        backbone: nn.Module | Callable[[tuple[int, ...]], nn.Module] | str | None = None,
    ) -> None:
        self.method = method
        self.method_params = method_params
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.hidden = hidden
        self.feature_dim = feature_dim
        self.dropout = dropout
        self.norm = norm
        self.n_bins = n_bins
        self.bin_width = bin_width
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.device = device
        self.backbone = backbone

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> DIRRegressor:
        """Train ``method`` on ``(X, y)``, selecting the epoch on the held-out rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Float labels; NaN, infinite or several target columns raise
            :class:`~dirkit.exceptions.LabelError` naming the problem.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights, multiplied into the method's weights.

        Returns
        -------
        DIRRegressor
            The fitted estimator.
        """
        self._validate_params()
        if y is None:
            raise LabelError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        check_labels(y)  # names NaN / infinite values and refuses several targets
        X, y = validate_data(self, X, y, y_numeric=True, dtype=[np.float64, np.float32])
        x, labels = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.float64)
        weights = None if sample_weight is None else _row_weights(sample_weight, len(labels))
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        train, val = validation_split(len(labels), self.validation_fraction, rng,
                                      owner=type(self).__name__)
        width, label_range = label_bins(labels, n_bins=self.n_bins, bin_width=self.bin_width)
        x_train, y_train = x[train], labels[train]
        # DatasetSplits needs validation and test arrays; without validation rows they are the
        # training rows and never read (select_on_val=False). fit_method never reads test.
        x_val, y_val = (x[val], labels[val]) if len(val) else (x_train, y_train)
        data = DatasetSplits(
            name=type(self).__name__, x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val,
            x_test=x_val, y_test=y_val, bin_width=width, label_range=label_range,
        )
        if weights is not None:
            weights = _mean_one(weights[train])
        config = TrainConfig(
            epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
            weight_decay=self.weight_decay, hidden=tuple(self.hidden), feature_dim=self.feature_dim,
            dropout=self.dropout, norm=self.norm, device=self.device,
        )
        fitted = fit_method(data, self.method, seed=seed, train_config=config,
                            overrides=self.method_params, sample_weight=weights,
                            select_on_val=len(val) > 0, backbone=self.backbone)
        self.model_: DIRModel = fitted.model.double().eval()
        self._predict_output: Callable[[DIROutput], Tensor] = fitted.predict_output
        self.binner_: UniformBinner = fitted.context.binner
        self.history_: list[dict[str, Any]] = fitted.history
        self.method_configs_: dict[str, dict[str, Any]] = fitted.plan.configs
        return self

    @torch.no_grad()
    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels, float64 of shape (n_samples,).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        try:
            check_is_fitted(self, ["model_"])
        except NotFittedError as error:  # also scikit-learn's type, as its tools expect
            raise _NotFittedError(str(error)) from None
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        inputs = torch.from_numpy(np.array(X, dtype=np.float64))  # a writable copy for torch
        self.model_.eval()
        device = next(self.model_.parameters()).device
        parts = [
            self._predict_output(self.model_(inputs[i : i + _PREDICT_BATCH].to(device))).double().cpu()
            for i in range(0, len(inputs), _PREDICT_BATCH)
        ]
        return torch.cat(parts).numpy()

    def _validate_params(self) -> None:
        name = type(self).__name__
        validate_parameter_constraints(self._parameter_constraints, self.get_params(deep=False), name)
        if not all(isinstance(w, (int, np.integer)) and w >= 1 for w in self.hidden):
            raise ConfigError(
                f"The 'hidden' parameter of {name} must be a sequence of ints >= 1. "
                f"Got {self.hidden!r} instead."
            )
        check_method_spec(self.method)  # lists the registered methods for an unknown name


def _row_weights(sample_weight: Any, n_samples: int) -> np.ndarray:
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != (n_samples,):
        raise ShapeError(
            f"sample_weight must have shape ({n_samples},), one weight per row of X; "
            f"got shape {weights.shape}."
        )
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ConfigError("sample_weight must hold finite, non-negative values.")
    return weights


def _mean_one(weights: np.ndarray) -> np.ndarray:
    total = weights.sum()
    if total <= 0:
        raise ConfigError(
            "sample_weight is zero on every training row; give some rows a positive weight."
        )
    return weights * (len(weights) / total)
