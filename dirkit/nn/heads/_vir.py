"""VIR's head (Wang & Wang, NeurIPS 2023): a smoothed variational code and a conjugate NIG output.

``features -> q(z|x) = N(mu, var) -> probabilistic smoothing over label bins -> z -> (ybar, n, omega)``.
The predictor outputs the sufficient statistics of a normal-inverse-gamma posterior: a pseudo
observation mean ``ybar``, a pseudo-count ``n`` and a scale ``omega``; :func:`conjugate_nig` turns
them into NIG parameters, scaling the pseudo-count by each training sample's importance weight
(the "probabilistic re-weighting" of VIR's sec. 3.3).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dirkit._validation import Interval, validate_parameter_constraints
from dirkit.nn._checks import check_features
from dirkit.nn._probabilistic_smoothing import ProbabilisticSmoothing

__all__ = ["VIRHead", "conjugate_nig"]


class VIRHead(nn.Module):
    """Variational encoder, :class:`~dirkit.nn.ProbabilisticSmoothing` and a conjugate NIG predictor.

    ``mu, var`` come from one linear layer (``var = softplus + 1e-6``, the release's
    ``Conv2DNormal``); the smoothing layer re-colours them with neighbouring bins' statistics in
    training; ``z = mu + sqrt(var) * eps`` in training (torch's global generator) and ``z = mu``
    in eval mode; one linear layer maps ``z`` to ``ybar``, ``n = softplus + min_count`` and
    ``omega = softplus + 1e-6`` (the release's ``ConjugatePrior``: pseudo-counts of at least 2).

    :class:`~dirkit.nn.DIRModel` passes the batch's bin ids to heads with ``takes_bins = True``.

    Parameters
    ----------
    in_features : int
        Feature size ``d``.
    n_bins : int
        Number of label bins of the smoothing layer.
    latent_dim : int, optional
        Size of ``z``; default ``d``.
    smoothing : dict, optional
        Keyword arguments of :class:`~dirkit.nn.ProbabilisticSmoothing`.
    min_count : float
        Floor of the pseudo-count ``n`` (release: 2).

    Examples
    --------
    >>> head = VIRHead(8, n_bins=5).eval()
    >>> out = head(torch.zeros(3, 8))
    >>> sorted(out), out["count"].min().item() >= 2
    (['count', 'mu', 'omega', 'var', 'ybar'], True)
    """

    takes_bins: ClassVar[bool] = True

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "in_features": [Interval(int, 1, None)],
        "n_bins": [Interval(int, 1, None)],
        "latent_dim": [Interval(int, 1, None), None],
        "smoothing": [dict, None],
        "min_count": [Interval(float, 0, None)],
    }

    def __init__(
        self,
        in_features: int,
        n_bins: int,
        *,
        latent_dim: int | None = None,
        smoothing: dict[str, Any] | None = None,
        min_count: float = 2.0,
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), "VIRHead")
        self.in_features, self.min_count = in_features, min_count
        self.latent_dim = in_features if latent_dim is None else latent_dim
        self.encoder = nn.Linear(in_features, 2 * self.latent_dim)
        self.smoothing = ProbabilisticSmoothing(self.latent_dim, n_bins, **(smoothing or {}))
        self.predictor = nn.Linear(self.latent_dim, 3)

    def forward(
        self, features: Tensor, bins: Tensor | None = None, *, epoch: int | None = None
    ) -> dict[str, Tensor]:
        """Return ``ybar, count, omega`` of shape (N,) and the smoothed ``mu, var`` of shape (N, k)."""
        check_features(features, self.in_features, "VIRHead")
        mu, raw_var = self.encoder(features).chunk(2, dim=1)
        mu, var = self.smoothing(mu, F.softplus(raw_var) + 1e-6, bins, epoch=epoch)
        z = mu + var.sqrt() * torch.randn_like(mu) if self.training else mu
        ybar, raw_count, raw_omega = self.predictor(z).unbind(dim=1)
        count = F.softplus(raw_count) + self.min_count
        return {"ybar": ybar, "count": count, "omega": F.softplus(raw_omega) + 1e-6, "mu": mu, "var": var}


def conjugate_nig(
    ybar: Tensor,
    count: Tensor,
    omega: Tensor,
    *,
    weight: Tensor | None = None,
    prior_nu: float = 0.0,
    prior_alpha: float = 0.3,
) -> Tensor:
    """NIG parameters of shape (N, 4) from VIR's pseudo-observations, with re-weighted pseudo-counts.

    ``gamma = ybar``, ``nu = prior_nu + w n``, ``alpha = prior_alpha + w n / 2``, ``beta = omega``,
    where ``w`` is the sample's importance weight in training and 1 otherwise (the release's
    ``get_normal_output``; its prior is ``nu_0 = 0``, ``alpha_0 = 0.3``).

    Examples
    --------
    >>> one = torch.ones(1)
    >>> conjugate_nig(one, 4 * one, one, weight=0.5 * one).tolist()
    [[1.0, 2.0, 1.2999999523162842, 1.0]]
    """
    scaled = count if weight is None else count * weight.to(count.dtype)
    return torch.stack([ybar, prior_nu + scaled, prior_alpha + 0.5 * scaled, omega], dim=1)
