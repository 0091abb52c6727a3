"""A variational feature bottleneck with a linear regressor on the sampled code (the DIR tables' VAE)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from dirkit._validation import Interval, validate_parameter_constraints
from dirkit.nn._checks import check_features

__all__ = ["VariationalHead"]


class VariationalHead(nn.Module):
    """Encode features as ``q(z|x) = N(mu, diag(exp(logvar)))`` and regress on ``z``.

    In training ``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)`` (the reparameterisation
    of Kingma & Welling 2014, drawn from torch's global generator like dropout); in eval mode
    ``z = mu``, so predictions are deterministic. The regressor is one linear layer.

    Parameters
    ----------
    in_features : int
        Feature size ``d``.
    latent_dim : int, optional
        Size of ``z``; default ``d``.

    Returns
    -------
    dict
        ``{"prediction": (N,), "mu": (N, k), "logvar": (N, k)}`` from ``forward``.

    Examples
    --------
    >>> head = VariationalHead(8, latent_dim=4).eval()
    >>> out = head(torch.zeros(3, 8))
    >>> out["prediction"].shape, out["mu"].shape
    (torch.Size([3]), torch.Size([3, 4]))
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "in_features": [Interval(int, 1, None)],
        "latent_dim": [Interval(int, 1, None), None],
    }

    def __init__(self, in_features: int, *, latent_dim: int | None = None) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), "VariationalHead")
        self.in_features = in_features
        self.latent_dim = in_features if latent_dim is None else latent_dim
        self.encoder = nn.Linear(in_features, 2 * self.latent_dim)
        self.regressor = nn.Linear(self.latent_dim, 1)

    def forward(self, features: Tensor) -> dict[str, Tensor]:
        check_features(features, self.in_features, "VariationalHead")
        mu, logvar = self.encoder(features).chunk(2, dim=1)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if self.training else mu
        return {"prediction": self.regressor(z).squeeze(1), "mu": mu, "logvar": logvar}
