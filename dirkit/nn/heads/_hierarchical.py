"""HCA's hierarchical classifiers and the learning-free adjustments (HCA-add, HCA-mul)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn

from dirkit._validation import OneOf
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.nn._checks import check_features

__all__ = ["HierarchicalClassifier", "check_transitions", "hca_adjust"]


def check_transitions(transitions: Sequence[Tensor | np.ndarray], level_sizes: Sequence[int]) -> list[Tensor]:
    """Validate transition matrices and return the coarse ones as float tensors.

    One matrix per coarse level, shape (C_h, C_H), holding 0/1 with every column summing to 1:
    ``T[v, u] = 1`` iff fine class ``u`` lies in coarse class ``v`` (HCA, sec. 3.3). A trailing
    identity for the finest level (as ``dirkit.labels.HierarchicalSplit.transition_matrices_``
    has) is accepted and dropped. NumPy arrays are accepted.

    Examples
    --------
    >>> t = check_transitions([np.array([[1, 1, 0], [0, 0, 1]]), np.eye(3)], [2, 3])
    >>> len(t), t[0].dtype
    (1, torch.float32)
    """
    *coarse, finest = level_sizes
    mats = [torch.as_tensor(t).float() for t in transitions]
    if len(mats) == len(level_sizes) and len(mats) > 0:
        if not torch.equal(mats[-1], torch.eye(finest, device=mats[-1].device)):
            raise ConfigError(
                f"The last of {len(mats)} transition matrices must be the ({finest}, {finest}) "
                "identity of the finest level; pass only the coarse levels' matrices otherwise."
            )
        mats = mats[:-1]
    if len(mats) != len(coarse):
        raise ShapeError(
            f"Expected {len(coarse)} transition matrices (one per coarse level of "
            f"{tuple(level_sizes)}); got {len(transitions)}."
        )
    for h, (t, c_h) in enumerate(zip(mats, coarse, strict=True)):
        if tuple(t.shape) != (c_h, finest):
            raise ShapeError(
                f"Transition matrix {h} must have shape ({c_h}, {finest}); got {tuple(t.shape)}."
            )
        binary = bool(((t == 0) | (t == 1)).all())
        if not binary or not bool((t.sum(dim=0) == 1).all()):
            raise ConfigError(
                f"Transition matrix {h} must hold 0/1 with every column summing to 1 (each fine "
                "class in exactly one coarse class)."
            )
    return mats


def hca_adjust(
    logits: Sequence[Tensor],
    transitions: Sequence[Tensor | np.ndarray],
    *,
    mode: Literal["add", "mul"] = "add",
) -> Tensor:
    """Adjust the finest classifier with the coarse ones (HCA eqs. 7 and 8).

    ``"add"``: ``p_H + sum_h T_h^T p_h``; ``"mul"``: ``log p_H + sum_h T_h^T log p_h``, with
    ``p_h = softmax(logits[h])`` (``log_softmax`` for ``"mul"``, numerically safe).

    Parameters
    ----------
    logits : sequence of Tensor of shape (N, C_h)
        Per-level logits, coarsest first, finest (``C_H``) last.
    transitions : sequence of Tensor or ndarray of shape (C_h, C_H)
        One per coarse level (a trailing finest-level identity is allowed).
    mode : {"add", "mul"}

    Returns
    -------
    Tensor of shape (N, C_H)
        Adjusted scores; their argmax is the predicted fine class.

    Examples
    --------
    >>> t = torch.tensor([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])  # 2 coarse, 4 fine
    >>> coarse, fine = torch.tensor([[0.0, 5.0]]), torch.tensor([[1.0, 0.0, 0.0, 0.9]])
    >>> int(fine.argmax()), int(hca_adjust([coarse, fine], [t], mode="add").argmax())
    (0, 3)
    """
    if mode not in ("add", "mul"):
        raise ConfigError(
            f"The 'mode' parameter of hca_adjust must be {OneOf(('add', 'mul'))}. Got {mode!r} instead."
        )
    coarse = check_transitions(transitions, [lg.shape[1] for lg in logits])
    norm = torch.softmax if mode == "add" else torch.log_softmax
    scores = norm(logits[-1], dim=1)
    for level_logits, t in zip(logits[:-1], coarse, strict=True):
        scores = scores + norm(level_logits, dim=1) @ t.to(scores)
    return scores


class HierarchicalClassifier(nn.Module):
    """One linear classifier per level of a label hierarchy (HCA, Xiong & Yao 2024).

    Train with the sum of the levels' cross-entropies (HCA eq. 6); predict with
    :meth:`predict` (HCA-add / HCA-mul, or the finest head alone).

    Parameters
    ----------
    in_features : int
        Feature size ``d``.
    level_sizes : sequence of int
        Classes per level, coarsest first (HCA: ``2, 4, ..., 2^(H-1)``), finest ``C_H`` last.
    transitions : sequence of Tensor or ndarray of shape (C_h, C_H), optional
        Default transition matrices for :meth:`predict`, stored as buffers (e.g.
        ``HierarchicalSplit(...).fit(y).transition_matrices_``).

    References
    ----------
    Xiong, Yao. Deep Imbalanced Regression via Hierarchical Classification Adjustment. CVPR 2024.

    Examples
    --------
    >>> t = torch.tensor([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    >>> clf = HierarchicalClassifier(8, [2, 4], transitions=[t])
    >>> [tuple(lg.shape) for lg in clf(torch.zeros(3, 8))]
    [(3, 2), (3, 4)]
    >>> clf.predict(torch.zeros(3, 8), mode="mul").shape
    torch.Size([3])
    """

    def __init__(
        self,
        in_features: int,
        level_sizes: Sequence[int],
        *,
        transitions: Sequence[Tensor | np.ndarray] | None = None,
    ) -> None:
        super().__init__()
        sizes = [int(s) for s in level_sizes]
        if in_features < 1 or not sizes or min(sizes) < 1:
            raise ConfigError(
                "HierarchicalClassifier needs in_features >= 1 and at least one level with >= 1 "
                f"class; got in_features={in_features}, level_sizes={tuple(level_sizes)}."
            )
        self.in_features, self.level_sizes = in_features, tuple(sizes)
        self.heads = nn.ModuleList(nn.Linear(in_features, size) for size in sizes)
        self.n_transitions = 0
        if transitions is not None:
            coarse = check_transitions(transitions, sizes)
            for h, t in enumerate(coarse):
                self.register_buffer(f"transition_{h}", t.detach().clone())
            self.n_transitions = len(coarse)

    def forward(self, features: Tensor) -> list[Tensor]:
        """Return per-level logits, coarsest first, each of shape (N, C_h)."""
        check_features(features, self.in_features, "HierarchicalClassifier")
        return [head(features) for head in self.heads]

    def _transitions(
        self, transitions: Sequence[Tensor | np.ndarray] | None
    ) -> Sequence[Tensor | np.ndarray]:
        if transitions is not None:
            return transitions
        if self.n_transitions == 0 and len(self.level_sizes) > 1:
            raise ConfigError("No transition matrices: pass transitions=... here or to the constructor.")
        return [getattr(self, f"transition_{h}") for h in range(self.n_transitions)]

    def adjust(
        self,
        features: Tensor,
        *,
        mode: Literal["add", "mul"] = "add",
        transitions: Sequence[Tensor | np.ndarray] | None = None,
    ) -> Tensor:
        """HCA-add or HCA-mul scores of shape (N, C_H); see :func:`hca_adjust`."""
        return hca_adjust(self(features), self._transitions(transitions), mode=mode)

    def predict(
        self,
        features: Tensor,
        *,
        mode: Literal["add", "mul", "fine"] = "add",
        transitions: Sequence[Tensor | np.ndarray] | None = None,
    ) -> Tensor:
        """Predicted fine class of shape (N,); ``mode="fine"`` uses the finest head alone."""
        if mode == "fine":
            return self(features)[-1].argmax(dim=1)
        return self.adjust(features, mode=mode, transitions=transitions).argmax(dim=1)
