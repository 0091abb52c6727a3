"""One value syntax for --set, --dataset-arg and --train-arg (dirkit._assignments)."""

import pytest

from dirkit._assignments import parse_assignments, parse_value
from dirkit.exceptions import ConfigError


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a,b", ["a", "b"]),
        ("[a, b]", ["a", "b"]),
        ("['a', 'b']", ["a", "b"]),
        ('["a", "b"]', ["a", "b"]),
        ("0.5,2", [0.5, 2]),
        ("[0.5, 2]", [0.5, 2]),
        ("[0.5,2]", [0.5, 2]),
        ("true,null", [True, None]),
        ("[]", []),
        ("[[1, 2], [3]]", [[1, 2], [3]]),
        ("gaussian", "gaussian"),
        ('"a,b.csv"', "a,b.csv"),
        ("2", 2),
        ("", ""),
    ],
)
def test_values_read_the_same_whatever_the_list_syntax(text, value):
    assert parse_value(text) == value


@pytest.mark.parametrize(("text", "message"), [("a,,b", "Empty item"), ("a,", "Empty item"),
                                               ("[a, [b]]", "Nested list")])
def test_malformed_lists_name_the_value(text, message):
    with pytest.raises(ConfigError, match=rf"{message}.*{text!r}".replace("[", r"\[").replace("]", r"\]")):
        parse_value(text)


@pytest.mark.parametrize(("items", "dotted", "key"), [(["features=a", "features=b"], False, "features"),
                                                      (["lds.sigma=1", " lds.sigma =2"], True, "lds.sigma")])
def test_a_repeated_key_is_an_error_naming_it(items, dotted, key):
    with pytest.raises(ConfigError, match=rf"--opt {key} is given twice"):
        parse_assignments(items, dotted=dotted, option="--opt")


def test_different_keys_of_one_group_are_not_repeats():
    assert parse_assignments(["lds.sigma=1", "lds.ks=5", "fds.sigma=2"], dotted=True) == {
        "lds": {"sigma": 1, "ks": 5}, "fds": {"sigma": 2}}
