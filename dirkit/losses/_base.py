"""The small protocol every registered loss Module follows, so contract checks can drive it."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

__all__ = ["LossModule", "random_regression_batch"]


class LossModule(nn.Module, metaclass=abc.ABCMeta):
    """Base of the dirkit loss Modules: ``forward`` calls the loss function of the same file.

    Besides ``forward``, a subclass tells :func:`dirkit.testing.check_loss` how to exercise it:

    - ``_example_inputs(n, dtype=..., generator=...)`` returns the keyword arguments of
      ``forward`` for a valid random batch of ``n`` samples. Every value is a per-sample tensor
      whose first dimension is ``n`` (so permuting the batch permutes every value); data-set
      level inputs (a GMM, class priors) belong to the Module, not to the batch.
    - ``_example_init_kwargs()`` returns constructor arguments for a valid instance (default
      none); classes with required arguments (fitted priors, a mixture) override it.
    - ``_grad_input`` names the input that gradients must reach (``"pred"`` or ``"features"``).
    - ``_min_batch_size`` is the smallest batch accepted; a smaller batch raises
      :class:`~dirkit.exceptions.ShapeError` saying why.
    - ``_xfail_checks`` maps a contract check name to the reason it is expected to fail.

    Examples
    --------
    >>> from dirkit.losses import MSELoss
    >>> inputs = MSELoss._example_inputs(4, dtype=torch.float64, generator=torch.Generator())
    >>> sorted(inputs), MSELoss()(**inputs).ndim
    (['pred', 'target'], 0)
    """

    _xfail_checks: ClassVar[dict[str, str]] = {}
    _min_batch_size: ClassVar[int] = 1
    _grad_input: ClassVar[str] = "pred"

    @classmethod
    def _example_init_kwargs(cls) -> dict[str, Any]:
        """Constructor arguments of a valid instance; override when some are required."""
        return {}

    @classmethod
    @abc.abstractmethod
    def _example_inputs(cls, n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
        """Keyword arguments of ``forward`` for a valid random batch of ``n`` samples."""


def random_regression_batch(n: int, *, dtype: torch.dtype, generator: torch.Generator) -> dict[str, Tensor]:
    """A random ``pred``/``target`` pair of shape (n,), the example inputs of pointwise losses.

    Examples
    --------
    >>> batch = random_regression_batch(3, dtype=torch.float32, generator=torch.Generator())
    >>> batch["pred"].shape, batch["target"].dtype
    (torch.Size([3]), torch.float32)
    """
    target = 3.0 * torch.randn(n, dtype=dtype, generator=generator)
    pred = target + torch.randn(n, dtype=dtype, generator=generator)
    return {"pred": pred, "target": target}
