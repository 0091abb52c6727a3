"""Every registered loss against the contract checks, one item per (loss, check)."""

from typing import ClassVar

import pytest
import torch

import dirkit.losses
from dirkit.losses import LOSSES, LossModule
from dirkit.testing import LOSS_CHECKS, check_loss

CASES = [pytest.param(name, check, id=f"{name}-{check}") for name in LOSSES.names() for check in LOSS_CHECKS]


@pytest.mark.parametrize(("name", "check"), CASES)
def test_loss_contract(name, check):
    outcome = check_loss(LOSSES.get(name), checks=[check])
    if outcome[check] == "xfail":
        pytest.xfail(LOSSES.get(name)._xfail_checks[check])


def test_every_loss_module_is_registered_and_exported():
    registered = {LOSSES.get(name) for name in LOSSES.names()}
    exported = {getattr(dirkit.losses, name) for name in dirkit.losses.__all__}
    modules = {obj for obj in exported if isinstance(obj, type) and issubclass(obj, LossModule)}
    assert modules - {LossModule} == registered


class _OrderDependentLoss(LossModule):
    """A broken loss: it weighs samples by their position in the batch."""

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, pred, target, weight=None):
        position = torch.arange(1, pred.shape[0] + 1, dtype=pred.dtype)
        per_sample = position * (pred - target).square()
        if weight is not None:
            per_sample = per_sample * weight
        return per_sample if self.reduction == "none" else per_sample.mean()

    @classmethod
    def _example_inputs(cls, n, *, dtype, generator):
        return {
            "pred": torch.randn(n, dtype=dtype, generator=generator),
            "target": torch.randn(n, dtype=dtype, generator=generator),
        }


def test_check_loss_catches_a_broken_loss():
    with pytest.raises(AssertionError, match="permutation_invariant"):
        check_loss(_OrderDependentLoss)
    assert check_loss(_OrderDependentLoss, checks=["finite_scalar"]) == {"finite_scalar": "passed"}


def test_a_stale_expected_failure_is_reported():
    class Declared(_OrderDependentLoss):
        _xfail_checks: ClassVar[dict[str, str]] = {"finite_scalar": "not really failing"}

    with pytest.raises(AssertionError, match="remove the declaration"):
        check_loss(Declared, checks=["finite_scalar"])


def test_a_declared_failure_that_fails_is_reported_as_xfail():
    class Declared(_OrderDependentLoss):
        _xfail_checks: ClassVar[dict[str, str]] = {"permutation_invariant": "order matters"}

    assert check_loss(Declared(), checks=["permutation_invariant"]) == {"permutation_invariant": "xfail"}


def test_check_loss_accepts_instances_and_factories_and_rejects_unknown_checks():
    assert check_loss(lambda: LOSSES.get("mse")(), checks=["batch_of_one"])["batch_of_one"]
    with pytest.raises(ValueError, match="Unknown loss checks"):
        check_loss(LOSSES.get("mse"), checks=["no_such_check"])
    with pytest.raises(TypeError, match="_example_inputs"):
        check_loss(torch.nn.MSELoss())
