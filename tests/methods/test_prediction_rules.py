"""Prediction rules of ``group-robust`` and their choice on validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dirkit.exceptions import ConfigError
from dirkit.methods import GATE_QUANTILES, PredictionRule, choose_rule

values = arrays(np.float64, st.integers(1, 30), elements=st.floats(-100, 100))


def _naive_apply(rule: PredictionRule, g: float, m: float, c: float) -> float:
    if rule.name == "regressor":
        return g
    if rule.name == "mixture":
        return m
    if rule.name == "blend":
        return (g + m) / 2
    return m if c >= rule.threshold else g


@pytest.mark.parametrize("rule", [PredictionRule("regressor"), PredictionRule("mixture"),
                                  PredictionRule("blend"), PredictionRule("gate", 0.5)])
def test_apply_matches_the_definition_on_tensors_and_arrays(rule: PredictionRule) -> None:
    rng = np.random.default_rng(0)
    g, m, c = rng.normal(size=20), rng.normal(size=20), rng.uniform(size=20)
    expected = [_naive_apply(rule, *triple) for triple in zip(g, m, c, strict=True)]
    np.testing.assert_allclose(rule.apply(g, m, c), expected)
    tensors = (torch.as_tensor(v) for v in (g, m, c))
    np.testing.assert_allclose(rule.apply(*tensors).numpy(), expected)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 30))
def test_the_chosen_rule_is_never_worse_than_the_first_regressor(data: st.DataObject, n: int) -> None:
    draw = arrays(np.float64, n, elements=st.floats(-100, 100))
    g, b, m, y = data.draw(draw), data.draw(draw), data.draw(draw), data.draw(draw)
    c = data.draw(arrays(np.float64, n, elements=st.floats(0, 1)))
    regressors = {"global": g, "balanced": b}
    rule, scores = choose_rule(regressors, m, c, y)
    chosen = np.abs(rule.apply(regressors[rule.regressor], m, c) - y).mean()
    assert chosen == pytest.approx(scores[rule.describe()])
    assert chosen <= min(np.abs(g - y).mean(), np.abs(b - y).mean()) + 1e-12
    assert scores[rule.describe()] == min(scores.values())


@settings(max_examples=30, deadline=None)
@given(g=values)
def test_the_global_head_wins_ties(g: np.ndarray) -> None:
    rule, _ = choose_rule({"global": g, "balanced": g.copy()}, g.copy(), np.linspace(0, 1, len(g)), g + 1)
    assert rule == PredictionRule("regressor", regressor="global")


def test_gate_thresholds_are_validation_quantiles() -> None:
    c = np.linspace(0, 1, 101)
    _, scores = choose_rule({"global": np.zeros(101)}, np.ones(101), c, np.zeros(101), rules=("gate",))
    thresholds = sorted(float(name.split("@")[1]) for name in scores if name.startswith("gate(global)@"))
    np.testing.assert_allclose(thresholds, np.quantile(c, GATE_QUANTILES), rtol=1e-3)


def test_a_mixture_that_fits_better_is_chosen() -> None:
    y = np.arange(10.0)
    rule, scores = choose_rule({"global": y + 2}, y + 0.5, np.full(10, 0.9), y, rules=("mixture", "blend"))
    assert rule == PredictionRule("mixture")
    assert scores == pytest.approx({"global": 2.0, "mixture": 0.5, "blend(global)": 1.25})


def test_only_the_first_regressor_alone_is_tried_without_the_regressor_rule() -> None:
    y = np.arange(5.0)
    _, scores = choose_rule({"global": y + 1, "balanced": y}, y + 3, np.ones(5), y, rules=("blend",))
    assert set(scores) == {"global", "blend(global)", "blend(balanced)"}


def test_unknown_rule_raises_with_the_valid_names() -> None:
    with pytest.raises(ConfigError, match=r"'oracle'.*regressor, mixture, blend, gate"):
        choose_rule({"global": np.zeros(3)}, np.zeros(3), np.zeros(3), np.zeros(3), rules=("oracle",))
