"""HCA-add / HCA-mul against per-sample loops of eqs. 7-8; transition checks; the classifier."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dirkit.exceptions import ConfigError, ShapeError
from dirkit.nn import HierarchicalClassifier, hca_adjust
from dirkit.nn.heads import check_transitions
from dirkit.testing import check_head

LEVELS = (2, 4, 8)


def _transition(c_h: int, c_fine: int) -> torch.Tensor:
    """Contiguous equal split: fine class u belongs to coarse class u * c_h // c_fine."""
    t = torch.zeros(c_h, c_fine)
    t[torch.arange(c_fine) * c_h // c_fine, torch.arange(c_fine)] = 1.0
    return t


TRANSITIONS = [_transition(c, LEVELS[-1]) for c in LEVELS[:-1]]


def _naive_adjust(logits: list[np.ndarray], transitions: list[np.ndarray], mode: str) -> np.ndarray:
    def norm(row: np.ndarray) -> np.ndarray:
        p = np.exp(row - row.max()) / np.exp(row - row.max()).sum()
        return p if mode == "add" else np.log(p)

    n, c_fine = logits[-1].shape
    out = np.zeros((n, c_fine))
    for i in range(n):
        out[i] = norm(logits[-1][i])
        for level, t in zip(logits[:-1], transitions, strict=True):
            p = norm(level[i])
            for u in range(c_fine):
                out[i, u] += sum(t[v, u] * p[v] for v in range(t.shape[0]))
    return out


@pytest.mark.parametrize("mode", ["add", "mul"])
def test_adjustment_matches_per_sample_loops(mode: str) -> None:
    gen = torch.Generator().manual_seed(0)
    logits = [torch.randn(5, c, generator=gen, dtype=torch.float64) * 3 for c in LEVELS]
    expected = _naive_adjust([lg.numpy() for lg in logits], [t.numpy() for t in TRANSITIONS], mode)
    got = hca_adjust(logits, TRANSITIONS, mode=mode)  # type: ignore[arg-type]
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


def test_any_partition_is_accepted_and_bad_transitions_are_rejected() -> None:
    scattered = torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 1]])  # non-contiguous groups are fine
    check_transitions([scattered], (2, 4))
    with pytest.raises(ShapeError, match=r"\(2, 4\).*\(2, 3\)"):
        check_transitions([torch.ones(2, 3)], (2, 4))
    with pytest.raises(ConfigError, match="sum"):
        check_transitions([torch.ones(2, 4)], (2, 4))
    with pytest.raises(ShapeError, match="Expected 1"):
        check_transitions([], (2, 4))
    with pytest.raises(ConfigError, match="'add', 'mul'"):
        hca_adjust([torch.zeros(1, 2), torch.zeros(1, 4)], [scattered], mode="max")  # type: ignore[arg-type]


def test_classifier_levels_predict_and_contract() -> None:
    clf = HierarchicalClassifier(6, LEVELS, transitions=TRANSITIONS)
    z = torch.randn(7, 6, generator=torch.Generator().manual_seed(1))
    logits = clf(z)
    assert [tuple(lg.shape) for lg in logits] == [(7, c) for c in LEVELS]
    for mode in ("add", "mul"):
        expected = hca_adjust(logits, TRANSITIONS, mode=mode).argmax(dim=1)  # type: ignore[arg-type]
        assert torch.equal(clf.predict(z, mode=mode), expected)  # type: ignore[arg-type]
    assert torch.equal(clf.predict(z, mode="fine"), logits[-1].argmax(dim=1))
    assert "transition_0" in dict(clf.named_buffers())
    check_head(clf, in_features=6)
    with pytest.raises(ConfigError, match="transition"):
        HierarchicalClassifier(6, LEVELS).predict(z)
    with pytest.raises(ShapeError, match=r"\(N, 6\).*\(7, 5\)"):
        clf(torch.zeros(7, 5))


def test_trailing_identity_and_numpy_transitions_from_hierarchical_split() -> None:
    from dirkit.labels import HierarchicalSplit, UniformBinner

    y = np.random.default_rng(0).exponential(10, size=500)
    split = HierarchicalSplit(n_levels=3, binner=UniformBinner(n_bins=16)).fit(y)
    clf = HierarchicalClassifier(6, split.level_sizes_, transitions=split.transition_matrices_)
    assert clf.n_transitions == len(split.level_sizes_) - 1
    z = torch.randn(4, 6, generator=torch.Generator().manual_seed(2))
    coarse = [torch.as_tensor(t).float() for t in split.transition_matrices_[:-1]]
    assert torch.equal(clf.predict(z, mode="mul"), clf.predict(z, mode="mul", transitions=coarse))
    with pytest.raises(ConfigError, match="identity"):
        check_transitions([TRANSITIONS[0], TRANSITIONS[1], torch.ones(8, 8)], LEVELS)
