"""Input checks and the weighted reduction shared by every loss.

Convention: the weighted mean is ``mean(weight * loss)``. Sample weights in dirkit (LDS,
inverse or square-root re-weighting) are rescaled to mean 1 over the training set, so this
keeps the loss on the scale of the unweighted loss, which is what the reference LDS code does.
``sum(weight * loss) / sum(weight)`` would instead undo the re-weighting of every batch that
holds only rare (or only frequent) labels.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from dirkit.exceptions import LabelError, ShapeError

__all__ = [
    "REDUCTIONS",
    "Reduction",
    "as_sample_vector",
    "check_features_labels",
    "check_min_batch",
    "check_pred_target",
    "check_weight",
    "reduce_weighted",
]

REDUCTIONS = ("mean", "sum", "none")

Reduction = Literal["mean", "sum", "none"]


def as_sample_vector(values: Tensor, name: str) -> Tensor:
    """Return ``values`` of shape (N,) or (N, 1) as shape (N,); other shapes raise ShapeError.

    Examples
    --------
    >>> as_sample_vector(torch.zeros(3, 1), "pred").shape
    torch.Size([3])
    """
    if not isinstance(values, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(values).__name__}.")
    if values.ndim == 2 and values.shape[1] == 1:
        return values[:, 0]
    if values.ndim != 1:
        raise ShapeError(
            f"{name} must have shape (N,) or (N, 1); got {tuple(values.shape)}. "
            "Flatten one output column at a time."
        )
    return values


def check_pred_target(pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """Check that ``pred`` and ``target`` hold the same N samples; return both as shape (N,).

    ``target`` is cast to the dtype of ``pred``.

    Examples
    --------
    >>> p, t = check_pred_target(torch.zeros(4, 1), torch.ones(4))
    >>> p.shape, t.shape
    (torch.Size([4]), torch.Size([4]))
    """
    if isinstance(pred, Tensor) and isinstance(target, Tensor) and pred.shape[:1] != target.shape[:1]:
        raise ShapeError(
            f"pred and target must hold the same samples: pred has shape {tuple(pred.shape)}, "
            f"target has shape {tuple(target.shape)}."
        )
    pred_vector = as_sample_vector(pred, "pred")
    target_vector = as_sample_vector(target, "target")
    if pred_vector.shape[0] == 0:
        raise ShapeError("pred and target are empty (shape (0,)); pass at least one sample.")
    return pred_vector, target_vector.to(pred_vector.dtype)


def check_features_labels(features: Tensor, labels: Tensor, name: str) -> tuple[Tensor, Tensor]:
    """Check a feature matrix (N, D) and one label per sample; return the labels as shape (N,).

    Labels are cast to the dtype of ``features``; NaN or infinite labels raise LabelError.

    Examples
    --------
    >>> z, y = check_features_labels(torch.zeros(4, 8), torch.arange(4), "groups")
    >>> y.dtype, tuple(y.shape)
    (torch.float32, (4,))
    """
    if not isinstance(features, Tensor) or features.ndim != 2:
        shape = tuple(features.shape) if isinstance(features, Tensor) else type(features).__name__
        raise ShapeError(f"features must be a tensor of shape (N, D); got {shape}.")
    vector = as_sample_vector(labels, name)
    if vector.shape[0] != features.shape[0]:
        raise ShapeError(
            f"features and {name} must hold the same samples: features has shape "
            f"{tuple(features.shape)}, {name} has shape {tuple(labels.shape)}."
        )
    vector = vector.to(features.dtype)
    if not bool(torch.isfinite(vector).all()):
        raise LabelError(f"{name} contains NaN or infinite values; drop those samples first.")
    return features, vector


def check_weight(weight: Tensor | None, n_samples: int, like: Tensor) -> Tensor | None:
    """Return ``weight`` as shape (N,) in the dtype of ``like``, or None.

    Raises ShapeError when the weights do not hold one value per sample.
    """
    if weight is None:
        return None
    vector = as_sample_vector(weight, "weight")
    if vector.shape[0] != n_samples:
        raise ShapeError(
            f"weight must hold one value per sample: got shape {tuple(weight.shape)} "
            f"for a batch of {n_samples}."
        )
    return vector.to(like.dtype)


def check_min_batch(n_samples: int, minimum: int, loss_name: str, why: str) -> None:
    """Raise ShapeError when a batch has fewer than ``minimum`` samples, saying ``why``.

    Examples
    --------
    >>> check_min_batch(1, 2, "bmc_loss", "it contrasts samples")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dirkit.exceptions.ShapeError: bmc_loss needs a batch of at least 2 samples because it ...
    """
    if n_samples < minimum:
        raise ShapeError(
            f"{loss_name} needs a batch of at least {minimum} samples because {why}; got a batch "
            f"of {n_samples}. Use a larger batch (drop_last=True in the DataLoader avoids a "
            "short last batch)."
        )


def reduce_weighted(loss: Tensor, weight: Tensor | None, reduction: Reduction) -> Tensor:
    """Apply per-sample ``weight`` to ``loss`` of shape (N,) and reduce it.

    ``"mean"`` is ``mean(weight * loss)`` (see the module docstring for why).

    Examples
    --------
    >>> reduce_weighted(torch.tensor([1.0, 3.0]), torch.tensor([0.5, 1.5]), "mean")
    tensor(2.5000)
    """
    weighted = loss if weight is None else loss * weight
    if reduction == "none":
        return weighted
    return weighted.sum() if reduction == "sum" else weighted.mean()
