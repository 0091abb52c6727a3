"""Training-time image augmentation in plain torch: random crop after zero padding, horizontal flip."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from dirkit.exceptions import ConfigError, ShapeError

__all__ = ["RandomCropFlip"]

_STREAM = 0x1A06  # separates the augmentation draws from every other seeded stream of a run


class RandomCropFlip:
    """Random crops of zero-padded images and random horizontal flips, drawn per sample and epoch.

    The usual augmentation of the DIR age benchmarks (``RandomCrop(size, padding)`` and
    ``RandomHorizontalFlip()``). Each training row gets its own shift and flip in each epoch from
    a generator seeded by ``(seed, epoch)``, so a run repeats exactly, the draws do not depend on
    how rows are batched or split across processes, and a run resumed at an epoch boundary
    continues with the same draws. Only the training path applies it; evaluation never does.

    Parameters
    ----------
    n_samples : int
        Rows of the training table (the ``index`` values of its batches).
    padding : int
        Zero pixels added on each side before cropping back to the original size.
    seed : int
        Seeds the draws (the engine passes the stage's sampler seed).
    flip : bool
        Also flip left-right with probability 1/2.

    Examples
    --------
    >>> augment = RandomCropFlip(4, padding=1, seed=0)
    >>> images = torch.arange(4 * 9, dtype=torch.uint8).reshape(4, 1, 3, 3)
    >>> out = augment(images, torch.arange(4), epoch=0)
    >>> out.shape, out.dtype
    (torch.Size([4, 1, 3, 3]), torch.uint8)
    >>> bool((augment(images[2:], torch.tensor([2, 3]), epoch=0) == out[2:]).all())  # per row
    True
    """

    def __init__(self, n_samples: int, *, padding: int, seed: int, flip: bool = True) -> None:
        if n_samples < 1 or padding < 0:
            raise ConfigError(
                f"RandomCropFlip needs n_samples >= 1 and padding >= 0; got {n_samples} and {padding}."
            )
        self.n_samples, self.padding, self.seed, self.flip = n_samples, padding, seed, flip
        self._epoch: int | None = None
        self._shifts = torch.zeros(0, 2, dtype=torch.int64)
        self._flips = torch.zeros(0, dtype=torch.bool)

    def draws(self, epoch: int) -> tuple[Tensor, Tensor]:
        """``(shifts, flips)`` of every row in ``epoch``: (n, 2) crop offsets in ``[0, 2 * padding]``."""
        if self._epoch != epoch:
            state = np.random.SeedSequence([_STREAM, self.seed, epoch]).generate_state(1, np.uint64)[0]
            generator = torch.Generator().manual_seed(int(state))
            self._shifts = torch.randint(0, 2 * self.padding + 1, (self.n_samples, 2), generator=generator)
            flips = torch.rand(self.n_samples, generator=generator) < 0.5
            self._flips = flips if self.flip else torch.zeros_like(flips)
            self._epoch = epoch
        return self._shifts, self._flips

    def __call__(self, x: Tensor, index: Tensor, *, epoch: int) -> Tensor:
        """The rows ``index`` of the training table, images ``x`` of shape (n, C, H, W), augmented."""
        if x.dim() != 4 or index.shape != x.shape[:1]:
            raise ShapeError(
                f"RandomCropFlip needs images (n, C, H, W) and n row indices; got {tuple(x.shape)} "
                f"and {tuple(index.shape)}."
            )
        shifts, flips = self.draws(epoch)
        rows_of_batch = index.cpu()
        shift, flip = shifts[rows_of_batch].to(x.device), flips[rows_of_batch].to(x.device)
        n, _, height, width = x.shape
        p = self.padding
        padded = F.pad(x, (p, p, p, p)) if p else x
        rows = shift[:, :1] + torch.arange(height, device=x.device)  # (n, H)
        cols = shift[:, 1:] + torch.arange(width, device=x.device)  # (n, W)
        cols = torch.where(flip[:, None], cols.flip(1), cols)  # a flipped crop reads its columns backwards
        batch = torch.arange(n, device=x.device)[:, None, None]
        out = padded[batch, :, rows[:, :, None], cols[:, None, :]]  # (n, H, W, C)
        return out.permute(0, 3, 1, 2).contiguous()
