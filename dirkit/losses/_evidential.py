"""Deep evidential regression (Amini et al., NeurIPS 2020): the NIG likelihood plus an evidence penalty.

A head predicts the four parameters ``(gamma, nu, alpha, beta)`` of a normal-inverse-gamma (NIG)
prior over the mean and variance of a Gaussian likelihood; integrating them out leaves a
Student-t marginal whose negative log-likelihood is :func:`nig_nll`. The regulariser
``|y - gamma| * (2 nu + alpha)`` removes evidence from samples with large errors.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from dirkit._registry import LOSSES
from dirkit._validation import Interval, OneOf, validate_parameter_constraints, validate_params
from dirkit.exceptions import ShapeError
from dirkit.losses._base import LossModule
from dirkit.losses._docs import fill_doc
from dirkit.losses._reduction import REDUCTIONS, Reduction, as_sample_vector, check_weight, reduce_weighted

__all__ = ["EvidentialRegressionLoss", "evidential_regression_loss", "nig_nll", "split_nig"]

_CONSTRAINTS: dict[str, list[object]] = {
    "lam": [Interval(float, 0, None)],
    "reduction": [OneOf(REDUCTIONS)],
}


def split_nig(pred: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Split NIG parameters ``pred`` of shape (N, 4) into ``gamma, nu, alpha, beta``, each (N,).

    Raises :class:`~dirkit.exceptions.ShapeError` for another shape and ``ValueError`` when
    ``nu <= 0``, ``alpha <= 0`` or ``beta <= 0``, where the likelihood is undefined.
    (:class:`~dirkit.nn.heads.NIGHead` also keeps ``alpha > 1``, so that the aleatoric variance
    ``beta / (alpha - 1)`` exists; VIR's modulated pseudo-counts may give ``alpha`` below 1.)

    Parameters
    ----------
    pred : Tensor of shape (N, 4)

    Examples
    --------
    >>> gamma, nu, alpha, beta = split_nig(torch.tensor([[0.5, 1.0, 2.0, 3.0]]))
    >>> gamma.tolist(), beta.tolist()
    ([0.5], [3.0])
    """
    if not isinstance(pred, Tensor) or pred.ndim != 2 or pred.shape[1] != 4 or pred.shape[0] == 0:
        shape = tuple(pred.shape) if isinstance(pred, Tensor) else type(pred).__name__
        raise ShapeError(
            f"NIG parameters must have shape (N, 4) holding (gamma, nu, alpha, beta) with N >= 1; "
            f"got {shape}. Use dirkit.nn.heads.NIGHead as the head."
        )
    gamma, nu, alpha, beta = pred.unbind(dim=1)
    valid = torch.stack([(nu > 0).all(), (alpha > 0).all(), (beta > 0).all()])
    if not bool(valid.all()):  # one sync
        raise ValueError(
            "NIG parameters need nu > 0, alpha > 0 and beta > 0; got "
            f"min nu {float(nu.min()):.3g}, min alpha {float(alpha.min()):.3g}, min beta "
            f"{float(beta.min()):.3g}. Map raw outputs with softplus (dirkit.nn.heads.NIGHead)."
        )
    return gamma, nu, alpha, beta


def nig_nll(target: Tensor, gamma: Tensor, nu: Tensor, alpha: Tensor, beta: Tensor) -> Tensor:
    """Per-sample negative log-likelihood of ``target`` under the NIG marginal (Amini et al. eq. 8).

    ``0.5 log(pi / nu) - alpha log(Omega) + (alpha + 1/2) log(nu (y - gamma)^2 + Omega)
    + log Gamma(alpha) - log Gamma(alpha + 1/2)`` with ``Omega = 2 beta (1 + nu)``: the negative
    log-density of the Student-t ``St(y; gamma, beta (1 + nu) / (nu alpha), 2 alpha)``.

    Parameters
    ----------
    target : Tensor of shape (N,)
    gamma, nu, alpha, beta : Tensor of shape (N,)
        NIG parameters, ``nu, alpha, beta > 0``.

    Returns
    -------
    Tensor of shape (N,)

    Examples
    --------
    >>> one = torch.ones(1)
    >>> nig_nll(torch.zeros(1), torch.zeros(1), one, 2 * one, one).round(decimals=4)
    tensor([0.9808])
    """
    omega = 2.0 * beta * (1.0 + nu)
    return (
        0.5 * torch.log(math.pi / nu)
        - alpha * torch.log(omega)
        + (alpha + 0.5) * torch.log(nu * (target - gamma).square() + omega)
        + torch.lgamma(alpha)
        - torch.lgamma(alpha + 0.5)
    )


