"""``a @ a.T`` with one matrix product in backward instead of two (contrastive losses, one process)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = ["self_gram"]


class _SelfGram(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, features: Tensor) -> Tensor:
        ctx.save_for_backward(features)
        return features @ features.T

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (features,) = ctx.saved_tensors
        symmetric = grad + grad.T
        return symmetric.to(features.dtype) @ features  # under autocast the product was lower-precision


def self_gram(features: Tensor) -> Tensor:
    """Gram matrix ``features @ features.T``; its gradient ``(G + G.T) @ features`` takes one product.

    Autograd would run two products (one per factor) and add them.

    Examples
    --------
    >>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> self_gram(x).sum().backward()
    >>> x.grad
    tensor([[ 8., 12.],
            [ 8., 12.]])
    """
    gram: Tensor = _SelfGram.apply(features)
    return gram
