"""A linear regression head."""

from __future__ import annotations

from typing import Any, ClassVar

from torch import Tensor, nn

from dirkit._validation import Interval, validate_parameter_constraints
from dirkit.nn._checks import check_features

__all__ = ["RegressionHead"]


class RegressionHead(nn.Module):
    """Map features to real-valued predictions with one linear layer.

    Parameters
    ----------
    in_features : int
        Feature size ``d``.
    out_features : int
        Number of targets. With the default 1 the output is squeezed to shape (N,), the shape
        dirkit's losses and metrics take, so it never broadcasts against (N,) targets by mistake.

    Examples
    --------
    >>> import torch
    >>> head = RegressionHead(8)
    >>> head(torch.zeros(4, 8)).shape
    torch.Size([4])
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "in_features": [Interval(int, 1, None)],
        "out_features": [Interval(int, 1, None)],
    }

    def __init__(self, in_features: int, *, out_features: int = 1) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), "RegressionHead")
        self.in_features, self.out_features = in_features, out_features
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, features: Tensor) -> Tensor:
        """Return predictions of shape (N,) (one target) or (N, out_features)."""
        check_features(features, self.in_features, "RegressionHead")
        out = self.linear(features)
        return out.squeeze(1) if self.out_features == 1 else out
