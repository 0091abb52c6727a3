"""Deferred sums of outer products for full-covariance FDS: one loop over bins per chunk of rows.

The per-bin sums of ``z z^T`` take one (d, d) product per bin present. Done per training step,
that is a Python loop over the bins of every batch; :class:`PendingOuterProducts` keeps the
detached features of recent batches instead and adds them in chunks of at least
:data:`CHUNK_ROWS` rows (and whenever the sums are read: ``update``, ``state_dict``). The sums
are the same; only when they are formed changes.
"""

from __future__ import annotations

import torch
from torch import Tensor

from dirkit.nn._fds_stats import accumulate_outer_products

__all__ = ["CHUNK_ROWS", "PendingOuterProducts"]

#: Rows kept before they are folded into the sums (memory: CHUNK_ROWS * d floats).
CHUNK_ROWS = 4096


class PendingOuterProducts:
    """Features (and bin ids) not yet added to a (B, d, d) sum of outer products.

    Examples
    --------
    >>> total = torch.zeros(2, 3, 3, dtype=torch.float64)
    >>> pending = PendingOuterProducts()
    >>> pending.add(torch.ones(4, 3, dtype=torch.float64), torch.tensor([0, 0, 1, 0]))
    >>> pending.flush(total)
    >>> total[:, 0, 0].tolist()
    [3.0, 1.0]
    """

    def __init__(self) -> None:
        self.features: list[Tensor] = []
        self.bins: list[Tensor] = []
        self.rows = 0

    def add(self, features: Tensor, bins: Tensor) -> None:
        """Keep a batch (``features`` detached, in the dtype of the sums)."""
        self.features.append(features)
        self.bins.append(bins)
        self.rows += features.shape[0]

    def full(self) -> bool:
        return self.rows >= CHUNK_ROWS

    def flush(self, total_sq: Tensor) -> None:
        """Add the kept batches to ``total_sq`` in place and forget them."""
        if self.rows:
            features = torch.cat(self.features).to(device=total_sq.device)
            accumulate_outer_products(total_sq, features, torch.cat(self.bins).to(total_sq.device))
        self.clear()

    def clear(self) -> None:
        self.features, self.bins, self.rows = [], [], 0
