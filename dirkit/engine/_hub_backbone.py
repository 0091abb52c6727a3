"""Backbones by name from torchvision or timm (``"torchvision:resnet50"``, ``"timm:resnet50@pretrained"``).

Neither package is a dependency of dirkit; the CPU-only torch build used by the project's
tests has neither (a torchvision wheel must match the torch build exactly). When the package
does not import, the spec fails with a one-line :class:`~dirkit.exceptions.ConfigError` that
names the package and the fix, before any data is loaded.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from torch import nn

from dirkit.exceptions import ConfigError

__all__ = ["HUB_PACKAGES", "hub_backbone", "is_hub_spec"]

#: Package name -> how to build a feature extractor from it.
HUB_PACKAGES = ("torchvision", "timm")

#: Attributes that hold a torchvision model's classifier, replaced by ``nn.Identity``.
_CLASSIFIERS = ("fc", "classifier", "heads", "head")


def is_hub_spec(spec: str) -> bool:
    """Whether ``spec`` names a torchvision or timm model (``"PACKAGE:MODEL[@WEIGHTS]"``)."""
    package, sep, _ = spec.partition(":")
    return bool(sep) and package.strip() in HUB_PACKAGES


def _import(package: str, spec: str) -> Any:
    try:
        return importlib.import_module(package)
    except ModuleNotFoundError as error:
        if error.name != package and error.name is not None and not error.name.startswith(package + "."):
            reason = f"it is installed but needs {error.name!r}, which is missing"
        else:
            reason = "it is not installed"
    except Exception as error:  # a wheel built for another torch: ImportError, RuntimeError, ...
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:160]
        reason = f"it is installed but does not import ({type(error).__name__}: {first})"
    import torch

    raise ConfigError(
        f"Backbone {spec!r} needs the {package} package, but {reason}; install the {package} "
        f"release built for torch {torch.__version__} (pip install {package}), or use the built-in "
        "ResNet: --backbone resnet --train-arg resnet_depth=50."
    )


def _split(spec: str) -> tuple[str, str, str | None]:
    package, _, rest = spec.partition(":")
    name, at, weights = rest.strip().partition("@")
    if not name.strip() or (at and not weights.strip()):
        raise ConfigError(
            f"A named backbone looks like PACKAGE:MODEL or PACKAGE:MODEL@WEIGHTS with PACKAGE "
            f"torchvision or timm (e.g. torchvision:resnet50, timm:resnet50@pretrained); got {spec!r}."
        )
    return package.strip(), name.strip(), weights.strip() if at else None


def _known(package: str, module: Any, name: str, spec: str) -> None:
    """Refuse a model name the package does not list (when it can list its models)."""
    lister = getattr(getattr(module, "models", None), "list_models", None) if package == "torchvision" \
        else getattr(module, "list_models", None)
    if lister is None:
        return
    names = list(lister())
    if names and name not in names and not (package == "timm" and name.split(".")[0] in names):
        import difflib

        close = difflib.get_close_matches(name, names, n=5)
        hint = f"; close: {', '.join(close)}" if close else ""
        raise ConfigError(f"{package} has no model {name!r} (backbone {spec!r}){hint}.")


def _strip_classifier(model: nn.Module, spec: str) -> nn.Module:
    for attribute in _CLASSIFIERS:
        if isinstance(getattr(model, attribute, None), nn.Module):
            setattr(model, attribute, nn.Identity())
            return model
    raise ConfigError(
        f"Cannot find the classifier of {spec!r} (none of {', '.join(_CLASSIFIERS)}); wrap the model "
        "in your own MODULE:CALLABLE factory that returns its feature extractor."
    )


def hub_backbone(spec: str) -> Callable[[tuple[int, ...]], nn.Module]:
    """A backbone factory for ``"torchvision:MODEL[@WEIGHTS]"`` or ``"timm:MODEL[@pretrained]"``.

    The package is imported (and the model name checked) now; the factory, called with the
    per-sample input shape ``(C, H, W)``, builds the model without its classifier, so it maps
    images to pooled features. torchvision: ``torchvision.models.get_model(MODEL,
    weights=WEIGHTS)`` (``@pretrained`` is ``weights="DEFAULT"``) with its ``fc`` /
    ``classifier`` / ``heads`` replaced by ``nn.Identity`` (3-channel inputs only). timm:
    ``timm.create_model(MODEL, pretrained=..., num_classes=0, in_chans=C)``. Pretrained
    weights are fetched by the package itself (a machine without network needs them cached).

    Raises
    ------
    ConfigError
        When the package does not import (naming it and the fix), or has no such model.
    """
    package, name, weights = _split(spec)
    module = _import(package, spec)
    _known(package, module, name, spec)

    def factory(shape: tuple[int, ...]) -> nn.Module:
        if package == "timm":
            pretrained = weights is not None and weights.lower() in ("pretrained", "true", "default")
            model: nn.Module = module.create_model(name, pretrained=pretrained, num_classes=0,
                                                   in_chans=shape[0])
            return model
        if len(shape) == 3 and shape[0] != 3:
            raise ConfigError(
                f"torchvision models take 3-channel images; backbone {spec!r} got inputs of shape "
                f"{shape}. Use timm (in_chans is set) or the built-in ResNet."
            )
        chosen = "DEFAULT" if weights is not None and weights.lower() == "pretrained" else weights
        return _strip_classifier(module.models.get_model(name, weights=chosen), spec)

    factory.__qualname__ = factory.__name__ = name + ("" if weights is None else f"@{weights}")
    factory.__module__ = package
    return factory
