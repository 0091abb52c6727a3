"""One (dataset, method, seed) run: train, select on validation, evaluate on test."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dirkit.datasets import DatasetSplits
from dirkit.engine._config import RunResult, TrainConfig
from dirkit.engine._degenerate import check_degenerate_fit
from dirkit.engine._fit import FittedMethod, fit_plan
from dirkit.engine._user_backbone import BackboneSpec, describe_backbone, import_backbone
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.methods import build_plan, parse_method_spec
from dirkit.metrics import shot_metrics

__all__ = ["check_method_spec", "fit_method", "run_experiment"]


def check_method_spec(spec: str) -> list[str]:
    """Validate a method spec such as ``"sqinv+lds+fds"`` and return its method names.

    Raises :class:`~dirkit.exceptions.UnknownNameError` listing the registered methods for an
    unknown name, :class:`~dirkit.exceptions.ConfigError` for an invalid composition.
    """
    return [method.name for method in parse_method_spec(spec)]


def fit_method(
    data: DatasetSplits,
    method: str,
    *,
    seed: int = 0,
    train_config: TrainConfig | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool = False,
    checkpoint_dir: Path | None = None,
    sample_weight: np.ndarray | None = None,
    select_on_val: bool = True,
    backbone: BackboneSpec | str | None = None,
    callbacks: Sequence[object] = (),
    log_csv: Path | None = None,
    tensorboard_dir: Path | None = None,
) -> FittedMethod:
    """Train ``method`` on ``data`` and return the fitted model (see :func:`run_experiment`).

    The parameters other than the two below are those of :func:`run_experiment`.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_train,), optional
        Non-negative weights of the training rows, multiplied into the method's own sample
        weights (LDS, inverse frequency) in every stage. Not with resampling methods (smoter,
        smogn), whose synthetic rows have no weight.
    select_on_val : bool
        False: never read the validation split; every stage keeps its last epoch.
    """
    config = train_config or TrainConfig()
    factory = resolve_backbone(backbone)
    plan = build_plan(method, overrides)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, data, plan.resampler, method)
    with torch.random.fork_rng():  # seeded model init without touching the caller's RNG
        torch.manual_seed(seed)
        fitted = fit_plan(plan, data, config, seed=seed, progress=progress,
                          checkpoint_dir=checkpoint_dir, description=method,
                          sample_weight=sample_weight, select_on_val=select_on_val, backbone=factory,
                          callbacks=callbacks, log_csv=log_csv, tensorboard_dir=tensorboard_dir)
    fitted.method = method
    fitted.overrides = {k: dict(v) for k, v in (overrides or {}).items()}
    if isinstance(backbone, str):
        fitted.backbone = backbone  # saved model files name the import path
    return fitted


def resolve_backbone(backbone: BackboneSpec | str | None) -> BackboneSpec | None:
    """``backbone`` itself, or the callable a ``"module:callable"`` string names."""
    return import_backbone(backbone) if isinstance(backbone, str) else backbone


def _check_sample_weight(
    sample_weight: np.ndarray, data: DatasetSplits, resampler: object, method: str
) -> np.ndarray:
    if resampler is not None:
        raise ConfigError(
            f"Method {method!r} resamples the training set, so per-row sample_weight cannot "
            "follow the synthetic rows; drop sample_weight or use a re-weighting method."
        )
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != data.y_train.shape:
        raise ShapeError(
            f"sample_weight must have shape {data.y_train.shape} (one per training row); "
            f"got {weights.shape}."
        )
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ConfigError("sample_weight must hold finite, non-negative values.")
    return weights


def _collapse_fix(fitted: FittedMethod, config: TrainConfig) -> str:
    """The advice of the degenerate-fit warning for this run."""
    plan = fitted.plan
    if plan.regression_loss_in_label_units:
        return (f"the loss {plan.regression_loss_name!r} has parameters in label units and trains in label "
                "units; rescale the target to units of order 1, or set those parameters on its scale")
    if config.regression_units == "label" and plan.head.uses_regression_loss:
        return ("a loss in label units on a small target scale is outweighed by weight decay; train in "
                "standardised units (TrainConfig.regression_units='standardised', the default)")
    return "rescale the target, or lower weight_decay / raise lr"


def run_experiment(
    data: DatasetSplits,
    method: str,
    *,
    seed: int = 0,
    train_config: TrainConfig | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool = False,
    checkpoint_dir: Path | None = None,
    backbone: BackboneSpec | str | None = None,
    save_model: Path | None = None,
    callbacks: Sequence[object] = (),
    log_csv: Path | None = None,
    tensorboard_dir: Path | None = None,
) -> RunResult:
    """Train a method on the training split, select it on validation, report shot metrics.

    Parameters
    ----------
    data : DatasetSplits
    method : str
        Registered method names joined by ``+`` (``"vanilla"``, ``"sqinv+lds+fds"``).
    seed : int
        Seeds model initialisation and batch order; CPU runs repeat exactly.
    train_config : TrainConfig, optional
    overrides : dict, optional
        ``{method_name: {field: value}}`` for the methods' configs.
    progress : bool
        Progress bars over epochs.
    checkpoint_dir : Path, optional
        Save the training state every epoch there and resume from it.
    backbone : nn.Module, callable or str, optional
        Your own feature extractor instead of the built-in MLP / ResNet / BiLSTM: any
        ``torch.nn.Module`` mapping a batch of inputs to features of shape (N, d), or a factory
        ``factory(input_shape) -> nn.Module`` called with the per-sample input shape (``(d,)``
        or ``(C, H, W)``), or a ``"module:callable"`` path to such a factory. Its width ``d``
        is inferred from a forward pass on two training rows, and FDS and every head are built
        for it. A factory is called under the run's seed, so its initialisation follows the
        seed; a module instance is deep-copied, so every run starts from its weights and the
        instance itself stays untrained. Inputs arrive normalised as
        ``TrainConfig.backbone_inputs`` says. Recorded in ``RunResult.config["backbone"]``.
    save_model : Path, optional
        Write the selected model there (:meth:`FittedMethod.save`); :func:`load_model` reads
        it back and predicts exactly as this run did.
    callbacks : sequence of objects
        Your own :class:`~dirkit.engine.Trainer` callbacks, given to the trainer of every stage
        (a method may train several: ``trainer.stage`` names it). Duck-typed: any object with
        some of the hooks ``on_fit_start(trainer)``, ``on_epoch_start(trainer)``,
        ``on_train_batch_end(trainer, loss)``, ``on_epoch_end(trainer, train_loss,
        val_metrics)`` and ``on_fit_end(trainer)`` (each hook gets only the keyword arguments
        its signature names). They run after dirkit's own callbacks (validation selection has
        seen the epoch; at ``on_fit_end`` the selected weights are loaded) and before the
        epoch checkpoint, which saves and restores the state of those that define
        ``state_dict()`` / ``load_state_dict(state)``. Setting ``trainer.should_stop = True``
        ends the stage early.
    log_csv : Path, optional
        Write one CSV row per epoch of every stage there (:class:`~dirkit.engine.CSVLogger`:
        stage, epoch, global_step, train_loss, val_mae, val_mse, lr, epoch_s). Rewritten
        atomically every epoch; with ``checkpoint_dir`` a resumed run keeps every epoch once.
    tensorboard_dir : Path, optional
        Write the same scalars as TensorBoard event files there
        (:class:`~dirkit.engine.TensorBoardLogger`); without the ``tensorboard`` package a
        :class:`~dirkit.exceptions.TrackingWarning` says so and the run goes on without them.

    Returns
    -------
    RunResult
        Metrics on ``"val"`` and ``"test"`` for every shot group (shots from the natural
        training labels), predictions, per-epoch history and method diagnostics. A fit whose
        validation predictions are near-constant emits a
        :class:`~dirkit.exceptions.DegenerateFitWarning` and records it as
        ``diagnostics["degenerate_fit"]``.

    Examples
    --------
    >>> from dirkit.datasets import make_synthetic
    >>> data = make_synthetic(0, scale=0.1)
    >>> result = run_experiment(data, "vanilla", train_config=TrainConfig(epochs=2))
    >>> sorted(result.metrics["test"])
    ['all', 'few', 'few_incl_zero', 'many', 'medium', 'zero', 'zero_extrap', 'zero_interp']
    """
    config = train_config or TrainConfig()
    started = time.perf_counter()
    fitted = fit_method(data, method, seed=seed, train_config=config, overrides=overrides,
                        progress=progress, checkpoint_dir=checkpoint_dir, backbone=backbone,
                        callbacks=callbacks, log_csv=log_csv, tensorboard_dir=tensorboard_dir)
    if save_model is not None:
        fitted.save(save_model)
    binner = data.binner()
    predictions = {"val": fitted.predict(data.x_val), "test": fitted.predict(data.x_test)}
    metrics = {
        split: shot_metrics(predictions[split], getattr(data, f"y_{split}"), data.y_train, binner)
        for split in ("val", "test")
    }
    diagnostics = fitted.diagnostics(data.x_test, data.y_test)
    if fitted.plan.regularizers:
        diagnostics["regularizer_weights"] = {
            term.name: fitted.plan.regularizer_weight(term) for term in fitted.plan.regularizers}
    degenerate = check_degenerate_fit(predictions["val"], data.y_val, fix=_collapse_fix(fitted, config),
                                      what=f"{method!r} on {data.name!r} (seed {seed})")
    if degenerate is not None:
        diagnostics["degenerate_fit"] = degenerate
    run_config = {"train": config.to_dict(), "methods": fitted.plan.configs, "dataset": dict(data.info)}
    if backbone is not None:
        run_config["backbone"] = describe_backbone(backbone)
    return RunResult(
        dataset=data.name,
        method=method,
        seed=seed,
        config=run_config,
        metrics=metrics,
        predictions=predictions,
        history=fitted.history,
        diagnostics=diagnostics,
        duration_s=time.perf_counter() - started + fitted.resumed_s,
    )
