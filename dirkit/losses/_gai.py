"""Balanced MSE, GMM-based analytical integration (GAI; Ren et al., CVPR 2022)."""

from __future__ import annotations

import math
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

__all__ = ["GAILoss", "gai_loss"]


@fill_doc
@validate_params({"reduction": [OneOf(REDUCTIONS)]})
def gai_loss(
    pred: Tensor,
    target: Tensor,
    *,
    gmm_means: Tensor,
    gmm_variances: Tensor,
    gmm_weights: Tensor,
    noise_sigma: float | Tensor = 1.0,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Balanced MSE with the training label density given by a Gaussian mixture.

    Per sample: ``-log N(target; pred, s2) + log sum_k phi_k N(pred; mu_k, v_k + s2)`` with
    ``s2 = sigma^2``, multiplied by ``2 s2`` (detached). This is the exact negative log of the
    paper's balanced likelihood; the reference code drops the ``0.5 * log(2 pi)`` of the first
    term, a constant that changes neither gradients nor the optimum.

    Parameters
    ----------
    pred : Tensor of shape (N,) or (N, 1)
        Predictions.
    target : Tensor of shape (N,) or (N, 1)
        Regression targets.
    gmm_means, gmm_variances, gmm_weights : Tensor of shape (K,)
        Mixture of the training labels: means, variances (positive) and weights (non-negative;
        divided by their sum). :meth:`GAILoss.from_labels` fits them.
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
    >>> one = torch.ones(1)
    >>> gai_loss(torch.zeros(1), torch.zeros(1), gmm_means=0 * one, gmm_variances=one,
    ...          gmm_weights=one, noise_sigma=1.0)
    tensor(-0.6931)
    """
    pred, target = check_pred_target(pred, target)
    vector_weight = check_weight(weight, pred.shape[0], pred)
    means, variances, log_weights = _mixture(gmm_means, gmm_variances, gmm_weights, pred)
    variance = noise_variance(noise_sigma, pred)
    nll = (pred - target).square() / (2.0 * variance) + 0.5 * torch.log(2.0 * math.pi * variance)
    total_variance = variances + variance
    log_components = (
        log_weights
        - 0.5 * torch.log(2.0 * math.pi * total_variance)
        - (pred[:, None] - means).square() / (2.0 * total_variance)
    )
    per_sample = (nll + torch.logsumexp(log_components, dim=1)) * (2.0 * variance).detach()
    return reduce_weighted(per_sample, vector_weight, reduction)


def _mixture(means: Tensor, variances: Tensor, weights: Tensor, like: Tensor) -> tuple[Tensor, ...]:
    shapes = {"gmm_means": means.shape, "gmm_variances": variances.shape, "gmm_weights": weights.shape}
    if len(set(shapes.values())) != 1 or means.ndim != 1:
        described = ", ".join(f"{name} {tuple(shape)}" for name, shape in shapes.items())
        raise ShapeError(f"The GMM parameters must be 1-D of one common length K; got {described}.")
    weights = weights.to(like.dtype)
    log_weights = torch.log(weights) - torch.log(weights.sum())
    return means.to(like.dtype), variances.to(like.dtype), log_weights


def _check_mixture_values(means: Tensor, variances: Tensor, weights: Tensor) -> None:
    if not bool(torch.isfinite(means).all()) or not bool((variances > 0).all()):
        raise ConfigError(
            f"gmm_means must be finite and gmm_variances positive; got means {means.tolist()} "
            f"and variances {variances.tolist()}."
        )
    if bool((weights < 0).any()) or not float(weights.sum()) > 0:
        raise ConfigError(f"gmm_weights must be non-negative with a positive sum; got {weights.tolist()}.")


@LOSSES.register("balanced-mse-gai")
@fill_doc
class GAILoss(LossModule):
    """Module form of :func:`gai_loss`, holding the mixture and the noise scale sigma.

    Parameters
    ----------
    gmm_means, gmm_variances, gmm_weights : array-like of shape (K,)
        Gaussian mixture of the training labels (see :meth:`from_labels`).
    init_noise_sigma : float
        Initial sigma, on the scale of the labels.
    learn_noise : bool
        Learn sigma (add ``loss.parameters()`` to the optimiser) or keep it fixed.
    %(reduction)s

    Examples
    --------
    >>> y = torch.randn(100, generator=torch.Generator().manual_seed(0)) ** 2
    >>> loss = GAILoss.from_labels(y, n_components=2)
    >>> loss(torch.tensor([0.5, 4.5]), torch.tensor([0.0, 5.0])).shape
    torch.Size([])
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "init_noise_sigma": [Interval(float, 0, None, closed="neither")],
        "learn_noise": ["boolean"],
        "reduction": [OneOf(REDUCTIONS)],
    }
    noise_sigma: Tensor
    gmm_means: Tensor
    gmm_variances: Tensor
    gmm_weights: Tensor

    def __init__(
        self,
        gmm_means: object,
        gmm_variances: object,
        gmm_weights: object,
        *,
        init_noise_sigma: float = 1.0,
        learn_noise: bool = True,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        means, variances, weights = (
            torch.as_tensor(np.asarray(values, dtype=np.float64))
            for values in (gmm_means, gmm_variances, gmm_weights)
        )
        _mixture(means, variances, weights, like=means)  # shape checks
        _check_mixture_values(means, variances, weights)
        self.register_buffer("gmm_means", means.float())
        self.register_buffer("gmm_variances", variances.float())
        self.register_buffer("gmm_weights", weights.float())
        register_noise_sigma(self, init_noise_sigma, learn_noise)
        self.reduction = reduction

    @classmethod
    @validate_params({"n_components": [Interval(int, 1, None)], "random_state": [int, None]})
    def from_labels(
        cls,
        y: object,
        *,
        n_components: int = 8,
        random_state: int | None = 0,
        init_noise_sigma: float = 1.0,
        learn_noise: bool = True,
        reduction: Reduction = "mean",
    ) -> GAILoss:
        """Fit a ``n_components`` Gaussian mixture (paper: K=8) to training labels ``y``."""
        from sklearn.mixture import GaussianMixture

        labels = check_labels(y, min_samples=n_components)
        gmm = GaussianMixture(n_components, random_state=random_state).fit(labels[:, None])
        return cls(
            gmm.means_[:, 0],
            gmm.covariances_.reshape(-1),
            gmm.weights_,
            init_noise_sigma=init_noise_sigma,
            learn_noise=learn_noise,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
        return gai_loss(
            pred,
            target,
            gmm_means=self.gmm_means,
            gmm_variances=self.gmm_variances,
            gmm_weights=self.gmm_weights,
            noise_sigma=self.noise_sigma,
            weight=weight,
            reduction=self.reduction,
        )

    @classmethod
    def _example_init_kwargs(cls) -> dict[str, Any]:
        return {
            "gmm_means": [-3.0, 0.0, 4.0],
            "gmm_variances": [1.0, 0.5, 2.0],
            "gmm_weights": [0.2, 0.5, 0.3],
            "init_noise_sigma": 1.5,
        }

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        return random_regression_batch(n, dtype=dtype, generator=generator)
