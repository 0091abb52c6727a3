"""Model files: a fitted method as a state dict plus JSON, read with ``torch.load(weights_only=True)``."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from dirkit.datasets import DatasetSplits
from dirkit.engine._config import TrainConfig
from dirkit.engine._precision import resolve_device
from dirkit.engine._user_backbone import describe_backbone, import_backbone
from dirkit.exceptions import CheckpointError, ConfigError
from dirkit.labels import UniformBinner
from dirkit.methods import build_plan
from dirkit.methods._plan import LabelContext
from dirkit.nn import DIROutput

if TYPE_CHECKING:
    from dirkit.engine._fit import FittedMethod
    from dirkit.engine._precision import resolve_device
from dirkit.engine._user_backbone import BackboneSpec

__all__ = ["MODEL_FORMAT", "load_fitted", "load_model", "save_fitted"]

#: The ``format`` entry of a dirkit model file, and its version.
MODEL_FORMAT = ("dirkit-model", 1)


def _encode(value: Any, where: str) -> Any:
    """Plain JSON of a head attribute; dirkit dataclasses (a prediction rule) by class and fields."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _encode(v, f"{where}.{k}") for k, v in value.items()}
    cls = type(value)
    if dataclasses.is_dataclass(value) and cls.__module__.startswith("dirkit."):
        fields = {f.name: _encode(getattr(value, f.name), f"{where}.{f.name}")
                  for f in dataclasses.fields(value)}
        return {"__dataclass__": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    raise ConfigError(
        f"Cannot save the head's validation choice {where} of type {cls.__name__} in a model file "
        "(plain values and dirkit dataclasses only)."
    )


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__dataclass__" not in value:
        return {k: _decode(v) for k, v in value.items()}
    module_name, _, name = str(value["__dataclass__"]).partition(":")
    if not module_name.startswith("dirkit."):  # never import what a file names outside dirkit
        raise CheckpointError(f"A model file names the class {value['__dataclass__']!r}; not a dirkit class.")
    cls = importlib.import_module(module_name)
    for part in name.split("."):
        cls = getattr(cls, part)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise CheckpointError(
            f"A model file names {value['__dataclass__']!r}, which is not a dirkit dataclass."
        )
    return cls(**{k: _decode(v) for k, v in value["fields"].items()})


def _split_seed(data: DatasetSplits) -> int | None:
    """The seed of the data's split when its loader had one (``info["split_seed"]``), else None."""
    value = data.info.get("split_seed")
    return int(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else None


def save_fitted(fitted: FittedMethod, path: Path) -> Path:
    """Write ``fitted`` to ``path`` atomically (see :meth:`FittedMethod.save`)."""
    if fitted.method is None:
        raise ConfigError(
            "This model was trained from a hand-made plan (fit_plan); only models of "
            "fit_method / run_experiment / dirkit train, which know their method spec, can be saved."
        )
    context = fitted.context
    x = context.x_train
    data = context.data
    spec = {
        "method": fitted.method,
        "overrides": fitted.overrides or {},
        "train": fitted.config.to_dict(),
        "seed": context.seed,
        "regression_units": context.regression_units,
        "input": {"shape": list(x.shape[1:]), "dtype": str(x.dtype)},
        "dataset": {"name": data.name, "bin_width": data.bin_width, "label_range": list(data.label_range),
                    "token_vectors": None if data.token_vectors is None else list(data.token_vectors.shape),
                    "split_seed": _split_seed(data)},
        "backbone": None if fitted.backbone is None else describe_backbone(fitted.backbone),
        "head_state": {k: _encode(v, k) for k, v in fitted.head_state.items()},
    }
    state = {
        "format": MODEL_FORMAT[0],
        "version": MODEL_FORMAT[1],
        "spec": json.dumps(spec, sort_keys=True, default=str),
        "model": fitted.model.state_dict(),  # read back with map_location="cpu"
        "y_train": torch.as_tensor(np.asarray(context.y_train, dtype=np.float64)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)
    return path


def _read(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"No model file at {path}.") from None
    except Exception as error:  # UnpicklingError, a truncated zip, ...: never run its code
        raise CheckpointError(
            f"Model file {path} cannot be loaded safely ({type(error).__name__}); it is corrupt or "
            "not a dirkit model file."
        ) from None
    if not isinstance(state, dict) or state.get("format") != MODEL_FORMAT[0]:
        raise CheckpointError(f"{path} is not a dirkit model file (FittedMethod.save writes them).")
    if state.get("version") != MODEL_FORMAT[1]:
        raise CheckpointError(
            f"Model file {path} has format version {state.get('version')!r}; this dirkit reads "
            f"version {MODEL_FORMAT[1]}."
        )
    return state, json.loads(state["spec"])


def _check_backbone(saved: dict[str, Any] | None, given: BackboneSpec | str | None, path: Path) -> None:
    if saved is None and given is not None:
        raise ConfigError(f"Model file {path} uses a built-in backbone; load it without backbone=.")
    if saved is not None and given is None:
        raise ConfigError(
            f"Model file {path} was trained with the backbone {saved['name']} ({saved['kind']}); pass "
            "that backbone again: FittedMethod.load(path, backbone=...) (the file holds its weights, "
            "not its code)."
        )
    if saved is not None and given is not None:
        name = describe_backbone(given)["name"]
        if name != saved["name"]:
            raise ConfigError(
                f"Model file {path} was trained with the backbone {saved['name']}; got {name}."
            )


def load_fitted(
    path: Path, *, backbone: BackboneSpec | str | None = None, device: str = "cpu"
) -> FittedMethod:
    """Rebuild a fitted method from ``path`` (see :meth:`FittedMethod.load`)."""
    from dirkit.engine._fit import FittedMethod, build_model, stage_sequence

    state, spec = _read(path)
    _check_backbone(spec["backbone"], backbone, path)
    factory = import_backbone(backbone) if isinstance(backbone, str) else backbone
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    train: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                             for k, v in spec["train"].items() if k in fields}
    config = TrainConfig(**train)
    y_train = state["y_train"].numpy().astype(np.float64)
    dataset = spec["dataset"]
    shape = dataset["token_vectors"]
    vectors = None if shape is None else np.zeros(shape, dtype=np.float32)
    fill = np.ones if vectors is not None else np.zeros  # token inputs: id 1, not all padding
    x = fill((2, *spec["input"]["shape"]), dtype=np.dtype(spec["input"]["dtype"]))  # shapes only
    skeleton = DatasetSplits(
        name=dataset["name"], x_train=x, y_train=y_train[:2], x_val=x, y_val=y_train[:2], x_test=x,
        y_test=y_train[:2], bin_width=dataset["bin_width"], label_range=tuple(dataset["label_range"]),
        token_vectors=vectors,
        info={} if dataset.get("split_seed") is None else {"split_seed": int(dataset["split_seed"])},
    )
    binner = UniformBinner(width=skeleton.bin_width, range=skeleton.label_range).fit(y_train)
    context = LabelContext(data=skeleton, x_train=x, y_train=y_train, binner=binner, seed=int(spec["seed"]),
                           regression_units=spec["regression_units"])
    plan = build_plan(spec["method"], spec["overrides"] or None)
    plan.head.prepare(context)
    model = build_model(plan, context, config, factory)
    predict_output: Callable[[DIROutput], Tensor] = plan.head.predict
    for stage in stage_sequence(plan):
        if stage.prepare_model is not None:
            stage.prepare_model(model)
        predict_output = stage.predict or predict_output
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as error:
        raise CheckpointError(
            f"The weights in {path} do not fit the model rebuilt from its settings "
            f"({str(error).splitlines()[0][:200]}); was the backbone changed since?"
        ) from None
    head_state = {k: _decode(v) for k, v in spec["head_state"].items()}
    for name, value in head_state.items():
        setattr(plan.head, name, value)
    model.to(resolve_device(device)).eval()
    return FittedMethod(model, plan, context, predict_output, config=config, method=spec["method"],
                        overrides=spec["overrides"], backbone=backbone, head_state=head_state)


def load_model(
    path: str | Path, *, backbone: BackboneSpec | str | None = None, device: str = "cpu"
) -> FittedMethod:
    """A model saved by :meth:`FittedMethod.save` (or ``dirkit train --save-model``).

    Same as :meth:`FittedMethod.load`.

    Examples
    --------
    >>> from dirkit.datasets import make_synthetic
    >>> from dirkit.engine import TrainConfig, fit_method
    >>> import tempfile, pathlib, numpy as np
    >>> data = make_synthetic(0, scale=0.05)
    >>> fitted = fit_method(data, "sqinv+lds", train_config=TrainConfig(epochs=1))
    >>> path = fitted.save(pathlib.Path(tempfile.mkdtemp()) / "model.pt")
    >>> bool((load_model(path).predict(data.x_test) == fitted.predict(data.x_test)).all())
    True
    """
    return load_fitted(Path(path), backbone=backbone, device=device)
