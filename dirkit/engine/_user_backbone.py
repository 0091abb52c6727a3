"""A user's own backbone: an ``nn.Module`` (or a factory of one) mapping inputs to features (N, d)."""

from __future__ import annotations

import copy
import hashlib
import importlib
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from dirkit.exceptions import ConfigError, ShapeError
from dirkit.methods._scaling import ImageNormalize, Standardize

__all__ = ["BackboneSpec", "UserBackbone", "build_user_backbone", "describe_backbone", "import_backbone"]

#: An ``nn.Module`` instance, or a factory called with the per-sample input shape
#: (``(d,)`` for vectors, ``(C, H, W)`` for images) that returns one.
BackboneSpec = nn.Module | Callable[[tuple[int, ...]], nn.Module]

_PROBE_ROWS = 2


def import_backbone(path: str) -> Callable[..., Any]:
    """The callable named by ``"package.module:callable"`` (``"pkg.mod:Outer.make"`` works too).

    ``"torchvision:MODEL[@WEIGHTS]"`` and ``"timm:MODEL[@pretrained]"`` name a model of those
    packages instead, without its classifier (see :func:`~dirkit.engine.hub_backbone`).

    Raises
    ------
    ConfigError
        Naming the part that cannot be imported or found, and the expected form; for torchvision
        and timm models, the package that does not import and how to install it.
    """
    from dirkit.engine._hub_backbone import hub_backbone, is_hub_spec

    if is_hub_spec(path):
        return hub_backbone(path)
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name.strip() or not attribute.strip():
        raise ConfigError(
            f"A backbone path must look like MODULE:CALLABLE (e.g. mypackage.models:make_backbone); "
            f"got {path!r}."
        )
    try:
        target: Any = importlib.import_module(module_name.strip())
    except ImportError as error:
        raise ConfigError(
            f"Cannot import module {module_name!r} of backbone {path!r} ({error}); put it on "
            "PYTHONPATH or install its package."
        ) from None
    for part in attribute.strip().split("."):
        if not hasattr(target, part):
            raise ConfigError(f"Module {module_name!r} has no attribute {attribute!r} (backbone {path!r}).")
        target = getattr(target, part)
    if not callable(target):
        raise ConfigError(f"Backbone {path!r} names a {type(target).__name__}, not a callable.")
    return target


def describe_backbone(spec: BackboneSpec | str) -> dict[str, Any]:
    """Plain-JSON description of a user backbone, recorded with results and checkpoints.

    A module instance is described by its class and a digest of its initial weights (two
    instances with other weights are other runs); a factory by its import path.
    """
    if isinstance(spec, str):
        return {"kind": "factory", "name": spec}
    if isinstance(spec, nn.Module):
        cls = type(spec)
        digest = hashlib.sha256()
        for key, tensor in spec.state_dict().items():
            digest.update(key.encode())
            digest.update(tensor.detach().cpu().reshape(-1).view(torch.uint8).numpy().tobytes())
        return {"kind": "module", "name": f"{cls.__module__}:{cls.__qualname__}",
                "parameters": sum(p.numel() for p in spec.parameters()),
                "weights_sha256": digest.hexdigest()[:16]}
    name = getattr(spec, "__qualname__", type(spec).__qualname__)
    return {"kind": "factory", "name": f"{getattr(spec, '__module__', '?')}:{name}"}


class UserBackbone(nn.Module):
    """A user's feature extractor behind dirkit's input normalisation.

    Parameters
    ----------
    net : nn.Module
        Maps a batch of (normalised) inputs to features of shape (N, ``feature_dim``).
    inputs : nn.Module
        :class:`~dirkit.methods.Standardize` (vectors), :class:`~dirkit.methods.ImageNormalize`
        (images) or ``nn.Identity`` (raw inputs).
    feature_dim : int
        Width of the features, inferred from a probe forward pass.
    """

    def __init__(self, net: nn.Module, inputs: nn.Module, feature_dim: int) -> None:
        super().__init__()
        self.inputs, self.net, self.feature_dim = inputs, net, feature_dim

    def forward(self, x: Tensor) -> Tensor:
        features = self.net(self.inputs(x))
        _check_output(features, len(x), self.net, expected=self.feature_dim)
        return features


