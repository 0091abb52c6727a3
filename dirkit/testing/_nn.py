"""Contract checks for heads and backbones: shapes, gradients, dtypes, batch of one, equivariance.

Each check works on a deep copy, so the module passed in is left untouched, and raises
:class:`AssertionError` with a message naming the module and the broken property.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

__all__ = ["check_backbone", "check_head"]


def _outputs(result: object, owner: str) -> list[Tensor]:
    """Flatten a module's output (tensor, sequence or mapping of tensors) into a list."""
    if isinstance(result, Tensor):
        return [result]
    if isinstance(result, dict):
        return [t for value in result.values() for t in _outputs(value, owner)]
    if isinstance(result, Sequence):
        return [t for value in result for t in _outputs(value, owner)]
    raise AssertionError(f"{owner} returned {type(result).__name__}; expected tensors.")


def _check_module(
    module: nn.Module, build: Callable[[int, torch.dtype], Tensor], n: int, owner: str
) -> list[Tensor]:
    """Shared checks; ``build(n, dtype)`` makes a batch. Returns the float32 train outputs."""
    work = copy.deepcopy(module).float().train()
    x = build(n, torch.float32)
    x.requires_grad_(True)
    outs = _outputs(work(x), owner)
    for out in outs:
        if out.shape[0] != n:
            raise AssertionError(f"{owner}: output of shape {tuple(out.shape)} lost the batch {n}.")
        if not torch.isfinite(out).all():
            raise AssertionError(f"{owner}: non-finite outputs for a random batch.")
        if out.dtype != torch.float32:
            raise AssertionError(f"{owner}: float32 input gave a {out.dtype} output.")
    if not any(out.requires_grad for out in outs):
        raise AssertionError(f"{owner}: no gradient: outputs are detached from the input.")
    torch.stack([out.float().sum() for out in outs if out.requires_grad]).sum().backward()
    if x.grad is None or not torch.isfinite(x.grad).all() or not x.grad.abs().sum() > 0:
        raise AssertionError(f"{owner}: no finite, non-zero gradient reaches the input.")
    missing = [name for name, p in work.named_parameters() if p.requires_grad and p.grad is None]
    if missing:
        raise AssertionError(f"{owner}: no gradient reaches parameters {missing[:5]}.")
    wide = copy.deepcopy(module).double().train()
    for out in _outputs(wide(build(n, torch.float64)), owner):
        if out.is_floating_point() and out.dtype != torch.float64:
            raise AssertionError(f"{owner}: float64 input gave a {out.dtype} output.")
    frozen = copy.deepcopy(module).float().eval()
    with torch.no_grad():
        one = _outputs(frozen(build(1, torch.float32)), owner)
        if any(out.shape[0] != 1 for out in one):
            raise AssertionError(f"{owner}: a batch of one in eval mode lost its batch dimension.")
        batch = build(n, torch.float32)
        perm = torch.arange(n - 1, -1, -1)
        plain, permuted = _outputs(frozen(batch), owner), _outputs(frozen(batch[perm]), owner)
        alone = _outputs(frozen(batch[:1]), owner)
        for a, b, c in zip(plain, permuted, alone, strict=True):
            same = torch.allclose(a[perm], b, rtol=1e-4, atol=1e-5)
            if not same or not torch.allclose(a[:1], c, rtol=1e-4, atol=1e-5):
                raise AssertionError(f"{owner}: eval outputs depend on the other samples.")
    return outs


def check_head(head: nn.Module, in_features: int, *, batch_size: int = 4, seed: int = 0) -> None:
    """Check a head's contract on random features of shape (batch_size, in_features).

    Outputs (a tensor, or a list or dict of tensors) keep the batch dimension and are finite;
    gradients reach the input and every trainable parameter; float32 and float64 both work; a
    batch of one works in eval mode; in eval mode each sample's output ignores the others
    (alone or in a batch, in any order).

    Examples
    --------
    >>> from dirkit.nn import RegressionHead
    >>> check_head(RegressionHead(8), in_features=8)
    """
    gen = torch.Generator().manual_seed(seed)

    def make(n: int, dtype: torch.dtype) -> Tensor:
        return torch.randn(n, in_features, generator=gen, dtype=dtype)

    _check_module(head, make, batch_size, type(head).__name__)


def check_backbone(
    backbone: nn.Module, input_shape: Sequence[int], *, batch_size: int = 4, seed: int = 0
) -> None:
    """Check a backbone's contract on random inputs of shape (batch_size, *input_shape).

    On top of :func:`check_head`'s checks: the backbone has an integer ``feature_dim`` and returns
    a single tensor of shape (batch_size, feature_dim).

    Examples
    --------
    >>> from dirkit.nn import MLP
    >>> check_backbone(MLP(6, hidden=(8,)), input_shape=(6,))
    """
    owner = type(backbone).__name__
    dim = getattr(backbone, "feature_dim", None)
    if not isinstance(dim, int) or dim < 1:
        raise AssertionError(f"{owner} needs a positive int attribute feature_dim; got {dim!r}.")
    gen = torch.Generator().manual_seed(seed)

    def make(n: int, dtype: torch.dtype) -> Tensor:
        return torch.randn(n, *input_shape, generator=gen, dtype=dtype)

    outs = _check_module(backbone, make, batch_size, owner)
    if len(outs) != 1 or tuple(outs[0].shape) != (batch_size, dim):
        shapes = [tuple(o.shape) for o in outs]
        raise AssertionError(f"{owner}: expected one output of shape {(batch_size, dim)}; got {shapes}.")
