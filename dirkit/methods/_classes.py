"""Helpers shared by the classification-based recipes (reg-cls, cls, HCA, group methods)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from dirkit.exceptions import ConfigError, LabelRangeWarning
from dirkit.labels import LabelGrouper
from dirkit.methods._plan import LabelContext
from dirkit.nn import DIRModel, DIROutput

__all__ = [
    "ClassValue",
    "Grouping",
    "check_choice",
    "class_diagnostics",
    "fit_grouper",
    "map_labels",
    "outputs_in_chunks",
    "weighted_cross_entropy",
]

Grouping = Literal["uniform", "quantile"]
ClassValue = Literal["mean", "midpoint"]


def check_choice(name: str, value: object, choices: tuple[object, ...], owner: str) -> None:
    """Raise :class:`~dirkit.exceptions.ConfigError` unless ``value`` is one of ``choices``.

    Examples
    --------
    >>> check_choice("classes", "uniform", ("uniform", "balanced"), "reg-cls")
    """
    if value not in choices:
        raise ConfigError(
            f"The {name!r} setting of {owner} must be one of {', '.join(map(repr, choices))}; "
            f"got {value!r}."
        )


def fit_grouper(n_groups: int, strategy: Grouping, context: LabelContext) -> LabelGrouper:
    """Fit contiguous label groups on the training labels.

    ``"uniform"``: ``n_groups`` equal-width groups over the **training** label range,
    ``g = floor((y - y_min) / width)`` (Group-DIR's and Pintea et al.'s default).
    ``"quantile"``: histogram equalisation of the data set's fine bins (``context.binner``,
    Pintea et al. eq. 12); fewer groups may result when one bin is heavier than ``N / G``.
    """
    check_choice("grouping", strategy, ("uniform", "quantile"), "the grouping")
    if strategy == "uniform":
        grouper = LabelGrouper(n_groups, strategy="uniform")
    else:
        grouper = LabelGrouper(n_groups, strategy="quantile", binner=context.binner)
    return grouper.fit(context.y_train)


def map_labels(transform: Callable[[np.ndarray], np.ndarray], y: np.ndarray) -> np.ndarray:
    """``transform(y)`` with out-of-range labels clipped into the end classes without a warning.

    Evaluation labels outside the training range (zero-shot regions) belong to the end groups by
    definition; the clipping warning is meant for training labels.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelRangeWarning)
        return np.asarray(transform(np.asarray(y, dtype=np.float64)), dtype=np.int64)


def weighted_cross_entropy(logits: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
    """Hard-label cross-entropy, ``mean(weight * CE)`` over the batch (plain mean without weights).

    Examples
    --------
    >>> round(float(weighted_cross_entropy(torch.zeros(2, 4), torch.tensor([0, 3]))), 4)
    1.3863
    """
    per_sample = F.cross_entropy(logits, target.long(), reduction="none")
    return per_sample.mean() if weight is None else (per_sample * weight.to(per_sample)).mean()


def outputs_in_chunks(
    model: DIRModel, x: Tensor, fn: Callable[[DIROutput], Tensor], *, chunk: int = 4096
) -> Tensor:
    """``fn(model(x))`` evaluated chunk by chunk on the model's device, concatenated on the CPU."""
    device = next(model.parameters()).device
    parts = [fn(model(x[i : i + chunk].to(device))).detach().cpu() for i in range(0, len(x), chunk)]
    return torch.cat(parts) if parts else torch.empty(0)


def class_diagnostics(
    predicted: np.ndarray, true: np.ndarray, n_classes: int, *, prefix: str = "group"
) -> dict[str, object]:
    """Accuracy, confusion counts and mean class distance of class predictions.

    Returns
    -------
    dict
        ``{prefix}_accuracy`` (float), ``{prefix}_confusion`` (``n_classes`` x ``n_classes``
        nested lists of int counts, rows true, columns predicted) and
        ``mean_{prefix}_distance`` (mean ``|predicted - true|``, in classes). NaN for no samples.

    Examples
    --------
    >>> d = class_diagnostics(np.array([0, 1, 1]), np.array([0, 1, 0]), 2)
    >>> round(d["group_accuracy"], 3), d["group_confusion"], round(d["mean_group_distance"], 3)
    (0.667, [[1, 1], [0, 1]], 0.333)
    """
    pred = np.asarray(predicted, dtype=np.int64)
    truth = np.asarray(true, dtype=np.int64)
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (truth, pred), 1)
    empty = truth.size == 0
    return {
        f"{prefix}_accuracy": float("nan") if empty else float((pred == truth).mean()),
        f"{prefix}_confusion": confusion.tolist(),
        f"mean_{prefix}_distance": float("nan") if empty else float(np.abs(pred - truth).mean()),
    }
