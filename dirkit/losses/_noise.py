"""The noise scale sigma of Balanced MSE (Ren et al., CVPR 2022): learnable or fixed."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from dirkit._validation import Interval, validate_parameter_constraints
from dirkit.exceptions import ShapeError

__all__ = ["noise_variance", "register_noise_sigma"]


def noise_variance(noise_sigma: float | Tensor, like: Tensor) -> Tensor:
    """Return ``sigma^2`` as a 0-d tensor in the dtype and on the device of ``like``.

    A tensor ``noise_sigma`` keeps its graph, so a learnable sigma gets gradients.

    Examples
    --------
    >>> noise_variance(2.0, torch.zeros(3))
    tensor(4.)
    """
    if isinstance(noise_sigma, Tensor):
        if noise_sigma.numel() != 1:
            raise ShapeError(
                f"noise_sigma must be a scalar; got a tensor of shape {tuple(noise_sigma.shape)}."
            )
        sigma = noise_sigma.reshape(()).to(like.dtype)
    else:
        validate_parameter_constraints(
            {"noise_sigma": [Interval(float, 0, None, closed="neither")]},
            {"noise_sigma": noise_sigma},
            "Balanced MSE",
        )
        sigma = torch.tensor(float(noise_sigma), dtype=like.dtype, device=like.device)
    return sigma.square()


def register_noise_sigma(module: nn.Module, init_noise_sigma: float, learn_noise: bool) -> None:
    """Give ``module`` a ``noise_sigma`` attribute: an ``nn.Parameter`` or a fixed buffer.

    A learnable sigma must be added to the optimiser (the paper trains it with its own learning
    rate); a buffer still follows ``.to(device)`` and is saved in the ``state_dict``.

    Examples
    --------
    >>> m = nn.Module()
    >>> register_noise_sigma(m, 1.5, learn_noise=True)
    >>> [name for name, _ in m.named_parameters()]
    ['noise_sigma']
    """
    validate_parameter_constraints(
        {"init_noise_sigma": [Interval(float, 0, None, closed="neither")]},
        {"init_noise_sigma": init_noise_sigma},
        type(module).__name__,
    )
    value = torch.tensor(float(init_noise_sigma))
    if learn_noise:
        module.noise_sigma = nn.Parameter(value)
    else:
        module.register_buffer("noise_sigma", value)
