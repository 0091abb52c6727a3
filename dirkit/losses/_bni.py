"""Balanced MSE, bin-based numerical integration (BNI; Ren et al., CVPR 2022)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from dirkit._registry import LOSSES
from dirkit._validation import (
    Interval,
    OneOf,
    check_labels,
    validate_parameter_constraints,
    validate_params,
)
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.losses._base import LossModule, random_regression_batch
from dirkit.losses._docs import fill_doc
from dirkit.losses._noise import noise_variance, register_noise_sigma
from dirkit.losses._reduction import (
    REDUCTIONS,
    Reduction,
    check_pred_target,
    check_weight,
    reduce_weighted,
)

__all__ = ["BNILoss", "bni_loss"]


@fill_doc
@validate_params({"reduction": [OneOf(REDUCTIONS)]})
def bni_loss(
    pred: Tensor,
    target: Tensor,
    *,
    bin_centers: Tensor,
    bin_counts: Tensor,
    noise_sigma: float | Tensor = 1.0,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Balanced MSE with the training label density given by a histogram.

    Per sample: ``(pred - target)^2 / (2 s2) + log sum_b p_b exp(-(pred - c_b)^2 / (2 s2))``
    with ``s2 = sigma^2``, bin centres ``c_b`` and bin probabilities ``p_b = counts_b / sum``,
    multiplied by ``2 s2`` (detached). The Gaussian normalising constants of the two terms are
    equal and cancel.

    Parameters
    ----------
    pred : Tensor of shape (N,) or (N, 1)
        Predictions.
    target : Tensor of shape (N,) or (N, 1)
        Regression targets.
    bin_centers : Tensor of shape (B,)
        Centres of the label bins.
    bin_counts : Tensor of shape (B,)
        Training samples per bin (non-negative, positive sum); empty bins are allowed.
    noise_sigma : float or 0-d Tensor
        Label noise scale sigma; pass a learnable ``nn.Parameter`` to learn it.
    %(weight)s
    %(reduction)s

    Returns
    -------
    Tensor
        A scalar, or shape (N,) with ``reduction="none"``.

    Examples
    --------
    >>> bni_loss(torch.zeros(1), torch.ones(1), bin_centers=torch.tensor([0.0, 2.0]),
    ...          bin_counts=torch.tensor([1.0, 0.0]))
    tensor(1.)
    """
    pred, target = check_pred_target(pred, target)
    vector_weight = check_weight(weight, pred.shape[0], pred)
    if bin_centers.ndim != 1 or bin_centers.shape != bin_counts.shape:
        raise ShapeError(
            "bin_centers and bin_counts must be 1-D of one common length B; got shapes "
            f"{tuple(bin_centers.shape)} and {tuple(bin_counts.shape)}."
        )
    variance = noise_variance(noise_sigma, pred)
    counts = bin_counts.to(pred.dtype)
    log_probability = torch.log(counts) - torch.log(counts.sum())
    log_terms = log_probability - (pred[:, None] - bin_centers.to(pred.dtype)).square() / (2.0 * variance)
    per_sample = (pred - target).square() / (2.0 * variance) + torch.logsumexp(log_terms, dim=1)
    return reduce_weighted(per_sample * (2.0 * variance).detach(), vector_weight, reduction)


@LOSSES.register("balanced-mse-bni")
@fill_doc
class BNILoss(LossModule):
    """Module form of :func:`bni_loss`, holding the histogram and the noise scale sigma.

    Parameters
    ----------
    bin_centers, bin_counts : array-like of shape (B,)
        Training label histogram (see :meth:`from_labels`).
    init_noise_sigma : float
        Initial sigma, on the scale of the labels.
    learn_noise : bool
        Learn sigma (add ``loss.parameters()`` to the optimiser) or keep it fixed.
    %(reduction)s

    Examples
    --------
    >>> y = torch.randn(500, generator=torch.Generator().manual_seed(0)).exp()
    >>> loss = BNILoss.from_labels(y, n_bins=20, init_noise_sigma=0.5)
    >>> tuple(loss.bin_centers.shape), loss(torch.zeros(3), torch.ones(3)).ndim
    ((20,), 0)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "init_noise_sigma": [Interval(float, 0, None, closed="neither")],
        "learn_noise": ["boolean"],
        "reduction": [OneOf(REDUCTIONS)],
    }
    noise_sigma: Tensor
    bin_centers: Tensor
    bin_counts: Tensor

    def __init__(
        self,
        bin_centers: object,
        bin_counts: object,
        *,
        init_noise_sigma: float = 1.0,
        learn_noise: bool = True,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        centers = np.asarray(bin_centers, dtype=np.float64)
        counts = np.asarray(bin_counts, dtype=np.float64)
        if centers.ndim != 1 or centers.shape != counts.shape:
            raise ShapeError(
                "bin_centers and bin_counts must be 1-D of one common length B; got shapes "
                f"{centers.shape} and {counts.shape}."
            )
        if not np.isfinite(centers).all() or (counts < 0).any() or not counts.sum() > 0:
            raise ConfigError(
                "bin_centers must be finite and bin_counts non-negative with a positive sum; "
                f"got counts {counts.tolist()}."
            )
        self.register_buffer("bin_centers", torch.as_tensor(centers).float())
        self.register_buffer("bin_counts", torch.as_tensor(counts).float())
        register_noise_sigma(self, init_noise_sigma, learn_noise)
        self.reduction = reduction

    @classmethod
    @validate_params({"n_bins": [Interval(int, 1, None)]})
    def from_labels(
        cls,
        y: object,
        *,
        n_bins: int = 100,
        init_noise_sigma: float = 1.0,
        learn_noise: bool = True,
        reduction: Reduction = "mean",
    ) -> BNILoss:
        """Build the histogram of training labels ``y`` with ``n_bins`` equal-width bins."""
        counts, edges = np.histogram(check_labels(y), bins=n_bins)
        return cls(
            (edges[:-1] + edges[1:]) / 2.0,
            counts,
            init_noise_sigma=init_noise_sigma,
            learn_noise=learn_noise,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
        return bni_loss(
            pred,
            target,
            bin_centers=self.bin_centers,
            bin_counts=self.bin_counts,
            noise_sigma=self.noise_sigma,
            weight=weight,
            reduction=self.reduction,
        )

    @classmethod
    def _example_init_kwargs(cls) -> dict[str, Any]:
        centers = torch.linspace(-6.0, 6.0, 13)
        counts = (40.0 * torch.exp(-0.5 * (centers - 2.0) ** 2)).round()  # empty bins at the ends
        return {"bin_centers": centers, "bin_counts": counts, "init_noise_sigma": 1.5}

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        return random_regression_batch(n, dtype=dtype, generator=generator)
