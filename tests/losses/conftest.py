"""Naive references of the ordinal contrastive objective (RnC, GCL), written from the formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch


def ordinal_contrastive_loop(logits: np.ndarray, distances: np.ndarray) -> float:
    """Pure-Python O(n^3) loop of -1/(n(n-1)) sum_i sum_{j!=i} log(s_ij / sum_{k in phi} s_ik)."""
    n = logits.shape[0]
    total = 0.0
    for i in range(n):
        for j in range(n):
            if j == i:
                continue
            denominator = sum(
                math.exp(logits[i, k]) for k in range(n) if k != i and distances[i, k] >= distances[i, j]
            )
            total -= math.log(math.exp(logits[i, j]) / denominator)
    return total / (n * (n - 1))


def ordinal_contrastive_masks(logits: torch.Tensor, distances: torch.Tensor) -> torch.Tensor:
    """Vectorised O(n^3) reference: one (n, n) mask [j, k] = d_ik >= d_ij, k != i per anchor."""
    n = logits.shape[0]
    total = logits.new_zeros(())
    for i in range(n):
        mask = distances[i][None, :] >= distances[i][:, None]
        mask[:, i] = False
        log_denominator = torch.logsumexp(logits[i][None, :].masked_fill(~mask, -math.inf), dim=1)
        log_ratio = logits[i] - log_denominator
        total = total - (log_ratio.sum() - log_ratio[i])
    return total / (n * (n - 1))


@pytest.fixture
def naive_loop():
    return ordinal_contrastive_loop


@pytest.fixture
def naive_masks():
    return ordinal_contrastive_masks
