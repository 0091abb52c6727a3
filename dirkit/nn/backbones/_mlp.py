"""A multilayer perceptron backbone for vector inputs (tabular data, sentence embeddings)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal

from torch import Tensor, nn

from dirkit._registry import BACKBONES
from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.exceptions import ConfigError
from dirkit.nn._checks import batch_norm_guard, check_features

__all__ = ["MLP"]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "gelu": nn.GELU,
    "relu": nn.ReLU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
}
_NORMS: dict[str, Callable[[int], nn.Module]] = {"batch": nn.BatchNorm1d, "layer": nn.LayerNorm}


@BACKBONES.register("mlp")
class MLP(nn.Module):
    """Blocks of ``Linear -> norm -> activation -> dropout``, then an optional linear projection.

    Parameters
    ----------
    in_features : int
        Input size.
    hidden : sequence of int
        Width of each hidden block; may be empty.
    feature_dim : int, optional
        Size of a final linear projection (no activation after it), e.g. the feature fed to
        FDS. Default: no projection, the features are the last block's output.
    dropout : float
        Dropout probability after each block.
    norm : {"batch", "layer"} or None
        Normalisation in each block. Batch norm needs batches of two or more in training; a
        batch of one raises :class:`~dirkit.exceptions.ShapeError` saying so.
    activation : {"relu", "gelu", "silu", "tanh"}

    Attributes
    ----------
    feature_dim : int
        Size of the output features.

    Examples
    --------
    >>> import torch
    >>> mlp = MLP(10, hidden=(32, 32), feature_dim=16)
    >>> mlp.feature_dim, mlp(torch.zeros(4, 10)).shape
    (16, torch.Size([4, 16]))
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "in_features": [Interval(int, 1, None)],
        "feature_dim": [Interval(int, 1, None), None],
        "dropout": [Interval(float, 0, 1, closed="left")],
        "norm": [OneOf(tuple(_NORMS)), None],
        "activation": [OneOf(tuple(ACTIVATIONS))],
    }

    def __init__(
        self,
        in_features: int,
        *,
        hidden: Sequence[int] = (256, 256),
        feature_dim: int | None = None,
        dropout: float = 0.0,
        norm: Literal["batch", "layer"] | None = "batch",
        activation: Literal["relu", "gelu", "silu", "tanh"] = "relu",
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), "MLP")
        widths = [int(w) for w in hidden]
        if any(w < 1 for w in widths):
            raise ConfigError(f"The 'hidden' widths of MLP must be >= 1. Got {tuple(hidden)}.")
        self.in_features, self.norm = in_features, norm
        layers: list[nn.Module] = []
        previous = in_features
        for width in widths:
            layers.append(nn.Linear(previous, width))
            if norm is not None:
                layers.append(_NORMS[norm](width))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            previous = width
        if feature_dim is not None:
            layers.append(nn.Linear(previous, feature_dim))
            previous = feature_dim
        self.layers = nn.Sequential(*layers)
        self.feature_dim = previous

    def forward(self, x: Tensor) -> Tensor:
        """Return features of shape (N, feature_dim) for inputs of shape (N, in_features)."""
        check_features(x, self.in_features, "MLP")
        with batch_norm_guard("MLP(norm='batch')"):
            return self.layers(x)
