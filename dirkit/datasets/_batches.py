"""Per-sample training tensors and the seeded global-batch sampler."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from dirkit.exceptions import ConfigError

__all__ = ["Batch", "GlobalBatchSampler", "SampleTable", "as_input_tensor"]


def as_input_tensor(x: np.ndarray | Tensor) -> Tensor:
    """Model inputs as a tensor: uint8 images stay uint8 (a quarter of the memory), the rest float32.

    The model converts uint8 images to float itself (:class:`~dirkit.methods.ImageNormalize`).

    Examples
    --------
    >>> as_input_tensor(np.zeros((2, 3, 4, 4), dtype=np.uint8)).dtype
    torch.uint8
    >>> as_input_tensor(np.zeros((2, 5))).dtype
    torch.float32
    """
    if isinstance(x, Tensor) and x.dtype == torch.uint8:
        return x
    if isinstance(x, np.ndarray) and x.dtype == np.uint8:
        return torch.as_tensor(x)
    return torch.as_tensor(np.asarray(x, dtype=np.float32))


@dataclass
class Batch:
    """One mini-batch: inputs, labels, and the per-sample extras a method prepared.

    Attributes
    ----------
    x : Tensor of shape (n, ...)
    y : Tensor of shape (n,)
    index : Tensor of shape (n,)
        Rows of the training table.
    bins : Tensor of shape (n,)
        Fine label bin of each sample (LDS, FDS, shots).
    weight : Tensor of shape (n,)
        Sample weights (all ones without re-weighting); mean 1 over the training set.
    extras : dict of str to Tensor
        Method-specific per-sample targets (groups, class ids, soft labels, ...).
    """

    x: Tensor
    y: Tensor
    index: Tensor
    bins: Tensor
    weight: Tensor
    extras: dict[str, Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.y.shape[0])


class SampleTable:
    """Every training sample's tensors, sliced into :class:`Batch` objects by row index.

    Keeping whole tensors and slicing them avoids a per-sample collate step, which dominates
    the cost of small vector models on a CPU. Inputs are stored as :func:`as_input_tensor` makes
    them: uint8 images as uint8, everything else as float32.
    """

    def __init__(
        self,
        x: np.ndarray | Tensor,
        y: np.ndarray,
        bins: np.ndarray,
        weight: np.ndarray,
        extras: Mapping[str, np.ndarray | Tensor] | None = None,
        *,
        device: str | torch.device = "cpu",
    ) -> None:
        self.x = as_input_tensor(x).to(device)
        self.y = torch.as_tensor(np.asarray(y, dtype=np.float32)).to(device)
        self.bins = torch.as_tensor(np.asarray(bins, dtype=np.int64)).to(device)
        self.weight = torch.as_tensor(np.asarray(weight, dtype=np.float32)).to(device)
        self.extras = {k: torch.as_tensor(v).to(device) for k, v in (extras or {}).items()}
        n = self.y.shape[0]
        for name, tensor in [("x", self.x), ("bins", self.bins), ("weight", self.weight),
                             *self.extras.items()]:
            if tensor.shape[0] != n:
                raise ConfigError(f"{name} has {tensor.shape[0]} rows; the labels have {n}.")

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def batch(self, index: Tensor) -> Batch:
        """The rows ``index`` as a :class:`Batch`."""
        index = index.to(self.y.device)
        return Batch(
            x=self.x[index],
            y=self.y[index],
            index=index,
            bins=self.bins[index],
            weight=self.weight[index],
            extras={k: v[index] for k, v in self.extras.items()},
        )


class GlobalBatchSampler:
    """Seeded shuffles cut into global batches; each process takes its equal slice of each.

    With ``world_size`` processes every global batch of ``batch_size`` rows is split into equal
    contiguous slices, so a distributed run sees exactly the batches a single process sees. The
    last incomplete batch is dropped when it cannot be split evenly across the processes, or
    when it would give a process a single sample (batch norm and pairwise losses need two); the
    shuffle changes every epoch, so a different sample sits out each time.

    Examples
    --------
    >>> sampler = GlobalBatchSampler(6, batch_size=4, seed=0)
    >>> [len(b) for b in sampler.epoch(0)]
    [4, 2]
    >>> first = GlobalBatchSampler(8, 4, seed=0).epoch(0)[0].tolist()
    >>> halves = [GlobalBatchSampler(8, 4, seed=0, rank=r, world_size=2).epoch(0)[0] for r in (0, 1)]
    >>> halves[0].tolist() + halves[1].tolist() == first
    True
    """

    def __init__(
        self,
        n_samples: int,
        batch_size: int,
        *,
        seed: int,
        shuffle: bool = True,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if batch_size < 1 or batch_size % world_size:
            raise ConfigError(
                f"batch_size {batch_size} must be a positive multiple of the {world_size} "
                "processes so that every process gets the same number of samples."
            )
        self.n_samples, self.batch_size, self.seed = n_samples, batch_size, seed
        self.shuffle, self.rank, self.world_size = shuffle, rank, world_size

    def epoch(self, epoch: int) -> list[Tensor]:
        """This process's batches of row indices for ``epoch``."""
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            order = torch.randperm(self.n_samples, generator=generator)
        else:
            order = torch.arange(self.n_samples)
        per_rank = self.batch_size // self.world_size
        batches = []
        for start in range(0, self.n_samples, self.batch_size):
            chunk = order[start : start + self.batch_size]
            if len(chunk) < self.batch_size:  # the trailing, incomplete batch
                share, remainder = divmod(len(chunk), self.world_size)
                if remainder or (share < 2 and start > 0):
                    break  # uneven across processes, or one sample each: batch norm needs two
                per_rank = share
            batches.append(chunk[self.rank * per_rank : (self.rank + 1) * per_rank])
        return batches

    def __iter__(self) -> Iterator[Tensor]:
        return iter(self.epoch(0))
