"""HCA-d: a single classifier distilled from hierarchical heads with range-preserving alignment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from torch import Tensor, nn

from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.nn._checks import check_features
from dirkit.nn.heads._hierarchical import check_transitions

__all__ = [
    "DistilledClassifier",
    "hierarchical_distillation_loss",
    "range_preserving_align",
    "sum_align",
]

_TINY = 1e-30


def _check_probs(probs: Tensor, transition: Tensor) -> None:
    if probs.dim() != 2 or transition.dim() != 2 or probs.shape[1] != transition.shape[1]:
        raise ShapeError(
            f"probs (N, C_H) and transition (C_h, C_H) must agree on C_H; got probs of shape "
            f"{tuple(probs.shape)} and transition of shape {tuple(transition.shape)}."
        )


def range_preserving_align(probs: Tensor, transition: Tensor) -> Tensor:
    """Max-pool fine probabilities within each coarse class, then renormalise (HCA eqs. 13-14).

    The argmax of the result is always the coarse class holding the argmax of ``probs``
    (Proposition 1), which the sum alignment does not guarantee.

    Parameters
    ----------
    probs : Tensor of shape (N, C_H)
        Non-negative fine-class probabilities.
    transition : Tensor of shape (C_h, C_H)
        ``T[v, u] = 1`` iff fine class ``u`` is in coarse class ``v``.

    Returns
    -------
    Tensor of shape (N, C_h)

    Examples
    --------
    >>> import torch
    >>> t = torch.tensor([[1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    >>> p = torch.tensor([[0.2, 0.2, 0.2, 0.4]])
    >>> range_preserving_align(p, t).argmax(dim=1).tolist()  # fine argmax 3 is in class 1
    [1]
    >>> sum_align(p, t).argmax(dim=1).tolist()  # eq. 10 picks class 0: range not preserved
    [0]
    """
    _check_probs(probs, transition)
    if not bool(((transition == 0) | (transition == 1)).all() and (transition.sum(dim=0) == 1).all()):
        raise ConfigError(
            "transition must be a 0/1 matrix with exactly one 1 per column (every fine class in "
            "one coarse class), as HierarchicalSplit.transition_matrices_ are."
        )
    # each fine class lies in exactly one coarse class, so the masked max over T's rows is a
    # scatter-max over the fine -> coarse index: O(N * C_H) instead of O(N * C_h * C_H)
    coarse_of_fine = transition.argmax(dim=0).to(probs.device).expand_as(probs)
    empty = probs.new_zeros(probs.shape[0], transition.shape[0])
    pooled = empty.scatter_reduce(1, coarse_of_fine, probs, reduce="amax", include_self=False)
    return pooled / pooled.sum(dim=1, keepdim=True).clamp_min(_TINY)


def sum_align(probs: Tensor, transition: Tensor) -> Tensor:
    """Sum fine probabilities within each coarse class (HCA eq. 10; not range-preserving).

    Kept for the paper's ablation (its Table 3); see :func:`range_preserving_align`.
    """
    _check_probs(probs, transition)
    return probs @ transition.to(probs).T


def hierarchical_distillation_loss(
    student_logits: Tensor,
    teacher_logits: Sequence[Tensor],
    transitions: Sequence[Tensor | np.ndarray],
    *,
    alignment: Literal["max", "sum"] = "max",
) -> Tensor:
    """``L_hd = sum_h KL(p_h || align_h(softmax(student)))`` over every level (HCA eqs. 11-12).

    The finest level compares with the student's distribution itself (``T`` = identity). Teacher
    logits are detached: in HCA-d's second stage the backbone and hierarchical heads are frozen.

    Parameters
    ----------
    student_logits : Tensor of shape (N, C_H)
        Logits of :class:`DistilledClassifier` (``G_T``).
    teacher_logits : sequence of Tensor of shape (N, C_h)
        :class:`HierarchicalClassifier` logits, coarsest first, finest last.
    transitions : sequence of Tensor or ndarray of shape (C_h, C_H)
        One per coarse level (a trailing finest-level identity is allowed).
    alignment : {"max", "sum"}
        ``"max"``: range-preserving (eqs. 13-14, the paper's HCA-d); ``"sum"``: eq. 10.

    Returns
    -------
    Tensor
        Scalar: KL summed over levels, averaged over the batch.

    Examples
    --------
    >>> import torch
    >>> t = torch.tensor([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    >>> teacher = [torch.zeros(3, 2), torch.zeros(3, 4)]
    >>> float(hierarchical_distillation_loss(torch.zeros(3, 4), teacher, [t]))
    0.0
    """
    if alignment not in ("max", "sum"):
        raise ConfigError(
            "The 'alignment' parameter of hierarchical_distillation_loss must be "
            f"{OneOf(('max', 'sum'))}. Got {alignment!r} instead."
        )
    coarse = check_transitions(transitions, [lg.shape[1] for lg in teacher_logits])
    if student_logits.shape != teacher_logits[-1].shape:
        raise ShapeError(
            f"student_logits must have the finest teacher's shape {tuple(teacher_logits[-1].shape)}"
            f"; got {tuple(student_logits.shape)}."
        )
    align = range_preserving_align if alignment == "max" else sum_align
    student = student_logits.softmax(dim=1)
    total = student_logits.new_zeros(())
    for h, logits in enumerate(teacher_logits):
        target_log = logits.detach().log_softmax(dim=1)
        aligned = student if h == len(coarse) else align(student, coarse[h])
        kl = target_log.exp() * (target_log - aligned.clamp_min(_TINY).log())
        total = total + kl.sum(dim=1).mean()
    return total


class DistilledClassifier(nn.Module):
    """HCA-d's ``G_T``: two linear layers with a softplus in between, hidden size ``d / 4``.

    Train it with :func:`hierarchical_distillation_loss` on frozen features and frozen
    :class:`HierarchicalClassifier` heads (HCA: about 20% more epochs); at inference it replaces
    the hierarchy.

    Parameters
    ----------
    in_features : int
        Feature size ``d``.
    n_classes : int
        Classes of the finest level ``C_H``.
    hidden : int, optional
        Hidden size; default ``max(1, in_features // 4)`` (the paper's choice).

    Examples
    --------
    >>> import torch
    >>> g_t = DistilledClassifier(16, 8)
    >>> g_t.hidden, g_t(torch.zeros(2, 16)).shape
    (4, torch.Size([2, 8]))
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "in_features": [Interval(int, 1, None)],
        "n_classes": [Interval(int, 1, None)],
        "hidden": [Interval(int, 1, None), None],
    }

    def __init__(self, in_features: int, n_classes: int, *, hidden: int | None = None) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), "DistilledClassifier")
        self.in_features, self.n_classes = in_features, n_classes
        self.hidden = max(1, in_features // 4) if hidden is None else hidden
        self.layers = nn.Sequential(
            nn.Linear(in_features, self.hidden), nn.Softplus(), nn.Linear(self.hidden, n_classes)
        )

    def forward(self, features: Tensor) -> Tensor:
        """Return fine-class logits of shape (N, n_classes)."""
        check_features(features, self.in_features, "DistilledClassifier")
        return self.layers(features)

    def predict(self, features: Tensor) -> Tensor:
        """Most probable fine class of shape (N,)."""
        return self(features).argmax(dim=1)
