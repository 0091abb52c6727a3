"""Parameter constraints and input checks, rendered in one error format.

Classes declare ``_parameter_constraints = {"sigma": [Interval(float, 0, None, closed="neither")]}``
and call :func:`validate_parameter_constraints` at the start of ``fit``; functions use the
:func:`validate_params` decorator. A failing check raises
:class:`~dirkit.exceptions.ConfigError` with the message

    The 'sigma' parameter of LDSWeights must be a float in the range (0, inf). Got -1.0 instead.

Label checks (:func:`check_labels`, :func:`check_same_length`) raise
:class:`~dirkit.exceptions.LabelError` / :class:`~dirkit.exceptions.ShapeError` naming the
offending value and how to fix it.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from numbers import Integral, Real
from typing import Any, TypeVar

import numpy as np

from dirkit.exceptions import ConfigError, LabelError, NotFittedError, ShapeError

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "Interval",
    "OneOf",
    "check_is_fitted",
    "check_labels",
    "check_same_length",
    "invalid_value_for",
    "to_numpy",
    "validate_parameter_constraints",
    "validate_params",
]


class Interval:
    """A number of a given type in a range; ``None`` bounds are infinite.

    Parameters
    ----------
    kind : {int, float}
        ``int`` accepts integers only; ``float`` accepts any real number (integers included).
    left, right : float or None
        Bounds; ``None`` means unbounded on that side.
    closed : {"both", "left", "right", "neither"}
        Which bounds belong to the interval.
    """

    def __init__(
        self,
        kind: type,
        left: float | None,
        right: float | None,
        *,
        closed: str = "both",
    ) -> None:
        if kind not in (int, float):
            raise TypeError(f"Interval kind must be int or float; got {kind!r}.")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed must be 'both', 'left', 'right' or 'neither'; got {closed!r}.")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, value: object) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, Integral):
            return False
        if not isinstance(value, Real) or math.isnan(float(value)):
            return False
        v = float(value)
        if self.left is not None:
            if v < self.left or (v == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if v > self.right or (v == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def __str__(self) -> str:
        noun = "an int" if self.kind is int else "a float"
        lo = "-inf" if self.left is None else f"{self.left:g}"
        hi = "inf" if self.right is None else f"{self.right:g}"
        lb = "[" if self.closed in ("both", "left") and self.left is not None else "("
        rb = "]" if self.closed in ("both", "right") and self.right is not None else ")"
        return f"{noun} in the range {lb}{lo}, {hi}{rb}"


class OneOf:
    """One of a fixed set of options (usually strings)."""

    def __init__(self, options: Iterable[object]) -> None:
        self.options = tuple(options)

    def is_satisfied_by(self, value: object) -> bool:
        try:
            return value in self.options
        except TypeError:  # unhashable or incomparable
            return False

    def __str__(self) -> str:
        return "one of {" + ", ".join(repr(o) for o in self.options) + "}"


Constraint = Any  # Interval | OneOf | type | None | "callable" | "boolean"


def _satisfies(constraint: Constraint, value: object) -> bool:
    if constraint is None:
        return value is None
    if constraint == "boolean":
        return isinstance(value, (bool, np.bool_))
    if constraint == "callable":
        return callable(value)
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    return bool(constraint.is_satisfied_by(value))


def _describe(constraint: Constraint) -> str:
    if constraint is None:
        return "None"
    if constraint == "boolean":
        return "a bool"
    if constraint == "callable":
        return "a callable"
    if isinstance(constraint, type):
        return f"an instance of {constraint.__name__}"
    return str(constraint)


def validate_parameter_constraints(
    constraints: Mapping[str, Sequence[Constraint]], params: Mapping[str, object], caller: str
) -> None:
    """Raise :class:`ConfigError` for the first parameter that satisfies none of its constraints."""
    for name, options in constraints.items():
        if name not in params:
            continue
        value = params[name]
        if any(_satisfies(c, value) for c in options):
            continue
        descriptions = [_describe(c) for c in options]
        expected = (
            descriptions[0]
            if len(descriptions) == 1
            else ", ".join(descriptions[:-1]) + " or " + descriptions[-1]
        )
        raise ConfigError(
            f"The {name!r} parameter of {caller} must be {expected}. Got {value!r} instead."
        )


def validate_params(constraints: Mapping[str, Sequence[Constraint]]) -> Callable[[F], F]:
    """Decorate a function so its arguments are checked against ``constraints`` on each call."""

    def decorator(func: F) -> F:
        signature = inspect.signature(func)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise TypeError(f"Constraints for unknown parameters of {func.__name__}: {unknown}")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            validate_parameter_constraints(constraints, bound.arguments, func.__qualname__)
            return func(*args, **kwargs)

        wrapper.__dirkit_constraints__ = constraints  # type: ignore[attr-defined]  # read by tests
        return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature

    return decorator


def invalid_value_for(constraints: Sequence[Constraint]) -> object:
    """Return a value that satisfies none of ``constraints`` (used by the generated tests)."""
    candidates: list[object] = ["__not-an-option__", -1e300, 1e300, -1, 0, 0.5, object()]
    for c in constraints:
        if isinstance(c, Interval):
            if c.left is not None:
                candidates.insert(0, c.left - 1)
            if c.right is not None:
                candidates.insert(0, c.right + 1)
    for value in candidates:
        if not any(_satisfies(c, value) for c in constraints):
            return value
    raise ValueError(f"Could not build a value violating {constraints}")


def to_numpy(values: object) -> np.ndarray:
    """Convert lists, pandas objects and (CPU or GPU) torch tensors to a NumPy array."""
    if hasattr(values, "detach") and hasattr(values, "cpu"):  # torch.Tensor without importing torch
        return np.asarray(values.detach().cpu().numpy())
    return np.asarray(values)


def check_labels(
    y: object,
    *,
    name: str = "y",
    allow_multi_output: bool = False,
    min_samples: int = 1,
) -> np.ndarray:
    """Return ``y`` as a float64 array after checking it is usable as regression labels.

    Parameters
    ----------
    y : array-like of shape (n,) or (n, 1), or (n, k) with ``allow_multi_output``
        Labels; a column vector is flattened.
    name : str
        How the array is called in error messages.
    allow_multi_output : bool
        Accept 2-D labels with several columns.
    min_samples : int
        Fewest rows accepted.

    Raises
    ------
    LabelError
        On NaN or infinite values (the message gives how many and the first index), a non-numeric
        dtype, a wrong number of dimensions, or too few samples.
    """
    arr = to_numpy(y)
    if arr.dtype.kind == "c":
        raise LabelError(
            f"Complex data not supported: {name} holds complex numbers (dtype {arr.dtype}) and "
            f"regression labels must be real; pass {name}.real if the imaginary parts are zero."
        )
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise LabelError(f"{name} must hold numbers; {_first_non_number(arr)}.") from None
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 0:
        raise LabelError(f"{name} must be an array of labels; got the scalar {arr.item()!r}.")
    if arr.ndim != 1 and not (allow_multi_output and arr.ndim == 2):
        hint = "" if allow_multi_output else "; pass one target at a time (y[:, j])"
        raise LabelError(f"{name} must be 1-D; got shape {arr.shape}{hint}.")
    if arr.shape[0] < min_samples:
        raise LabelError(f"{name} needs at least {min_samples} sample(s); got {arr.shape[0]}.")
    bad = ~np.isfinite(arr)
    if bad.any():
        flat_bad = np.flatnonzero(bad.reshape(arr.shape[0], -1).any(axis=1))
        first = int(flat_bad[0])
        n_nan, n_inf = int(np.isnan(arr).sum()), int(np.isinf(arr).sum())
        raise LabelError(
            f"{name} contains {n_nan} NaN and {n_inf} infinite value(s) "
            f"(first at index {first}: {arr[first].tolist()!r}); drop or impute those samples first."
        )
    return arr


def check_same_length(**arrays: object) -> int:
    """Check that all arrays have the same first dimension and return it.

    Raises :class:`ShapeError` naming every array with its shape.
    """
    shapes = {name: np.shape(to_numpy(a)) for name, a in arrays.items()}
    lengths = {name: (s[0] if s else None) for name, s in shapes.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{n} has shape {s}" for n, s in shapes.items())
        raise ShapeError(f"Inputs must have the same number of samples: {described}.")
    first = next(iter(lengths.values()), 0)
    return int(first or 0)


def check_is_fitted(obj: object, attributes: Sequence[str]) -> None:
    """Raise :class:`NotFittedError` unless ``obj`` has every one of ``attributes``."""
    if not all(hasattr(obj, a) for a in attributes):
        raise NotFittedError(
            f"This {type(obj).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this object."
        )


def _first_non_number(arr: np.ndarray) -> str:
    """``"got 'abc' at index 3 (dtype object)"``: the first value that is not a number (0-based)."""
    for index, value in enumerate(arr.flat):
        try:
            float(value)
        except (TypeError, ValueError):
            return f"got {value!r} at index {index} (dtype {arr.dtype})"
    return f"got dtype {arr.dtype}"  # pragma: no cover - astype failed, so some value is not a number
