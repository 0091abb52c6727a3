"""Registering methods and composing them with ``+`` into a :class:`TrainingPlan`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dirkit._registry import METHODS
from dirkit.exceptions import ConfigError
from dirkit.methods._plan import TrainingPlan

__all__ = ["Method", "build_plan", "parse_method_spec", "register_method"]


@dataclass(frozen=True)
class Method:
    """A registered method: its config type and how it changes a plan.

    Attributes
    ----------
    name : str
    config_type : type
        A frozen dataclass whose defaults come from the method's paper.
    apply : callable
        ``apply(plan, config)``: writes the method into the plan.
    defines_head : bool
        True for methods that choose the head (at most one per composition).
    summary : str
        One line for ``dirkit list methods``.
    """

    name: str
    config_type: type
    apply: Callable[[TrainingPlan, Any], None]
    defines_head: bool
    summary: str


def register_method(
    name: str, config_type: type, *, defines_head: bool = False, summary: str
) -> Callable[[Callable[[TrainingPlan, Any], None]], Callable[[TrainingPlan, Any], None]]:
    """Decorate an ``apply(plan, config)`` function to register it in ``METHODS`` as ``name``."""
    if not dataclasses.is_dataclass(config_type):
        raise TypeError(f"config_type of {name!r} must be a dataclass; got {config_type!r}")

    def decorator(apply: Callable[[TrainingPlan, Any], None]) -> Callable[[TrainingPlan, Any], None]:
        METHODS.register(name)(Method(name, config_type, apply, defines_head, summary))
        return apply

    return decorator


def parse_method_spec(spec: str) -> list[Method]:
    """Split ``"sqinv+lds+fds"`` into registered methods, checking the composition.

    Raises :class:`~dirkit.exceptions.UnknownNameError` for an unknown name (listing the known
    ones) and :class:`~dirkit.exceptions.ConfigError` for a repeated name or two head methods.
    """
    names = [part.strip() for part in spec.split("+")]
    if not spec.strip() or "" in names:
        raise ConfigError(f"Empty method name in {spec!r}; write methods as 'a+b+c'.")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"Method spec {spec!r} repeats {', '.join(repeated)}.")
    methods = [METHODS.get(name) for name in names]
    heads = [m.name for m in methods if m.defines_head]
    if len(heads) > 1:
        raise ConfigError(
            f"Method spec {spec!r} combines {' and '.join(heads)}, which each define the head; "
            "keep one of them."
        )
    return methods


def _config_for(method: Method, overrides: Mapping[str, Any]) -> Any:
    valid = [f.name for f in dataclasses.fields(method.config_type)]
    unknown = sorted(set(overrides) - set(valid))
    if unknown:
        raise ConfigError(
            f"Unknown setting(s) {', '.join(unknown)} for method {method.name!r}; "
            f"valid: {', '.join(valid) or '(none)'}."
        )
    return method.config_type(**overrides)


def build_plan(
    spec: str, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> TrainingPlan:
    """Compose the methods of ``spec`` into a plan.

    Parameters
    ----------
    spec : str
        Registered names joined by ``+`` (``"sqinv+lds+fds"``, ``"hca-d+lds+ranksim"``).
    overrides : dict, optional
        ``{method_name: {field: value}}`` replacing config defaults.

    Returns
    -------
    TrainingPlan
    """
    from dirkit.methods._regression_head import RegressionStrategy

    methods = parse_method_spec(spec)
    overrides = dict(overrides or {})
    stray = sorted(set(overrides) - {m.name for m in methods})
    if stray:
        raise ConfigError(
            f"Settings given for {', '.join(stray)}, which is not in the method spec {spec!r}."
        )
    plan = TrainingPlan(head=RegressionStrategy())
    for method in sorted(methods, key=lambda m: not m.defines_head):  # the head first
        config = _config_for(method, overrides.get(method.name, {}))
        method.apply(plan, config)
        plan.configs[method.name] = dataclasses.asdict(config)
    return plan
