"""HCA-d: alignments (eqs. 10, 13-14) and the KL loss vs loops; Proposition 1 as a property."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dirkit.exceptions import ConfigError
from dirkit.nn import (
    DistilledClassifier,
    hierarchical_distillation_loss,
    range_preserving_align,
    sum_align,
)
from dirkit.testing import check_head


def _naive_align(q: np.ndarray, t: np.ndarray, how: str) -> np.ndarray:
    out = np.zeros((q.shape[0], t.shape[0]))
    for i in range(q.shape[0]):
        for v in range(t.shape[0]):
            members = [q[i, u] for u in range(t.shape[1]) if t[v, u] == 1]
            out[i, v] = (max(members) if members else 0.0) if how == "max" else sum(members)
        if how == "max":
            out[i] /= out[i].sum()
    return out


T = torch.tensor([[1.0, 1, 0, 0, 0, 1], [0, 0, 1, 1, 1, 0]])  # coarse 0 = fine {0, 1, 5}


def test_alignments_match_loops() -> None:
    q = torch.softmax(torch.randn(4, 6, generator=torch.Generator().manual_seed(0)), 1).double()
    for how, fn in (("max", range_preserving_align), ("sum", sum_align)):
        np.testing.assert_allclose(fn(q, T).numpy(), _naive_align(q.numpy(), T.numpy(), how))


@pytest.mark.parametrize("alignment", ["max", "sum"])
def test_loss_is_the_sum_of_kl_over_levels(alignment: str) -> None:
    gen = torch.Generator().manual_seed(1)
    student = torch.randn(3, 6, generator=gen, dtype=torch.float64)
    teacher = [
        torch.randn(3, 2, generator=gen, dtype=torch.float64),
        torch.randn(3, 6, generator=gen, dtype=torch.float64),
    ]
    q = torch.softmax(student, 1).numpy()
    expected = 0.0
    for logits, aligned in ((teacher[0], _naive_align(q, T.numpy(), alignment)), (teacher[1], q)):
        p = torch.softmax(logits, 1).numpy()
        expected += float(np.mean([(p[i] * np.log(p[i] / aligned[i])).sum() for i in range(3)]))
    got = hierarchical_distillation_loss(student, teacher, [T], alignment=alignment)  # type: ignore[arg-type]
    assert got.item() == pytest.approx(expected, rel=1e-10)


def test_loss_trains_the_student_only() -> None:
    student = torch.zeros(2, 6, requires_grad=True)
    teacher = [torch.zeros(2, 2, requires_grad=True), torch.zeros(2, 6, requires_grad=True)]
    hierarchical_distillation_loss(student, teacher, [T]).backward()
    assert student.grad is not None and teacher[0].grad is None
    with pytest.raises(ConfigError, match="'max', 'sum'"):
        hierarchical_distillation_loss(student, teacher, [T], alignment="mean")  # type: ignore[arg-type]


@st.composite
def _fine_probs_and_partition(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor]:
    c_fine = draw(st.integers(2, 16))
    c_coarse = draw(st.integers(1, c_fine))
    owner = draw(st.lists(st.integers(0, c_coarse - 1), min_size=c_fine, max_size=c_fine))
    logits = draw(st.lists(st.floats(-30, 30), min_size=c_fine, max_size=c_fine))
    t = torch.zeros(c_coarse, c_fine)
    t[torch.tensor(owner), torch.arange(c_fine)] = 1.0
    return torch.softmax(torch.tensor([logits]), dim=1), t


@settings(max_examples=300, deadline=None)
@given(_fine_probs_and_partition())
def test_proposition_1_argmax_of_aligned_holds_argmax_of_student(
    case: tuple[torch.Tensor, torch.Tensor],
) -> None:
    """HCA Prop. 1: v = argmax aligned, u = argmax p^T  =>  T[v, u] = 1 (ties: v among the maxima)."""
    q, t = case
    aligned = range_preserving_align(q, t)[0]
    u = int(q[0].argmax())
    coarse_of_u = int(t[:, u].argmax())
    assert aligned[coarse_of_u] == aligned.max()
    if int((aligned == aligned.max()).sum()) == 1:
        assert t[int(aligned.argmax()), u] == 1


def test_sum_alignment_is_not_range_preserving() -> None:
    q = torch.tensor([[0.26, 0.26, 0.09, 0.09, 0.3, 0.0]])  # argmax fine 4 lies in coarse 1
    assert int(sum_align(q, T).argmax()) == 0
    assert int(range_preserving_align(q, T).argmax()) == 1


def test_distilled_classifier_layout_and_contract() -> None:
    g_t = DistilledClassifier(32, 6)
    linear1, act, linear2 = g_t.layers
    assert (linear1.out_features, type(act).__name__, linear2.out_features) == (8, "Softplus", 6)
    assert DistilledClassifier(32, 6, hidden=5).hidden == 5
    check_head(g_t, in_features=32)


def test_range_preserving_align_rejects_a_fine_class_in_two_coarse_classes():
    overlapping = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    with pytest.raises(ConfigError, match="exactly one 1 per column"):
        range_preserving_align(torch.full((2, 3), 1 / 3), overlapping)
