"""The constraint system, label checks and registry produce the documented error messages."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import dirkit.density
import dirkit.labels
from dirkit._registry import Registry
from dirkit._validation import Interval, OneOf, check_labels, invalid_value_for
from dirkit.exceptions import ConfigError, LabelError, UnknownNameError

CONSTRAINED_CLASSES = [
    dirkit.labels.UniformBinner,
    dirkit.labels.LabelGrouper,
    dirkit.labels.HierarchicalSplit,
    dirkit.density.LDSWeights,
]


def test_error_message_format():
    from dirkit._validation import validate_parameter_constraints

    with pytest.raises(ConfigError) as info:
        validate_parameter_constraints(
            {"sigma": [Interval(float, 0, None, closed="neither")]}, {"sigma": -1.0}, "LDSWeights"
        )
    assert str(info.value) == (
        "The 'sigma' parameter of LDSWeights must be a float in the range (0, inf). "
        "Got -1.0 instead."
    )


@pytest.mark.parametrize("cls", CONSTRAINED_CLASSES, ids=lambda c: c.__name__)
def test_one_generated_invalid_value_per_constraint_is_rejected(cls):
    for param, constraints in cls._parameter_constraints.items():
        bad = invalid_value_for(constraints)
        with pytest.raises(ConfigError, match=f"'{param}' parameter of {cls.__name__}"):
            cls(**{param: bad}).fit(np.arange(20.0))


@pytest.mark.parametrize("cls", CONSTRAINED_CLASSES, ids=lambda c: c.__name__)
def test_constraints_cover_exactly_the_constructor_parameters(cls):
    params = set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert set(cls._parameter_constraints) == params


def test_interval_and_oneof_descriptions():
    assert str(Interval(int, 1, None)) == "an int in the range [1, inf)"
    assert str(Interval(float, 0, 1, closed="right")) == "a float in the range (0, 1]"
    assert not Interval(int, 0, 5).is_satisfied_by(True)
    assert str(OneOf(("a", "b"))) == "one of {'a', 'b'}"


def test_check_labels_accepts_common_containers():
    np.testing.assert_array_equal(check_labels([1, 2]), [1.0, 2.0])
    np.testing.assert_array_equal(check_labels(torch.tensor([[1.0], [2.0]])), [1.0, 2.0])
    with pytest.raises(LabelError, match="must hold numbers"):
        check_labels(np.array(["a", "b"]))
    with pytest.raises(LabelError, match="scalar"):
        check_labels(3.0)
    with pytest.raises(LabelError, match="complex numbers"):
        check_labels(np.array([1 + 2j, 3 + 0j]))
    with pytest.raises(LabelError, match="at least 2"):
        check_labels([1.0], min_samples=2)


def test_registry_is_strict_and_lists_names():
    registry: Registry = Registry("widgets")
    registry.register("a")(1)
    registry.register("b")(2)
    with pytest.raises(ConfigError, match="already registered"):
        registry.register("a")(3)
    registry.register("a", override=True)(3)
    assert registry.get("a") == 3 and registry.names() == ["a", "b"] and "b" in registry
    with pytest.raises(UnknownNameError, match=r"Unknown widget 'c'\. Known widgets: a, b\.") as info:
        registry.get("c")
    assert isinstance(info.value, KeyError)
