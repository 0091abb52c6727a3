"""Deferred per-bin sums for FDS: the rows of recent batches, added to the sums in chunks.

Adding one batch's features to the per-bin sums takes a few small operations (the sum, the sum
of squares, and for full covariance a loop over the bins present for the outer products), each
paying PyTorch's per-call overhead on a few hundred rows. :class:`PendingRows` keeps the detached
features of recent batches instead and adds them in chunks of at least :data:`CHUNK_ROWS` rows,
and whenever the sums are read (``update``, ``state_dict``). The sums are the same up to float64
rounding; only when they are formed changes.
"""

from __future__ import annotations

import torch
from torch import Tensor

from dirkit.nn._fds_stats import accumulate_moments

__all__ = ["CHUNK_ROWS", "PendingRows"]

#: Rows kept before they are folded into the sums (memory: CHUNK_ROWS * d float64 values).
CHUNK_ROWS = 4096


class PendingRows:
    """Features (and bin ids) not yet added to the per-bin sums ``total`` and ``total_sq``.

    The rows are copied into one buffer of :data:`CHUNK_ROWS` rows (allocated once, in the dtype
    and on the device of the sums), so keeping a batch is a single copy and adding a chunk needs
    no concatenation and no new memory.

    Examples
    --------
    >>> total, total_sq = torch.zeros(2, 3, dtype=torch.float64), torch.zeros(2, 3, dtype=torch.float64)
    >>> pending = PendingRows()
    >>> pending.add(torch.ones(4, 3), torch.tensor([0, 0, 1, 0]), like=total)
    >>> bins, squared_norms = pending.flush(total, total_sq)
    >>> total[:, 0].tolist(), bins.tolist(), squared_norms.item()
    ([3.0, 1.0], [0, 0, 1, 0], 12.0)
    """

    def __init__(self) -> None:
        self.features: Tensor | None = None
        self.bins: Tensor | None = None
        self.rows = 0

    def fits(self, rows: int) -> bool:
        """True when ``rows`` more rows fit in the buffer (or nothing is kept yet)."""
        return self.rows == 0 or self.features is None or self.rows + rows <= self.features.shape[0]

    def add(self, features: Tensor, bins: Tensor, *, like: Tensor) -> None:
        """Copy a batch into the buffer, converted to the dtype and device of ``like`` (the sums).

        The caller flushes first when the batch does not :meth:`fits`.
        """
        n, d = features.shape
        buffer = self.features
        stale = buffer is None or (buffer.shape[0] < n or buffer.shape[1] != d
                                   or buffer.dtype != like.dtype or buffer.device != like.device)
        if stale and self.rows == 0:
            buffer = self.features = like.new_empty(max(CHUNK_ROWS, n), d)
            self.bins = torch.empty(buffer.shape[0], dtype=torch.long, device=like.device)
        assert buffer is not None and self.bins is not None
        buffer[self.rows:self.rows + n].copy_(features.detach())
        self.bins[self.rows:self.rows + n].copy_(bins)
        self.rows += n

    def flush(self, total: Tensor, total_sq: Tensor) -> tuple[Tensor, Tensor] | None:
        """Add the kept rows to the sums in place and forget them.

        Returns the bin ids of the rows added and the sum of their squared norms (for
        :class:`~dirkit.nn._fds_stats.LocalRecord`), or None when no row was kept.
        """
        if not self.rows or self.features is None or self.bins is None:
            return None
        features = self.features[:self.rows].to(total.device)  # a no-op unless the sums moved
        bins = self.bins[:self.rows].to(total.device)
        self.rows = 0
        return bins, accumulate_moments(total, total_sq, features, bins, overwrite=True)

    def clear(self) -> None:
        """Forget the kept rows (the buffer is kept for the next ones)."""
        self.rows = 0
