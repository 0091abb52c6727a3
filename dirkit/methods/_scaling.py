"""Fixed affine maps between standardised and original units, inside the model."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from dirkit.exceptions import ShapeError

__all__ = ["ImageNormalize", "LabelScale", "Standardize", "channel_statistics"]


class LabelScale(nn.Module):
    """``y = mean + std * z``: heads learn standardised outputs, mapped back to label units.

    Short CPU runs cannot move an output bias from 0 to a label mean of 40 with Adam's
    step size; predicting in standardised units removes that handicap for every method. Where
    the loss is computed is up to the head (``TrainConfig.regression_units``); Focal-R, whose
    beta is in label units, sees label units.

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


def channel_statistics(images: np.ndarray, *, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each channel of images of shape (N, C, H, W) (float64).

    uint8 images are counted by value histograms (exact, and no float copy of the data set);
    other dtypes are summed in float64 chunks of ``chunk`` images.

    Examples
    --------
    >>> images = np.array([[[[0, 255]], [[10, 10]]]], dtype=np.uint8)  # one 2-channel 1x2 image
    >>> mean, std = channel_statistics(images)
    >>> mean.tolist(), std.tolist()
    ([127.5, 10.0], [127.5, 0.0])
    """
    x = np.asarray(images)
    if x.ndim != 4 or len(x) == 0:
        raise ShapeError(f"channel_statistics needs images of shape (N, C, H, W); got {x.shape}.")
    if x.dtype == np.uint8:
        values = np.arange(256, dtype=np.float64)
        counts = np.stack([np.bincount(x[:, c].ravel(), minlength=256) for c in range(x.shape[1])])
        n = counts.sum(axis=1)
        mean = counts @ values / n
        var = counts @ values**2 / n - mean**2
    else:
        total, squares, n = np.zeros(x.shape[1]), np.zeros(x.shape[1]), 0
        for start in range(0, len(x), chunk):
            part = x[start : start + chunk].astype(np.float64)
            total += part.sum(axis=(0, 2, 3))
            squares += (part**2).sum(axis=(0, 2, 3))
            n += part.size // x.shape[1]
        mean = total / n
        var = squares / n - mean**2
    return mean, np.sqrt(np.maximum(var, 0.0))


class ImageNormalize(nn.Module):
    """``(x - mean) / std`` per image channel, with statistics of the training images.

    Images may be stored as uint8 (0-255) to save memory: the conversion to float happens here,
    inside the model, so every input path (training batches, validation, prediction) sees the
    same normalisation.

    Examples
    --------
    >>> images = np.array([[[[0, 255]]], [[[255, 0]]]], dtype=np.uint8)  # (2, 1, 1, 2)
    >>> layer = ImageNormalize(images)
    >>> layer(torch.as_tensor(images)).tolist()
    [[[[-1.0, 1.0]]], [[[1.0, -1.0]]]]
    """

    mean: Tensor
    std: Tensor

    def __init__(self, x_train: np.ndarray) -> None:
        super().__init__()
        mean, std = channel_statistics(x_train)
        shape = (1, len(mean), 1, 1)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(shape))
        self.register_buffer("std", torch.tensor(np.maximum(std, 1e-6), dtype=torch.float32).view(shape))

    def forward(self, x: Tensor) -> Tensor:
        return (x.float() - self.mean) / self.std
