"""Contract checks for loss Modules: ``check_loss`` runs them, ``LOSS_CHECKS`` names them.

A loss passes when, on a random batch built by its ``_example_inputs`` (see
:class:`dirkit.losses.LossModule`):

- ``finite_scalar``: the output is a finite 0-d tensor of the input dtype;
- ``gradient_reaches_input``: backward gives ``_grad_input`` a finite, non-zero gradient;
- ``weight_none_equals_ones``: ``weight=None`` equals ``weight=ones``;
- ``permutation_invariant``: permuting the batch leaves the loss unchanged;
- ``batch_of_one``: one sample works, or raises ShapeError when ``_min_batch_size > 1``;
- ``float32_and_float64``: both dtypes work and agree;
- ``reduction_none_shape``: ``reduction="none"`` gives shape (N,) whose mean and sum are the
  ``"mean"`` and ``"sum"`` reductions.

A component that cannot meet a check declares it in ``_xfail_checks = {check: reason}``; the
check then must fail, and passing it is reported as a stale declaration.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import Tensor, nn

from dirkit.exceptions import ShapeError

__all__ = ["LOSS_CHECKS", "check_loss"]

LOSS_CHECKS = (
    "finite_scalar",
    "gradient_reaches_input",
    "weight_none_equals_ones",
    "permutation_invariant",
    "batch_of_one",
    "float32_and_float64",
    "reduction_none_shape",
)

InputsFactory = Callable[..., dict[str, Tensor]]


@dataclass(frozen=True)
class _Subject:
    name: str
    build: Callable[[], nn.Module]
    example_inputs: InputsFactory
    grad_input: str
    min_batch_size: int
    xfail_checks: dict[str, str]
    n_samples: int
    seed: int

    def inputs(self, n: int, dtype: torch.dtype = torch.float64) -> dict[str, Tensor]:
        generator = torch.Generator().manual_seed(self.seed)
        return self.example_inputs(n, dtype=dtype, generator=generator)

    def fail(self, check: str, message: str) -> AssertionError:
        return AssertionError(f"{self.name} fails check {check!r}: {message}")


def _resolve(loss: Any, n_samples: int, seed: int) -> _Subject:
    if isinstance(loss, nn.Module):
        cls: type = type(loss)
        build: Callable[[], nn.Module] = lambda: copy.deepcopy(loss)  # noqa: E731
    elif isinstance(loss, type) and issubclass(loss, nn.Module):
        init_kwargs: dict[str, Any] = getattr(loss, "_example_init_kwargs", dict)()
        cls, build = loss, lambda: loss(**init_kwargs)
    elif callable(loss):
        cls, build = type(loss()), loss
    else:
        raise TypeError(
            f"check_loss takes an nn.Module, a Module class or a factory; got {type(loss).__name__}."
        )
    example_inputs = getattr(cls, "_example_inputs", None)
    if example_inputs is None:
        raise TypeError(
            f"{cls.__name__} has no _example_inputs(n, *, dtype, generator) classmethod; add one "
            "returning the keyword arguments of forward (see dirkit.losses.LossModule)."
        )
    return _Subject(
        name=cls.__name__,
        build=build,
        example_inputs=example_inputs,
        grad_input=getattr(cls, "_grad_input", "pred"),
        min_batch_size=getattr(cls, "_min_batch_size", 1),
        xfail_checks=dict(getattr(cls, "_xfail_checks", {})),
        n_samples=n_samples,
        seed=seed,
    )


def _evaluate(module: nn.Module, inputs: dict[str, Tensor], **extra: Any) -> Tensor:
    output = module(**inputs, **extra)
    if not isinstance(output, Tensor):
        raise AssertionError(f"forward returned {type(output).__name__}, not a Tensor.")
    return output


def _finite_scalar(subject: _Subject) -> None:
    inputs = subject.inputs(subject.n_samples, torch.float32)
    value = _evaluate(subject.build(), inputs)
    if value.ndim != 0 or not torch.isfinite(value) or value.dtype != torch.float32:
        raise subject.fail(
            "finite_scalar", f"expected a finite float32 scalar, got {value!r} ({value.dtype})."
        )


def _gradient_reaches_input(subject: _Subject) -> None:
    inputs = subject.inputs(subject.n_samples)
    leaf = inputs[subject.grad_input].requires_grad_(True)
    _evaluate(subject.build().double(), inputs).backward()
    grad = leaf.grad
    if grad is None or not bool(torch.isfinite(grad).all()) or not bool((grad != 0).any()):
        raise subject.fail("gradient_reaches_input", f"gradient of {subject.grad_input!r} is {grad!r}.")


def _weight_none_equals_ones(subject: _Subject) -> None:
    module, inputs = subject.build().double(), subject.inputs(subject.n_samples)
    unweighted = _evaluate(module, inputs)
    ones = torch.ones(subject.n_samples, dtype=torch.float64)
    weighted = _evaluate(module, inputs, weight=ones)
    if not torch.allclose(unweighted, weighted, rtol=1e-10, atol=1e-12):
        raise subject.fail("weight_none_equals_ones", f"{unweighted} != {weighted}.")


def _permutation_invariant(subject: _Subject) -> None:
    module, inputs = subject.build().double(), subject.inputs(subject.n_samples)
    order = torch.randperm(subject.n_samples, generator=torch.Generator().manual_seed(subject.seed))
    permuted = {name: value[order] for name, value in inputs.items()}
    original, shuffled = _evaluate(module, inputs), _evaluate(module, permuted)
    if not torch.allclose(original, shuffled, rtol=1e-8, atol=1e-10):
        raise subject.fail("permutation_invariant", f"{original} before, {shuffled} after.")


def _batch_of_one(subject: _Subject) -> None:
    module, inputs = subject.build().double(), subject.inputs(1)
    if subject.min_batch_size <= 1:
        inputs[subject.grad_input].requires_grad_(True)
        value = _evaluate(module, inputs)
        value.backward()
        grad = inputs[subject.grad_input].grad
        if not torch.isfinite(value) or grad is None or not bool(torch.isfinite(grad).all()):
            raise subject.fail("batch_of_one", f"loss {value}, gradient {grad}.")
        return
    try:
        _evaluate(module, inputs)
    except ShapeError as error:
        if str(subject.min_batch_size) not in str(error):
            raise subject.fail(
                "batch_of_one", f"the ShapeError does not name the minimum batch: {error}"
            ) from error
        return
    raise subject.fail(
        "batch_of_one",
        f"_min_batch_size is {subject.min_batch_size} but a batch of one raised no ShapeError.",
    )


def _float32_and_float64(subject: _Subject) -> None:
    inputs64 = subject.inputs(subject.n_samples)
    inputs32 = {k: v.float() if v.is_floating_point() else v for k, v in inputs64.items()}
    value32 = _evaluate(subject.build().float(), inputs32)
    value64 = _evaluate(subject.build().double(), inputs64)
    if value32.dtype != torch.float32 or value64.dtype != torch.float64:
        raise subject.fail("float32_and_float64", f"dtypes {value32.dtype}, {value64.dtype}.")
    if not torch.allclose(value32.double(), value64, rtol=1e-3, atol=1e-5):
        raise subject.fail("float32_and_float64", f"float32 {value32} vs float64 {value64}.")


def _reduction_none_shape(subject: _Subject) -> None:
    inputs = subject.inputs(subject.n_samples)
    values = {}
    for reduction in ("none", "mean", "sum"):
        module = subject.build().double()
        if not hasattr(module, "reduction"):
            raise subject.fail("reduction_none_shape", "the Module has no 'reduction' attribute.")
        cast(Any, module).reduction = reduction  # a plain attribute of the loss Module
        values[reduction] = _evaluate(module, inputs)
    per_sample = values["none"]
    if per_sample.shape != (subject.n_samples,):
        raise subject.fail("reduction_none_shape", f"got shape {tuple(per_sample.shape)}.")
    if not (
        torch.allclose(per_sample.mean(), values["mean"]) and torch.allclose(per_sample.sum(), values["sum"])
    ):
        raise subject.fail("reduction_none_shape", "mean/sum of 'none' differ from the reductions.")


_CHECK_FUNCTIONS: dict[str, Callable[[_Subject], None]] = {
    "finite_scalar": _finite_scalar,
    "gradient_reaches_input": _gradient_reaches_input,
    "weight_none_equals_ones": _weight_none_equals_ones,
    "permutation_invariant": _permutation_invariant,
    "batch_of_one": _batch_of_one,
    "float32_and_float64": _float32_and_float64,
    "reduction_none_shape": _reduction_none_shape,
}


def check_loss(
    loss: Any,
    *,
    checks: Iterable[str] | None = None,
    n_samples: int = 8,
    seed: int = 0,
) -> dict[str, str]:
    """Run the loss contract checks on ``loss``; raise AssertionError on the first failure.

    Parameters
    ----------
    loss : nn.Module, nn.Module subclass, or callable returning an nn.Module
        The loss. A class is built with its ``_example_init_kwargs()`` (or with no arguments);
        a module instance is deep-copied for each check. Its class provides
        ``_example_inputs`` and optionally ``_grad_input``, ``_min_batch_size`` and
        ``_xfail_checks`` (see :class:`dirkit.losses.LossModule`).
    checks : iterable of str, optional
        Names from ``LOSS_CHECKS`` to run; all by default.
    n_samples : int
        Batch size of the example batch (at least 2).
    seed : int
        Seed of the ``torch.Generator`` behind the example batch and the permutation.

    Returns
    -------
    dict of str to str
        For each check run: ``"passed"``, or ``"xfail"`` for a declared expected failure that
        did fail.

    Examples
    --------
    >>> from dirkit.losses import MSELoss, RankSimLoss
    >>> check_loss(MSELoss, checks=["finite_scalar", "batch_of_one"])
    {'finite_scalar': 'passed', 'batch_of_one': 'passed'}
    >>> check_loss(RankSimLoss(), checks=["reduction_none_shape"])
    {'reduction_none_shape': 'xfail'}
    """
    subject = _resolve(loss, n_samples, seed)
    selected = list(LOSS_CHECKS if checks is None else checks)
    unknown = [name for name in selected if name not in _CHECK_FUNCTIONS]
    if unknown:
        raise ValueError(f"Unknown loss checks {unknown}; known: {', '.join(LOSS_CHECKS)}.")
    outcomes: dict[str, str] = {}
    for name in selected:
        if name not in subject.xfail_checks:
            _CHECK_FUNCTIONS[name](subject)
            outcomes[name] = "passed"
            continue
        try:
            _CHECK_FUNCTIONS[name](subject)
        except Exception:  # the declared failure happened, whatever its form
            outcomes[name] = "xfail"
            continue
        raise AssertionError(
            f"{subject.name} passes check {name!r}, which its _xfail_checks declares as an "
            f"expected failure ({subject.xfail_checks[name]!r}); remove the declaration."
        )
    return outcomes
