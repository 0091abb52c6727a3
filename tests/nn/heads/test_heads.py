"""Regression, classification and multi-head regressor heads vs per-sample loops."""

from __future__ import annotations

import pytest
import torch

from dirkit.exceptions import ConfigError, LabelError, ShapeError
from dirkit.nn import ClassificationHead, MultiHeadRegressor, RegressionHead
from dirkit.testing import check_head

GEN_SEED = 0


@pytest.mark.parametrize(
    "head",
    [
        RegressionHead(5),
        RegressionHead(5, out_features=3),
        ClassificationHead(5, 4),
        MultiHeadRegressor(5, 4),
    ],
    ids=["regression", "regression-3", "classification", "multi-head"],
)
def test_contract(head: torch.nn.Module) -> None:
    check_head(head, in_features=5)


def test_regression_output_shapes() -> None:
    z = torch.zeros(3, 5)
    assert RegressionHead(5)(z).shape == (3,)
    assert RegressionHead(5, out_features=2)(z).shape == (3, 2)
    with pytest.raises(ConfigError, match="'in_features' parameter of RegressionHead"):
        RegressionHead(0)


def test_classification_predictions() -> None:
    head = ClassificationHead(5, 4)
    z = torch.randn(6, 5, generator=torch.Generator().manual_seed(GEN_SEED))
    torch.testing.assert_close(head.predict_proba(z).sum(dim=1), torch.ones(6))
    assert torch.equal(head.predict(z), head(z).argmax(dim=1))


def test_multi_head_select_predict_and_oracle_match_loops() -> None:
    gen = torch.Generator().manual_seed(GEN_SEED)
    head = MultiHeadRegressor(5, 3)
    z = torch.randn(6, 5, generator=gen)
    groups = torch.tensor([0, 2, 1, 1, 0, 2])
    group_logits = torch.randn(6, 3, generator=gen)
    outputs = head(z)
    assert outputs.shape == (6, 3)
    probs = torch.softmax(group_logits, dim=1)
    for i in range(6):
        assert head.select(outputs, groups)[i] == outputs[i, groups[i]]
        assert head.oracle(outputs, groups)[i] == outputs[i, groups[i]]
        best = int(group_logits[i].argmax())
        assert head.predict(outputs, group_logits)[i] == outputs[i, best]
        mixture = sum(probs[i, g] * outputs[i, g] for g in range(3))
        torch.testing.assert_close(head.predict(outputs, group_logits, mode="mixture")[i], mixture)
    assert not head.oracle(outputs, groups).requires_grad
    head.select(outputs, groups).sum().backward()  # training path keeps gradients


def test_multi_head_errors() -> None:
    head = MultiHeadRegressor(5, 3)
    outputs = head(torch.zeros(2, 5))
    with pytest.raises(LabelError, match=r"\[0, 2\].*\[3\]"):
        head.select(outputs, torch.tensor([0, 3]))
    with pytest.raises(LabelError, match="integer"):
        head.select(outputs, torch.tensor([0.0, 1.0]))
    with pytest.raises(ShapeError, match=r"\(N, 3\).*\(2, 4\)"):
        head.select(torch.zeros(2, 4), torch.tensor([0, 1]))
    with pytest.raises(ShapeError, match=r"\(2, 3\).*\(2, 2\)"):
        head.predict(outputs, torch.zeros(2, 2))
    with pytest.raises(ConfigError, match="'argmax', 'mixture'"):
        head.predict(outputs, torch.zeros(2, 3), mode="mean")  # type: ignore[arg-type]
