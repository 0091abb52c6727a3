"""Fixed affine maps between standardised and original units, inside the model."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["LabelScale", "Standardize"]


class LabelScale(nn.Module):
    """``y = mean + std * z``: heads learn standardised outputs, losses see label units.

    Short CPU runs cannot move an output bias from 0 to a label mean of 40 with Adam's
    step size; predicting in standardised units removes that handicap for every method, while
    losses whose parameters are in label units (Focal-R's beta, BMC's sigma) keep them.

    Examples
    --------
    >>> LabelScale(40.0, 10.0)(torch.tensor([0.0, 1.0])).tolist()
    [40.0, 50.0]
    """

    mean: Tensor
    std: Tensor

    def __init__(self, mean: float, std: float) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(float(mean)))
        self.register_buffer("std", torch.tensor(float(std)))

    def forward(self, z: Tensor) -> Tensor:
        return self.mean + self.std * z


class Standardize(nn.Module):
    """``(x - mean) / std`` per input feature, with statistics of the training inputs.

    Examples
    --------
    >>> layer = Standardize(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> layer(torch.tensor([[1.0, 20.0]])).tolist()
    [[0.0, 0.0]]
    """

    mean: Tensor
    std: Tensor

    def __init__(self, x_train: np.ndarray) -> None:
        super().__init__()
        x = np.asarray(x_train, dtype=np.float64).reshape(len(x_train), -1)
        self.register_buffer("mean", torch.tensor(x.mean(axis=0), dtype=torch.float32))
        self.register_buffer("std", torch.tensor(np.maximum(x.std(axis=0), 1e-6), dtype=torch.float32))

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std
