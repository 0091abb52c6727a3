"""ConR (Keramati et al., ICLR 2024): contrastive regularisation with label-aware pushing."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from dirkit._registry import LOSSES
from dirkit._validation import (
    Interval,
    OneOf,
    validate_parameter_constraints,
    validate_params,
)
from dirkit.exceptions import ShapeError
from dirkit.losses._base import LossModule
from dirkit.losses._docs import fill_doc
from dirkit.losses._reduction import (
    REDUCTIONS,
    Reduction,
    as_sample_vector,
    check_features_labels,
    check_weight,
    reduce_weighted,
)

__all__ = ["ConRLoss", "conr_loss"]

_CONSTRAINTS: dict[str, list[object]] = {
    "window": [Interval(float, 0, None)],
    "temperature": [Interval(float, 0, None, closed="neither")],
    "push_scale": [Interval(float, 0, None)],
    "reduction": [OneOf(REDUCTIONS)],
}


@fill_doc
@validate_params(_CONSTRAINTS)
def conr_loss(
    features: Tensor,
    labels: Tensor,
    preds: Tensor,
    *,
    window: float = 1.0,
    temperature: float = 0.2,
    push_scale: float = 0.01,
    push_weight: Tensor | None = None,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """ConR loss on normalised features.

    For anchor ``i``: positives ``P_i = {j != i : |y_i - y_j| <= w}``; negatives
    ``N_i = {q : |y_i - y_q| > w and |pred_i - pred_q| <= w}`` (samples the model confuses
    with the anchor). With ``l_ij = cos(z_i, z_j) / t`` and pushing weight
    ``S_iq = eta_i * exp(e * |y_i - y_q|)``::

        L_i = -1/|P_i| sum_{j in P_i} log( exp(l_ij) /
              (sum_{p in P_i} exp(l_ip) + sum_{q in N_i} S_iq exp(l_iq)) )

    An anchor without positives or without negatives contributes 0 (ConR only regularises
    anchors whose predictions are confused with dissimilar labels); the mean still divides by N.
    An empty batch (N = 0) has loss 0, not the NaN of an empty mean.
    For two augmented views, concatenate the views and repeat labels and predictions.

    Parameters
    ----------
    features : Tensor of shape (N, D)
        Features (normalised here).
    labels : Tensor of shape (N,) or (N, 1)
        Regression labels.
    preds : Tensor of shape (N,) or (N, 1)
        The model's predictions; only used to select negatives (no gradient flows to them).
    window : float
        ``w``: the label (and prediction) similarity window.
    temperature : float
        ``t``. The default 0.2 is the paper's and the reference code's flag; that code in fact
        hard-codes 0.07, so pass ``temperature=0.07`` to reproduce it.
    push_scale : float
        ``e`` in the pushing weight.
    push_weight : Tensor of shape (N,) or (N, 1), optional
        ``eta_i``, the anchor's pushing strength (e.g. its LDS weight); ``None`` is 1. The
        reference code uses the sample weights both here and as ``weight``: pass the same
        tensor to both to reproduce it.
    %(weight)s
    %(reduction)s

    Returns
    -------
    Tensor
        A scalar, or the per-anchor losses of shape (N,) with ``reduction="none"``.

    Examples
    --------
    >>> features = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    >>> labels, preds = torch.tensor([0.0, 0.5, 3.0]), torch.tensor([0.0, 0.5, 0.2])
    >>> conr_loss(features, labels, preds, reduction="none")
    tensor([0.0071, 0.0123, 0.0000])
    """
    features, label_values = check_features_labels(features, labels, "labels")
    pred_values = as_sample_vector(preds, "preds").detach().to(features.dtype)
    if pred_values.shape[0] != features.shape[0]:
        raise ShapeError(
            f"preds must hold one prediction per sample: got shape {tuple(preds.shape)} for "
            f"features of shape {tuple(features.shape)}."
        )
    vector_weight = check_weight(weight, features.shape[0], features)
    eta = check_weight(push_weight, features.shape[0], features)
    normalised = F.normalize(features, dim=1)
    logits = normalised @ normalised.T / temperature
    label_distance = (label_values[:, None] - label_values[None, :]).abs()
    pred_distance = (pred_values[:, None] - pred_values[None, :]).abs()
    not_self = ~torch.eye(features.shape[0], dtype=torch.bool, device=features.device)
    positive = (label_distance <= window) & not_self
    negative = (label_distance > window) & (pred_distance <= window)
    log_push = push_scale * label_distance
    if eta is not None:
        log_push = log_push + torch.log(eta)[:, None]
    n_positive = positive.sum(dim=1)
    active = (n_positive > 0) & negative.any(dim=1)
    denominator_terms = torch.where(positive, logits, torch.where(negative, logits + log_push, float("-inf")))
    # Inactive rows may have no finite term; zeros keep their (unused) gradient finite.
    denominator_terms = torch.where(active[:, None], denominator_terms, 0.0)
    log_denominator = torch.logsumexp(denominator_terms, dim=1)
    log_ratio = torch.where(positive, logits - log_denominator[:, None], 0.0)
    per_anchor = torch.where(active, -log_ratio.sum(dim=1) / n_positive.clamp_min(1), 0.0)
    if reduction == "mean" and per_anchor.numel() == 0:  # nothing to regularise: 0, still a graph
        return per_anchor.sum()
    return reduce_weighted(per_anchor, vector_weight, reduction)


@LOSSES.register("conr")
@fill_doc
class ConRLoss(LossModule):
    """Module form of :func:`conr_loss`; weights and predictions are passed to ``forward``.

    Parameters
    ----------
    window : float
        Label and prediction similarity window ``w``.
    temperature : float
        ``t`` (0.2; the reference code effectively uses 0.07).
    push_scale : float
        ``e`` in the pushing weight ``eta_i * exp(e * |y_i - y_q|)``.
    %(reduction)s

    Examples
    --------
    >>> loss = ConRLoss(window=1.0)
    >>> features = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    >>> loss(features, torch.tensor([0.0, 0.5, 3.0]), torch.tensor([0.0, 0.5, 0.2]))
    tensor(0.0065)
    """

    _grad_input = "features"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _CONSTRAINTS

    def __init__(
        self,
        *,
        window: float = 1.0,
        temperature: float = 0.2,
        push_scale: float = 0.01,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        self.window, self.temperature, self.push_scale = window, temperature, push_scale
        self.reduction = reduction

    def forward(
        self,
        features: Tensor,
        labels: Tensor,
        preds: Tensor,
        weight: Tensor | None = None,
        push_weight: Tensor | None = None,
    ) -> Tensor:
        return conr_loss(
            features,
            labels,
            preds,
            window=self.window,
            temperature=self.temperature,
            push_scale=self.push_scale,
            push_weight=push_weight,
            weight=weight,
            reduction=self.reduction,
        )

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        features = torch.randn(n, 16, dtype=dtype, generator=generator)
        labels = torch.randint(0, 4, (n,), generator=generator).to(dtype)
        preds = 0.3 * torch.randn(n, dtype=dtype, generator=generator)  # confused: negatives
        return {"features": features, "labels": labels, "preds": preds}
