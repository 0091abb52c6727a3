import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dirkit.exceptions import ConfigError, LabelError
from dirkit.labels._soft_labels import descending_soft_labels


def _naive_softmax(values):
    exps = [np.exp(v - max(values)) for v in values]
    return [e / sum(exps) for e in exps]


def _naive_row(g, n_groups, beta, counts=None, mode="paper"):
    logits = [n_groups - beta * abs(j - g) for j in range(n_groups)]
    if counts is None:
        return _naive_softmax(logits)
    scale = [1.0 if j == g else 1.0 - counts[j] / sum(counts) for j in range(n_groups)]
    if mode == "paper":
        return _naive_softmax([p * v for p, v in zip(scale, logits, strict=True)])
    return [p * q for p, q in zip(scale, _naive_softmax(logits), strict=True)]


group_batches = st.integers(1, 15).flatmap(
    lambda n_groups: st.tuples(
        st.just(n_groups), st.lists(st.integers(0, n_groups - 1), min_size=1, max_size=20)
    )
)
betas = st.floats(0.05, 5.0)


@settings(max_examples=60, deadline=None)
@given(group_batches, betas)
def test_symmetric_rows_sum_to_one_peak_at_the_group_and_descend(batch, beta):
    n_groups, groups = batch
    targets = descending_soft_labels(groups, n_groups, beta=beta)
    assert targets.shape == (len(groups), n_groups)
    np.testing.assert_allclose(targets.sum(axis=1), 1.0)
    for row, g in zip(targets, groups, strict=True):
        assert row.argmax() == g
        assert np.all(np.diff(row[g:]) < 0) and np.all(np.diff(row[: g + 1]) > 0)
        np.testing.assert_allclose(row, _naive_row(g, n_groups, beta))


@settings(max_examples=60, deadline=None)
@given(group_batches, betas, st.data())
def test_asymmetric_paper_rows_sum_to_one_and_peak_at_the_group(batch, beta, data):
    n_groups, groups = batch
    counts = data.draw(st.lists(st.integers(0, 500), min_size=n_groups, max_size=n_groups))
    counts[0] += 1  # a positive total
    targets = descending_soft_labels(groups, n_groups, beta=beta, group_counts=counts)
    np.testing.assert_allclose(targets.sum(axis=1), 1.0)
    for row, g in zip(targets, groups, strict=True):
        assert row.argmax() == g
        np.testing.assert_allclose(row, _naive_row(g, n_groups, beta, counts))


def test_dev_code_mode_scales_the_softmax_without_renormalising():
    counts = [70, 20, 10]
    targets = descending_soft_labels([0, 1], 3, group_counts=counts, asymmetric_mode="dev-code")
    np.testing.assert_allclose(targets[0], _naive_row(0, 3, 1.0, counts, mode="dev-code"))
    assert (targets.sum(axis=1) < 1).all()


def test_paper_examples_of_the_extreme_groups():
    first, last = descending_soft_labels([0, 4], 5)
    np.testing.assert_allclose(first, _naive_softmax([5, 4, 3, 2, 1]))
    np.testing.assert_allclose(last, _naive_softmax([1, 2, 3, 4, 5]))


def test_returns_a_tensor_for_a_tensor_and_numpy_otherwise():
    assert isinstance(descending_soft_labels(np.array([0, 1]), 3), np.ndarray)
    targets = descending_soft_labels(torch.tensor([0, 1]), 3)
    assert isinstance(targets, torch.Tensor) and targets.dtype == torch.get_default_dtype()


def test_invalid_groups_and_counts_raise_naming_the_value():
    with pytest.raises(LabelError, match=r"0\.\.2; got 3 at index 1"):
        descending_soft_labels([0, 3], 3)
    with pytest.raises(LabelError, match=r"1\.5"):
        descending_soft_labels([1.5], 3)
    with pytest.raises(ConfigError, match="3 non-negative counts"):
        descending_soft_labels([0], 3, group_counts=[1, 2])
    with pytest.raises(ConfigError, match="asymmetric_mode"):
        descending_soft_labels([0], 3, asymmetric_mode="code")