@fill_doc
@validate_params(_CONSTRAINTS)
def evidential_regression_loss(
    pred: Tensor,
    target: Tensor,
    *,
    lam: float = 0.01,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Deep evidential regression loss ``NLL_NIG + lam * |y - gamma| * (2 nu + alpha)`` per sample.

    The per-sample sum of both terms is multiplied by the sample weight, as the DIR tables'
    ``LDS + FDS + DER`` baseline does (VIR release, ``loss.weighted_edl_loss``).

    Parameters
    ----------
    pred : Tensor of shape (N, 4)
        NIG parameters ``(gamma, nu, alpha, beta)`` with ``nu, alpha, beta > 0``.
    target : Tensor of shape (N,) or (N, 1)
        Regression targets, in the units of ``gamma``.
    lam : float
        Weight of the evidence regulariser (0.01: see :class:`~dirkit.methods._der.DERConfig`).
    %(weight)s
    %(reduction)s

    Returns
    -------
    Tensor
        A scalar, or shape (N,) with ``reduction="none"``.

    Examples
    --------
    >>> pred = torch.tensor([[0.0, 1.0, 2.0, 1.0], [1.0, 1.0, 2.0, 1.0]])
    >>> evidential_regression_loss(pred, torch.zeros(2), lam=0.0, reduction="none").round(decimals=4)
    tensor([0.9808, 1.5387])
    """
    gamma, nu, alpha, beta = split_nig(pred)
    target = as_sample_vector(target, "target").to(pred.dtype)
    if target.shape[0] != pred.shape[0]:
        raise ShapeError(
            f"pred and target must hold the same samples: pred has shape {tuple(pred.shape)}, "
            f"target has shape {tuple(target.shape)}."
        )
    vector_weight = check_weight(weight, pred.shape[0], pred)
    regulariser = F.l1_loss(gamma, target, reduction="none") * (2.0 * nu + alpha)
    per_sample = nig_nll(target, gamma, nu, alpha, beta) + lam * regulariser
    return reduce_weighted(per_sample, vector_weight, reduction)


@LOSSES.register("der")
@fill_doc
class EvidentialRegressionLoss(LossModule):
    """Module form of :func:`evidential_regression_loss`; sample weights are passed to ``forward``.

    Parameters
    ----------
    lam : float
        Weight of the evidence regulariser.
    %(reduction)s

    References
    ----------
    Amini, Schwarting, Soleimany, Rus. Deep Evidential Regression. NeurIPS 2020.

    Examples
    --------
    >>> loss = EvidentialRegressionLoss(lam=0.01)
    >>> float(loss(torch.tensor([[0.0, 1.0, 2.0, 1.0]]), torch.zeros(1))) > 0
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _CONSTRAINTS

    def __init__(self, *, lam: float = 0.01, reduction: Reduction = "mean") -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), type(self).__name__)
        self.lam, self.reduction = lam, reduction

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
        return evidential_regression_loss(pred, target, lam=self.lam, weight=weight, reduction=self.reduction)

    @classmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        raw = torch.randn(n, 4, dtype=dtype, generator=generator)
        positive = F.softplus(raw[:, 1:]) + 0.1
        pred = torch.stack([raw[:, 0], positive[:, 0], positive[:, 1] + 1.0, positive[:, 2]], dim=1)
        target = raw[:, 0] + torch.randn(n, dtype=dtype, generator=generator)
        return {"pred": pred, "target": target}
