"""Ordinal entropy (Zhang et al., ICLR 2023): spread label centres apart by label distance, tighten each.

Regression with an MSE loss learns lower-entropy features than classification; the ordinal
entropy regulariser raises the entropy of the feature space while keeping its order. With the
L2-normalised centre ``c_k`` of the features of each distinct label (or bin) ``k`` in the batch:

- diversity ``L_d = -mean_{k<l} w_kl ||c_k - c_l||``, with label distances ``w_kl = |y_k - y_l|``
  min-max scaled as ``(w - min w) / max w`` over the batch's pairs;
- tightness ``L_t = mean_i ||z_i - c_{k(i)}||^2`` over L2-normalised features ``z_i``;
- ``L_oe = lambda_d * L_d + lambda_t * L_t``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from dirkit._registry import LOSSES
from dirkit._validation import Interval, OneOf, validate_parameter_constraints, validate_params
from dirkit.exceptions import ShapeError
from dirkit.losses._base import LossModule
from dirkit.losses._reduction import as_sample_vector, check_features_labels

__all__ = ["OrdinalEntropyLoss", "ordinal_entropy_loss"]

Tightness = Literal["squared", "l2"]

_CONSTRAINTS: dict[str, list[object]] = {
    "lambda_d": [Interval(float, 0, None)],
    "lambda_t": [Interval(float, 0, None)],
    "tightness": [OneOf(("squared", "l2"))],
}


def _centres(features: Tensor, labels: Tensor, groups: Tensor | None) -> tuple[Tensor, Tensor, Tensor]:
    """Mean feature and mean label of each distinct group (label or given id), and each sample's group."""
    key = labels if groups is None else groups
    _, inverse, counts = torch.unique(key, return_inverse=True, return_counts=True)
    n_groups = counts.shape[0]
    sums = features.new_zeros(n_groups, features.shape[1]).index_add(0, inverse, features)
    label_sums = labels.new_zeros(n_groups).index_add(0, inverse, labels)
    counts = counts.to(features.dtype)
    return sums / counts[:, None], label_sums / counts, inverse


@validate_params(_CONSTRAINTS)
def ordinal_entropy_loss(
    features: Tensor,
    labels: Tensor,
    *,
    groups: Tensor | None = None,
    lambda_d: float = 1.0,
    lambda_t: float = 1.0,
    tightness: Tightness = "squared",
) -> Tensor:
    """Ordinal entropy regulariser ``lambda_d * L_d + lambda_t * L_t`` (see the module docstring).

    As in the authors' release (``OrdinalEntropy.py``): centres are means of the raw features,
    normalised afterwards; the pairwise feature distance is floored at ``1e-6`` (their
    ``clamp(min=1e-12).sqrt()``); the tightness mean skips samples at zero distance from their
    centre, which includes every sample alone in its group. A batch with one group has no
    diversity term.

    Parameters
    ----------
    features : Tensor of shape (N, D)
    labels : Tensor of shape (N,) or (N, 1)
        Regression labels.
    groups : Tensor of shape (N,), optional
        Integer group ids (dirkit passes the fine label bins); the centre of a group is the mean
        of its features and its label the mean of its labels. ``None``: one group per distinct
        label (the release; the same groups as unit bins on integer ages).
    lambda_d, lambda_t : float
        Weights of the diversity and tightness terms (release: both 1).
    tightness : {"squared", "l2"}
        Squared distance to the centre (the release's age-estimation file, default) or the
        distance itself (its depth-estimation file).

    Returns
    -------
    Tensor
        A scalar.

    Examples
    --------
    >>> z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    >>> ordinal_entropy_loss(z, torch.tensor([0.0, 1.0, 2.0]))  # diversity only: -mean(w * d)
    tensor(-0.3333)
    """
    features, label_values = check_features_labels(features, labels, "labels")
    group_ids = None
    if groups is not None:
        group_ids = as_sample_vector(groups, "groups")
        if group_ids.shape[0] != features.shape[0] or group_ids.is_floating_point():
            raise ShapeError(
                f"groups must hold one integer id per sample ({features.shape[0]}); got "
                f"shape {tuple(groups.shape)} and dtype {groups.dtype}."
            )
    centres, centre_labels, inverse = _centres(features, label_values, group_ids)
    unit_centres = F.normalize(centres, dim=1)
    loss = features.sum() * 0.0
    if unit_centres.shape[0] > 1:
        upper = torch.triu_indices(unit_centres.shape[0], unit_centres.shape[0], offset=1,
                                   device=features.device)
        gaps = unit_centres[upper[0]] - unit_centres[upper[1]]
        distance = gaps.square().sum(dim=1).clamp_min(1e-12).sqrt()
        w = (centre_labels[upper[0]] - centre_labels[upper[1]]).abs()
        w = (w - w.min()) / w.max().clamp_min(torch.finfo(w.dtype).tiny)
        loss = loss - lambda_d * (w * distance).mean()
    squared = (F.normalize(features, dim=1) - unit_centres[inverse]).square().sum(dim=1)
    kept = squared > 0
    if bool(kept.any()):
        spread = squared[kept] if tightness == "squared" else squared[kept].sqrt()
        loss = loss + lambda_t * spread.mean()
    return loss


@LOSSES.register("ordinal-entropy")
class OrdinalEntropyLoss(LossModule):
    """Module form of :func:`ordinal_entropy_loss`.

    Parameters
    ----------
    lambda_d, lambda_t : float
        Weights of the diversity and tightness terms.
    tightness : {"squared", "l2"}
        Squared distance (default) or distance to the centre.

    References
    ----------
    Zhang, Yang, Mi, Zheng, Yao. Improving Deep Regression with Ordinal Entropy. ICLR 2023.

    Examples
    --------
    >>> loss = OrdinalEntropyLoss()
    >>> z = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], requires_grad=True)
    >>> loss(z, torch.tensor([0.0, 0.0, 2.0])).backward()
    >>> bool(z.grad.abs().sum() > 0)
    True
    """

    _grad_input = "features"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _CONSTRAINTS
    _xfail_checks: ClassVar[dict[str, str]] = {
        "weight_none_equals_ones": "ordinal entropy compares group centres; it has no per-sample weights",
        "reduction_none_shape": "ordinal entropy averages over pairs of group centres, not samples",
    }

    def __init__(
        self, *, lambda_d: float = 1.0, lambda_t: float = 1.0, tightness: Tightness = "squared"
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        self.lambda_d, self.lambda_t, self.tightness = lambda_d, lambda_t, tightness

    def forward(self, features: Tensor, labels: Tensor, groups: Tensor | None = None) -> Tensor:
        return ordinal_entropy_loss(features, labels, groups=groups, lambda_d=self.lambda_d,
                                    lambda_t=self.lambda_t, tightness=self.tightness)

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        features = torch.randn(n, 8, dtype=dtype, generator=generator)
        labels = torch.randint(0, max(2, n // 2), (n,), generator=generator).to(dtype)  # repeats
        return {"features": features, "labels": labels}
