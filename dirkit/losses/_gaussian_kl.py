"""KL divergence of a diagonal Gaussian posterior from the standard normal prior (Kingma & Welling 2014)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor

from dirkit._registry import LOSSES
from dirkit._validation import OneOf, validate_parameter_constraints, validate_params
from dirkit.exceptions import ShapeError
from dirkit.losses._base import LossModule
from dirkit.losses._docs import fill_doc
from dirkit.losses._reduction import REDUCTIONS, Reduction, check_weight, reduce_weighted

__all__ = ["GaussianKLLoss", "gaussian_kl"]

_CONSTRAINTS: dict[str, list[object]] = {"reduction": [OneOf(REDUCTIONS)]}


@fill_doc
@validate_params(_CONSTRAINTS)
def gaussian_kl(
    mu: Tensor, logvar: Tensor, *, weight: Tensor | None = None, reduction: Reduction = "mean"
) -> Tensor:
    """``KL(N(mu, diag(exp(logvar))) || N(0, I))`` per sample, summed over the latent dimensions.

    ``0.5 * sum_d (exp(logvar_d) + mu_d^2 - 1 - logvar_d)`` (Kingma & Welling 2014, appendix B).

    Parameters
    ----------
    mu, logvar : Tensor of shape (N, D)
        Posterior means and log-variances.
    %(weight)s
    %(reduction)s

    Returns
    -------
    Tensor
        A scalar, or shape (N,) with ``reduction="none"``.

    Examples
    --------
    >>> gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3))  # the prior itself
    tensor(0.)
    >>> gaussian_kl(torch.ones(1, 2), torch.zeros(1, 2))
    tensor(1.)
    """
    tensors = isinstance(mu, Tensor) and isinstance(logvar, Tensor)
    if not tensors or mu.ndim != 2 or mu.shape != logvar.shape:
        shapes = [tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__ for t in (mu, logvar)]
        raise ShapeError(f"mu and logvar must both have shape (N, D); got {shapes[0]} and {shapes[1]}.")
    vector_weight = check_weight(weight, mu.shape[0], mu)
    per_sample = 0.5 * (logvar.exp() + mu.square() - 1.0 - logvar).sum(dim=1)
    return reduce_weighted(per_sample, vector_weight, reduction)


@LOSSES.register("gaussian-kl")
@fill_doc
class GaussianKLLoss(LossModule):
    """Module form of :func:`gaussian_kl`, the KL term of a variational bottleneck (``vae``).

    Parameters
    ----------
    %(reduction)s

    Examples
    --------
    >>> GaussianKLLoss()(torch.ones(1, 2), torch.zeros(1, 2))
    tensor(1.)
    """

    _grad_input = "mu"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _CONSTRAINTS

    def __init__(self, *, reduction: Reduction = "mean") -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        self.reduction = reduction

    def forward(self, mu: Tensor, logvar: Tensor, weight: Tensor | None = None) -> Tensor:
        return gaussian_kl(mu, logvar, weight=weight, reduction=self.reduction)

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        mu = torch.randn(n, 4, dtype=dtype, generator=generator)
        return {"mu": mu, "logvar": 0.5 * torch.randn(n, 4, dtype=dtype, generator=generator)}
