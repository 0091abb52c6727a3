"""Gather a batch from every process (features keep their gradients) for contrastive losses."""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor

from dirkit.exceptions import ShapeError

__all__ = ["gather_batch"]


def gather_batch(
    features: Tensor, labels: Tensor, *, enabled: bool = True
) -> tuple[Tensor, Tensor, Tensor]:
    """Concatenate ``features`` and ``labels`` over all processes, in rank order.

    Features are gathered with :func:`torch.distributed.nn.functional.all_gather`, whose
    backward sends each process the gradient of its own slice summed over processes; labels are
    gathered without gradients. With ``enabled=False``, on one process, or without an initialised
    process group, the inputs come back unchanged.

    Every process must pass the same batch size (use ``drop_last=True``); otherwise all
    processes raise :class:`~dirkit.exceptions.ShapeError`.

    Returns
    -------
    all_features : Tensor of shape (world_size * n, d)
    all_labels : Tensor of shape (world_size * n,)
    anchor_columns : Tensor of shape (n,)
        Where this process's samples sit in the gathered batch.

    Examples
    --------
    >>> all_features, all_labels, columns = gather_batch(torch.ones(3, 2), torch.zeros(3))
    >>> tuple(all_features.shape), columns.tolist()  # one process: unchanged
    ((3, 2), [0, 1, 2])
    """
    n_local = features.shape[0]
    if not enabled or not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return features, labels, torch.arange(n_local, device=features.device)
    from torch.distributed.nn.functional import all_gather

    world_size, rank = dist.get_world_size(), dist.get_rank()
    sizes = [torch.zeros(1, dtype=torch.long, device=features.device) for _ in range(world_size)]
    dist.all_gather(sizes, torch.tensor([n_local], device=features.device))
    if len({int(size) for size in sizes}) != 1:
        raise ShapeError(
            f"Gathering a contrastive batch needs the same batch size on every process; got "
            f"{[int(size) for size in sizes]}. Use drop_last=True in the DataLoader."
        )
    all_features = torch.cat(all_gather(features.contiguous()), dim=0)
    label_parts = [torch.empty_like(labels) for _ in range(world_size)]
    dist.all_gather(label_parts, labels.contiguous())
    anchor_columns = rank * n_local + torch.arange(n_local, device=features.device)
    return all_features, torch.cat(label_parts, dim=0), anchor_columns
