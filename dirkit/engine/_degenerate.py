"""Detect a collapsed fit: validation predictions with a spread far below the labels'."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from dirkit.exceptions import DegenerateFitWarning

__all__ = ["SPREAD_RATIO", "check_degenerate_fit"]

SPREAD_RATIO = 0.05
"""A fit is degenerate when its predictions' std is below this fraction of the labels' std."""


_GENERIC_FIX = "rescale the target, or lower weight_decay / raise lr"


def check_degenerate_fit(
    predictions: np.ndarray,
    labels: np.ndarray,
    *,
    what: str = "the model",
    fix: str = _GENERIC_FIX,
    ratio: float = SPREAD_RATIO,
) -> dict[str, Any] | None:
    """Warn when ``predictions`` spread far less than ``labels`` (a fit collapsed to a constant).

    Parameters
    ----------
    predictions, labels : ndarray of shape (n,)
        Validation predictions and labels (never test: the check is part of training).
    what : str
        Names the run in the message (method, data set, seed).
    fix : str
        What to do about it, for the message.
    ratio : float
        Threshold on ``std(predictions) / std(labels)``.

    Returns
    -------
    dict or None
        ``{"prediction_std", "label_std", "spread_ratio", "distinct_predictions", "message"}``
        when the fit is degenerate (after emitting a :class:`DegenerateFitWarning` with the
        message), None otherwise or when the labels themselves are constant.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     found = check_degenerate_fit(np.full(4, 2.0), np.array([1.0, 2.0, 3.0, 4.0]))
    >>> found["distinct_predictions"], found["spread_ratio"]
    (1, 0.0)
    >>> check_degenerate_fit(np.array([1.1, 2.0, 2.9]), np.array([1.0, 2.0, 3.0])) is None
    True
    """
    pred = np.asarray(predictions, dtype=np.float64).ravel()
    y = np.asarray(labels, dtype=np.float64).ravel()
    label_std = float(y.std()) if len(y) > 1 else 0.0
    if label_std == 0.0 or not np.isfinite(pred).all():
        return None
    prediction_std = float(pred.std())
    spread = prediction_std / label_std
    if spread >= ratio:
        return None
    distinct = len(np.unique(pred))
    message = (
        f"{what} collapsed to a near-constant predictor: its validation predictions spread "
        f"{prediction_std:.3g} ({distinct} distinct value(s)), {spread:.2g}x the labels' std "
        f"{label_std:.3g}. Fix: {fix}."
    )
    warnings.warn(message, DegenerateFitWarning, stacklevel=2)
    return {"prediction_std": prediction_std, "label_std": label_std, "spread_ratio": spread,
            "distinct_predictions": distinct, "message": message}
