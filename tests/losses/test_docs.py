import inspect

import pytest

import dirkit.losses
from dirkit.losses._docs import fill_doc

FUNCTIONS = [
    getattr(dirkit.losses, name)
    for name in dirkit.losses.__all__
    if inspect.isfunction(getattr(dirkit.losses, name))
]


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.__name__)
def test_public_functions_document_every_parameter_with_no_placeholder_left(function):
    doc = function.__doc__
    assert "%(" not in doc and "Examples\n    --------" in doc
    for name in inspect.signature(function).parameters:
        assert f"{name} :" in doc or f"{name}," in doc or f", {name}" in doc, name


def test_fill_doc_substitutes_shared_parameter_text():
    def f():
        """Parameters
        ----------
        %(weight)s
        """

    assert "mean(weight * loss)" in fill_doc(f).__doc__


@pytest.mark.parametrize("name", dirkit.losses.LOSSES.names())
def test_registered_modules_document_every_constructor_parameter(name):
    cls = dirkit.losses.LOSSES.get(name)
    doc = cls.__doc__
    assert "%(" not in doc and "Examples\n    --------" in doc
    for parameter in list(inspect.signature(cls.__init__).parameters)[1:]:
        assert f"{parameter} :" in doc or f"{parameter}," in doc or f", {parameter}" in doc, parameter