def _check_output(features: Any, n: int, net: nn.Module, *, expected: int | None = None) -> None:
    name = type(net).__name__
    if not isinstance(features, Tensor):
        raise ShapeError(
            f"The backbone {name} must return a Tensor of features (N, d); it returned a "
            f"{type(features).__name__}. Wrap it so that forward returns the feature tensor."
        )
    if features.dim() != 2 or features.shape[0] != n:
        raise ShapeError(
            f"The backbone {name} must map a batch of {n} inputs to features of shape ({n}, d); "
            f"it returned shape {tuple(features.shape)}. End it with a flatten or pooling layer "
            "(e.g. nn.Flatten(), or nn.AdaptiveAvgPool2d(1) then nn.Flatten())."
        )
    if expected is not None and features.shape[1] != expected:
        raise ShapeError(
            f"The backbone {name} returned features of width {features.shape[1]}; it returned "
            f"{expected} when the model was built. Its output width must not change."
        )
    if not features.is_floating_point():
        raise ShapeError(f"The backbone {name} must return float features; got dtype {features.dtype}.")


def _input_layer(x_train: np.ndarray, mode: Literal["standardised", "raw"]) -> nn.Module:
    if mode == "raw" or x_train.ndim not in (2, 4) or not (
        np.issubdtype(x_train.dtype, np.floating) or x_train.dtype == np.uint8
    ):
        return nn.Identity()
    return ImageNormalize(x_train) if x_train.ndim == 4 else Standardize(x_train)


def build_user_backbone(
    spec: BackboneSpec,
    x_train: np.ndarray,
    *,
    inputs: Literal["standardised", "raw"] = "standardised",
) -> UserBackbone:
    """The user's backbone (an instance is deep-copied; a factory is called with the input shape),
    behind the input normalisation, with its feature width inferred on two training rows.

    Raises
    ------
    ConfigError
        When ``spec`` is neither a module nor a callable returning one.
    ShapeError
        When its output on a batch of training inputs is not a float tensor of shape (N, d).
    """
    from dirkit.datasets._batches import as_input_tensor

    if inputs not in ("standardised", "raw"):
        raise ConfigError(f"TrainConfig.backbone_inputs must be 'standardised' or 'raw'; got {inputs!r}.")
    if isinstance(spec, nn.Module):
        net = copy.deepcopy(spec)
    elif callable(spec):
        shape = tuple(int(s) for s in x_train.shape[1:])
        net = spec(shape)
        if not isinstance(net, nn.Module):
            raise ConfigError(
                f"The backbone factory {describe_backbone(spec)['name']} returned a "
                f"{type(net).__name__} for input shape {shape}; it must return a torch.nn.Module."
            )
    else:
        raise ConfigError(
            f"backbone must be a torch.nn.Module or a callable returning one; got {type(spec).__name__}."
        )
    layer = _input_layer(x_train, inputs)
    if len(x_train) == 0:
        raise ShapeError("The training split is empty; a backbone needs training inputs.")
    probe = as_input_tensor(x_train[:_PROBE_ROWS])
    parameter = next(net.parameters(), None)
    if parameter is not None:
        probe = probe.to(parameter.device)
        layer = layer.to(parameter.device)
    was_training = net.training
    net.eval()  # no batch-norm statistics are updated by the probe
    with torch.no_grad():
        features = net(layer(probe))
    net.train(was_training)
    _check_output(features, len(probe), net)
    width = int(features.shape[1])
    declared = getattr(net, "feature_dim", None)
    if isinstance(declared, int) and declared != width:
        raise ShapeError(
            f"The backbone {type(net).__name__} declares feature_dim={declared} but returns features "
            f"of width {width}; fix its feature_dim attribute or its last layer."
        )
    return UserBackbone(net, layer.cpu(), width)
