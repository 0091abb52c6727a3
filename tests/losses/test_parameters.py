"""One generated invalid value per declared constraint of every registered loss is rejected."""

import inspect

import pytest

from dirkit._validation import invalid_value_for
from dirkit.exceptions import ConfigError
from dirkit.losses import LOSSES

CASES = [
    pytest.param(name, parameter, id=f"{name}-{parameter}")
    for name in LOSSES.names()
    for parameter in LOSSES.get(name)._parameter_constraints
]


@pytest.mark.parametrize(("name", "parameter"), CASES)
def test_an_invalid_value_is_rejected_naming_the_parameter_and_class(name, parameter):
    cls = LOSSES.get(name)
    kwargs = cls._example_init_kwargs()
    kwargs[parameter] = invalid_value_for(cls._parameter_constraints[parameter])
    with pytest.raises(ConfigError, match=f"'{parameter}' parameter of {cls.__name__}"):
        cls(**kwargs)


@pytest.mark.parametrize("name", LOSSES.names())
def test_constraints_cover_every_scalar_constructor_parameter(name):
    cls = LOSSES.get(name)
    parameters = inspect.signature(cls.__init__).parameters
    keyword_only = {p for p, v in parameters.items() if v.kind is inspect.Parameter.KEYWORD_ONLY}
    # array-valued data (priors, mixtures, histograms) are checked by the class itself
    assert keyword_only <= set(cls._parameter_constraints)
