"""The evidential head of deep evidential regression: features to normal-inverse-gamma parameters."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dirkit._validation import Interval, validate_parameter_constraints
from dirkit.nn._checks import check_features

__all__ = ["NIGHead", "nig_uncertainty"]


class NIGHead(nn.Module):
    """One linear layer to the NIG parameters ``(gamma, nu, alpha, beta)`` (Amini et al. 2020).

    ``gamma`` is the raw output (the prediction), ``nu = softplus + eps``,
    ``alpha = softplus + 1 + eps`` and ``beta = softplus + eps``: the ranges
    :func:`~dirkit.losses.evidential_regression_loss` needs (the authors' ``DenseNormalGamma``
    without ``eps``; ``eps`` keeps ``log(nu)`` finite when a softplus underflows).

    Parameters
    ----------
    in_features : int
        Feature size ``d``.
    eps : float
        Floor added to ``nu``, ``alpha - 1`` and ``beta``.

    Examples
    --------
    >>> head = NIGHead(8)
    >>> out = head(torch.zeros(3, 8))
    >>> out.shape, bool((out[:, 2] > 1).all())
    (torch.Size([3, 4]), True)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "in_features": [Interval(int, 1, None)],
        "eps": [Interval(float, 0, None)],
    }

    def __init__(self, in_features: int, *, eps: float = 1e-6) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), "NIGHead")
        self.in_features, self.eps = in_features, eps
        self.linear = nn.Linear(in_features, 4)

    def forward(self, features: Tensor) -> Tensor:
        """Return NIG parameters of shape (N, 4): ``gamma, nu, alpha, beta`` in that order."""
        check_features(features, self.in_features, "NIGHead")
        raw = self.linear(features)
        positive = F.softplus(raw[:, 1:]) + self.eps
        return torch.cat([raw[:, :1], positive[:, :1], positive[:, 1:2] + 1.0, positive[:, 2:]], dim=1)


def nig_uncertainty(pred: Tensor) -> tuple[Tensor, Tensor]:
    """Aleatoric ``E[sigma^2] = beta / (alpha - 1)`` and epistemic ``Var[mu] = beta / (nu (alpha - 1))``.

    Parameters
    ----------
    pred : Tensor of shape (N, 4)
        NIG parameters from :class:`NIGHead`.

    Examples
    --------
    >>> aleatoric, epistemic = nig_uncertainty(torch.tensor([[0.0, 2.0, 3.0, 4.0]]))
    >>> aleatoric.tolist(), epistemic.tolist()
    ([2.0], [1.0])
    """
    _, nu, alpha, beta = pred.unbind(dim=1)
    aleatoric = beta / (alpha - 1.0)
    return aleatoric, aleatoric / nu
