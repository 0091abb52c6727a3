"""The training device (``"auto"``, clear errors without CUDA) and mixed precision (autocast)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from dirkit.exceptions import ConfigError

if TYPE_CHECKING:
    from dirkit.engine._config import TrainConfig

__all__ = ["Precision", "precision_for", "resolve_device"]


def resolve_device(name: str) -> torch.device:
    """The torch device of ``TrainConfig.device``: ``"auto"`` is CUDA when visible, else the CPU.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    text = str(name).strip()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(text)
    except RuntimeError:
        raise ConfigError(f"Unknown device {name!r}; use cpu, cuda, cuda:N or auto.") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
            raise ConfigError(
                f"Device {name!r} asked for, but no CUDA device is visible (torch {torch.__version__}, "
                f"{build}); use --device cpu, or --device auto to take CUDA only where it exists."
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(
                f"Device {name!r}: only {torch.cuda.device_count()} CUDA device(s) are visible "
                f"(cuda:0..cuda:{torch.cuda.device_count() - 1})."
            )
    elif device.type != "cpu":
        raise ConfigError(f"Device {name!r} is not supported; use cpu, cuda, cuda:N or auto.")
    return device


@dataclass(frozen=True)
class Precision:
    """Autocast settings of the training steps.

    Attributes
    ----------
    device_type : {"cuda", "cpu"}
    dtype : torch.dtype
        ``torch.float16`` or ``torch.bfloat16``.
    grad_scaler : bool
        Scale the loss (``torch.amp.GradScaler``) against float16 gradient underflow.
    """

    device_type: str
    dtype: torch.dtype
    grad_scaler: bool


def precision_for(config: TrainConfig, device: torch.device) -> Precision | None:
    """The autocast settings of ``config.amp`` on ``device`` (None: full float32).

    CUDA takes float16 with a gradient scaler by default (``amp_dtype="auto"``) or bfloat16;
    the CPU takes bfloat16 only.

    Examples
    --------
    >>> from dirkit.engine import TrainConfig
    >>> precision_for(TrainConfig(amp=True), torch.device("cpu")).dtype
    torch.bfloat16
    """
    if config.amp_dtype not in ("auto", "float16", "bfloat16"):
        raise ConfigError(
            f"TrainConfig.amp_dtype must be 'auto', 'float16' or 'bfloat16'; got {config.amp_dtype!r}."
        )
    if not config.amp:
        return None
    if device.type == "cuda":
        dtype = torch.bfloat16 if config.amp_dtype == "bfloat16" else torch.float16
        return Precision("cuda", dtype, grad_scaler=dtype == torch.float16)
    if config.amp_dtype == "float16":
        raise ConfigError(
            "amp with amp_dtype='float16' needs a CUDA device; on the CPU use amp_dtype='bfloat16' "
            "(or 'auto'), or amp=false."
        )
    return Precision("cpu", torch.bfloat16, grad_scaler=False)
