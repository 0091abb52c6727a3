"""Fit a composed method: build the model from the plan and run its stages."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from dirkit.datasets import DatasetSplits
from dirkit.datasets._batches import Batch, GlobalBatchSampler, SampleTable, as_input_tensor
from dirkit.density import LDSWeights
from dirkit.engine._augment import RandomCropFlip
from dirkit.engine._callbacks import BestOnValidation, EpochCheckpoint, FDSUpdate, History
from dirkit.engine._config import TrainConfig
from dirkit.engine._distributed import is_distributed, rank, world_size
from dirkit.engine._precision import precision_for, resolve_device
from dirkit.engine._schedule import build_scheduler, check_schedule
from dirkit.engine._tracking import CSVLogger, TensorBoardLogger
from dirkit.engine._trainer import Trainer
from dirkit.engine._user_backbone import BackboneSpec, build_user_backbone, describe_backbone
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.labels import UniformBinner
from dirkit.methods._plan import LabelContext, Stage, TrainingPlan, parameters_of
from dirkit.methods._scaling import ImageNormalize, Standardize
from dirkit.nn import FDS, MLP, BiLSTMPairEncoder, DIRModel, DIROutput, ProbabilisticSmoothing, ResNet

__all__ = ["FittedMethod", "fit_plan"]

Loss = Callable[[DIROutput, Batch, TrainingPlan], Tensor]


@dataclass
class FittedMethod:
    """A trained model with the prediction rule of its last stage.

    :meth:`save` writes it to one file and :meth:`load` reads it back (no training data
    needed), predicting exactly as before.

    Attributes
    ----------
    config : TrainConfig
        The training settings it was built with.
    method, overrides : str, dict
        The method spec and its settings (set by :func:`~dirkit.engine.fit_method`; None when
        :func:`fit_plan` was called with a hand-made plan, which cannot be saved).
    backbone : nn.Module, callable or str, optional
        The user backbone it was built from (None for the built-in ones).
    head_state : dict
        What the head chose on validation after training (``group-robust``: its rule).
    """

    model: DIRModel
    plan: TrainingPlan
    context: LabelContext
    predict_output: Callable[[DIROutput], Tensor]
    history: list[dict[str, Any]] = field(default_factory=list)
    resumed_s: float = 0.0  # training time before a resume from checkpoints (all stages)
    config: TrainConfig = field(default_factory=TrainConfig)
    method: str | None = None
    overrides: dict[str, dict[str, Any]] | None = None
    backbone: BackboneSpec | str | None = None
    head_state: dict[str, Any] = field(default_factory=dict)

    def save(self, path: str | Path) -> Path:
        """Write everything needed to predict to ``path`` (conventionally ``*.pt``).

        The file holds the weights as a state dict, the method spec, its settings and the
        training settings as JSON, the training labels (the label bins, groups and scaling are
        rebuilt from them) and the head's validation choices; it is read with
        ``torch.load(weights_only=True)``, so loading it never runs pickled code. A model with
        a user backbone stores the backbone's description, not its code: pass the backbone to
        :meth:`load` again.

        Returns
        -------
        Path
            ``path``.
        """
        from dirkit.engine._model_file import save_fitted

        return save_fitted(self, Path(path))

    @classmethod
    def load(
        cls, path: str | Path, *, backbone: BackboneSpec | str | None = None, device: str = "cpu"
    ) -> FittedMethod:
        """Read a model written by :meth:`save` onto ``device``.

        Parameters
        ----------
        path : str or Path
        backbone : nn.Module, callable or str, optional
            The user backbone the model was trained with (the same module class, factory or
            ``"module:callable"`` path); required for such models, refused for the others.
        device : str
            Where to put the model (``"cpu"``, ``"cuda"``).

        Raises
        ------
        CheckpointError
            When the file is not a dirkit model file or cannot be read safely.
        ConfigError
            When ``backbone`` is missing, not needed, or not the one the file was made with.
        """
        from dirkit.engine._model_file import load_fitted

        return load_fitted(Path(path), backbone=backbone, device=device)

    @torch.no_grad()
    def predict(self, x: np.ndarray, *, batch_size: int = 4096) -> np.ndarray:
        """Predicted label values for inputs ``x``."""
        self.model.eval()
        inputs = as_input_tensor(x)
        device = next(self.model.parameters()).device
        parts = [
            self.predict_output(self.model(inputs[i : i + batch_size].to(device))).float().cpu()
            for i in range(0, len(inputs), batch_size)
        ]
        return torch.cat(parts).numpy().astype(np.float64)

    def diagnostics(self, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        """Method-specific extras (group accuracy, confusion, ...) on ``(x, y)``."""
        self.model.eval()
        with torch.no_grad():
            inputs = as_input_tensor(x)
            return self.plan.head.diagnostics(self.model, inputs, np.asarray(y), self.context)


class StageModule:
    """The :class:`~dirkit.engine.TrainModule` of one stage: its loss, trainable part and rule.

    ``augment`` (images only) transforms the inputs of training batches; :meth:`predict`, the
    path of validation and evaluation, never applies it.
    """

    def __init__(
        self,
        model: DIRModel,
        plan: TrainingPlan,
        loss: Loss,
        predict_output: Callable[[DIROutput], Tensor],
        trainable: list[nn.Module],
        config: TrainConfig,
        *,
        augment: RandomCropFlip | None = None,
    ) -> None:
        self.model, self.plan, self.loss, self.predict_output = model, plan, loss, predict_output
        self.config, self.augment = config, augment
        trained = {id(p) for p in parameters_of(trainable)}
        for p in model.parameters():
            p.requires_grad_(id(p) in trained)
        self.frozen = [  # parameter-free children (FDS) keep following train / eval mode
            m for m in model.children()
            if any(True for _ in m.parameters()) and not any(p.requires_grad for p in m.parameters())
        ]
        self.forward_model: nn.Module = model
        if is_distributed():  # FDS sums must not be overwritten by DDP's buffer broadcast
            self.forward_model = DistributedDataParallel(model, forward_sync_buffers=False)

    def configure_optimizer(self) -> torch.optim.Optimizer:
        own_lr = {  # extra modules (Balanced MSE's sigma) may have their own learning rate
            id(p): spec.lr
            for name, spec in self.plan.extra_modules.items() if spec.lr is not None
            for p in extra_modules(self.model)[name].parameters()
        }
        params = [p for p in self.model.parameters() if p.requires_grad]
        groups: list[dict[str, Any]] = [{"params": [p for p in params if id(p) not in own_lr]}]
        groups += [{"params": [p], "lr": own_lr[id(p)]} for p in params if id(p) in own_lr]
        return torch.optim.Adam(groups, lr=self.config.lr, weight_decay=self.config.weight_decay)

    def training_loss(self, batch: Batch, *, epoch: int) -> Tensor:
        for module in self.frozen:  # frozen parts keep their batch-norm statistics
            module.eval()
        if self.augment is not None:
            batch = dataclasses.replace(batch, x=self.augment(batch.x, batch.index, epoch=epoch))
        output = self.forward_model(batch.x, batch.bins, epoch=epoch)
        return self.loss(output, batch, self.plan)

    def predict(self, x: Tensor) -> Tensor:
        return self.predict_output(self.model(x))


def _training_set(plan: TrainingPlan, data: DatasetSplits, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training split, resampled when the plan has a resampler.

    SMOGN's Gaussian noise can push a synthetic label past the data set's label range (a
    negative age, a similarity above 5); such labels are clipped into ``data.label_range``.
    """
    if plan.resampler is None:
        return data.x_train, data.y_train
    if data.x_train.ndim != 2:
        raise TypeError("Resampling methods (smoter, smogn) need vector inputs of shape (n, d).")
    resampler = plan.resampler
    if hasattr(resampler, "set_params") and "random_state" in resampler.get_params():
        resampler = resampler.set_params(random_state=seed)
    x, y = resampler.fit_resample(data.x_train, data.y_train)
    y = np.clip(np.asarray(y, dtype=np.float64), *data.label_range)
    return np.asarray(x, dtype=np.float32), y


_BACKBONE_KINDS = ("auto", "mlp", "resnet", "bilstm")


def _backbone_kind(x: np.ndarray, config: TrainConfig, tokens: bool = False) -> str:
    if config.backbone not in _BACKBONE_KINDS:
        raise ConfigError(f"TrainConfig.backbone must be one of {_BACKBONE_KINDS}; got {config.backbone!r}.")
    kind = config.backbone
    if kind == "auto":
        kind = "bilstm" if tokens else ("resnet" if x.ndim == 4 else "mlp")
    if kind == "bilstm" and not tokens:
        raise ConfigError(
            "backbone 'bilstm' needs token inputs (a data set with token_vectors), e.g. "
            "--dataset sts-b-dir --dataset-arg encoder=bilstm."
        )
    if kind != "bilstm" and tokens:
        raise ConfigError(
            f"backbone {kind!r} cannot read token ids; use 'auto' or 'bilstm' for this data set."
        )
    if kind != "bilstm" and ((kind == "resnet") != (x.ndim == 4) or x.ndim not in (2, 4)):
        need = "images of shape (n, C, H, W)" if kind == "resnet" else "vectors of shape (n, d)"
        raise ShapeError(f"backbone {kind!r} needs {need}; the training inputs have shape {x.shape}.")
    return kind


def build_backbone(x: np.ndarray, config: TrainConfig, token_vectors: np.ndarray | None = None) -> nn.Module:
    """``Standardize + MLP`` for vectors, ``ImageNormalize + ResNet`` for images, the BiLSTM pair
    encoder for token ids into ``token_vectors`` (``config.backbone``)."""
    kind = _backbone_kind(x, config, tokens=token_vectors is not None)
    if kind == "bilstm" and token_vectors is not None:
        return BiLSTMPairEncoder(token_vectors, hidden=config.lstm_hidden, layers=config.lstm_layers,
                                 dropout=config.lstm_dropout, train_embeddings=config.train_embeddings)
    if kind == "mlp":
        return nn.Sequential(
            Standardize(x),
            MLP(int(np.prod(x.shape[1:])), hidden=config.hidden, feature_dim=config.feature_dim,
                dropout=config.dropout, norm=config.norm),
        )
    return nn.Sequential(
        ImageNormalize(x),
        ResNet(x.shape[1], depth=config.resnet_depth, width=config.resnet_width, stem=config.resnet_stem,
               image_size=tuple(x.shape[2:]), feature_dim=config.feature_dim),
    )


def _augmenter(x: np.ndarray, config: TrainConfig, seed: int) -> RandomCropFlip | None:
    """The training augmentation of image inputs (None for vectors or ``augment=False``)."""
    if not config.augment or x.ndim != 4:
        return None
    return RandomCropFlip(len(x), padding=max(1, x.shape[-1] // 8), seed=seed)


def build_model(
    plan: TrainingPlan, context: LabelContext, config: TrainConfig, backbone_spec: BackboneSpec | None = None
) -> DIRModel:
    """Backbone (the user's ``backbone_spec``, else :func:`build_backbone`), optional FDS, and the
    plan's head(s), all sized to the backbone's feature width."""
    backbone: nn.Module
    if backbone_spec is not None:
        backbone = build_user_backbone(backbone_spec, context.x_train, inputs=config.backbone_inputs)
    else:
        backbone = build_backbone(context.x_train, config, context.data.token_vectors)
    dim = int(getattr(backbone, "feature_dim", config.feature_dim))  # the BiLSTM sets its own
    fds = FDS(dim, context.binner.n_bins_, **plan.fds) if plan.fds else None
    model = DIRModel(backbone, plan.head.build(dim, context), fds=fds)
    if plan.extra_modules:
        model.add_module("extra_modules", nn.ModuleDict(
            {name: spec.build(context) for name, spec in plan.extra_modules.items()}
        ))
    return model


def extra_modules(model: DIRModel) -> nn.ModuleDict:
    """The plan's :class:`~dirkit.methods.ExtraModule` instances attached to ``model`` (maybe none)."""
    modules = getattr(model, "extra_modules", None)
    return modules if isinstance(modules, nn.ModuleDict) else nn.ModuleDict()


def _sample_weights(
    settings: Mapping[str, Any], plan: TrainingPlan, extras: dict[str, np.ndarray],
    context: LabelContext, sample_weight: np.ndarray | None,
) -> np.ndarray:
    """:class:`~dirkit.density.LDSWeights` ``(**settings)`` of the training labels, adjusted by
    the head (e.g. local LDS) and multiplied by the user's ``sample_weight``."""
    values = LDSWeights(binner=context.binner, **settings).fit(context.y_train).weights_
    values = plan.head.adjust_weights(values, extras, context)
    return values if sample_weight is None else values * np.asarray(sample_weight, dtype=np.float64)


def _main_stage(plan: TrainingPlan, frozen_backbone: bool) -> Stage:
    def trainable(model: DIRModel) -> list[nn.Module]:
        return [model.head] if frozen_backbone else [model]

    return Stage("main", "after", 1.0, trainable, lambda out, batch, p: p.main_loss(out, batch))


def _checkpoint_settings(
    plan: TrainingPlan, data: DatasetSplits, config: TrainConfig, seed: int, stage: str,
    backbone: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What a stage's checkpoint must have been made with to be resumed (plain JSON)."""
    from dirkit import __version__
    from dirkit.bench._provenance import git_commit  # the engine does not depend on bench otherwise

    settings = {"train": config.to_dict(), "methods": plan.configs, "dataset": data.name,
                "sizes": data.sizes(), "seed": seed, "stage": stage,
                "code": {"version": __version__, "commit": git_commit()}}
    if backbone is not None:  # only then, so that checkpoints of built-in backbones still match
        settings["backbone"] = backbone
    loaded: dict[str, Any] = json.loads(json.dumps(settings, sort_keys=True, default=str))
    return loaded


def fit_plan(
    plan: TrainingPlan,
    data: DatasetSplits,
    config: TrainConfig,
    *,
    seed: int,
    progress: bool = False,
    checkpoint_dir: Path | None = None,
    description: str = "",
    sample_weight: np.ndarray | None = None,
    select_on_val: bool = True,
    backbone: BackboneSpec | None = None,
    callbacks: Sequence[object] = (),
    log_csv: Path | None = None,
    tensorboard_dir: Path | None = None,
) -> FittedMethod:
    """Train ``plan`` on ``data`` (checkpoints selected on the validation split only).

    With ``checkpoint_dir``, each stage saves its state there every epoch and resumes from it;
    a checkpoint saved with other settings (training, method, data set, seed, code) is
    discarded with a warning.

    ``sample_weight`` (one per training row; not with resampling) multiplies the method's sample
    weights in every stage. ``select_on_val=False`` never reads the validation split: every stage
    keeps its last epoch. ``backbone`` replaces the built-in backbone; ``callbacks``,
    ``log_csv`` and ``tensorboard_dir`` are those of :func:`~dirkit.engine.fit_method`.
    """
    if config.regression_units not in ("standardised", "label"):
        raise ConfigError(
            "TrainConfig.regression_units must be 'standardised' or 'label'; "
            f"got {config.regression_units!r}."
        )
    check_schedule(config)
    x_train, y_train = _training_set(plan, data, seed)
    binner = UniformBinner(width=data.bin_width, range=data.label_range).fit(y_train)
    context = LabelContext(data=data, x_train=x_train, y_train=y_train, binner=binner, seed=seed,
                           regression_units=config.regression_units)
    extras = plan.head.prepare(context)
    main_weights = plan.weights if plan.main_weights is None else plan.main_weights
    weights = _sample_weights(main_weights, plan, extras, context, sample_weight)
    device = resolve_device(config.device)
    precision = precision_for(config, device)
    train = SampleTable(x_train, y_train, binner.transform(y_train), weights, extras, device=device)
    val = SampleTable(data.x_val, data.y_val, binner.transform(data.y_val),
                      np.ones(len(data.y_val)), device=device) if select_on_val else None
    model = build_model(plan, context, config, backbone).to(device)
    backbone_info = None if backbone is None else describe_backbone(backbone)

    predict_output: Callable[[DIROutput], Tensor] = plan.head.predict
    history: list[dict[str, Any]] = []
    resumed_s = 0.0
    trackers: list[Any] = [] if log_csv is None else [CSVLogger(log_csv)]
    if tensorboard_dir is not None:
        trackers.append(TensorBoardLogger(tensorboard_dir))
    user_callbacks = list(callbacks)
    try:
        for index, stage in enumerate(stage_sequence(plan)):
            if stage.prepare_model is not None:
                stage.prepare_model(model)
            predict_output = stage.predict or predict_output
            trainable = stage.trainable(model)
            if any(module is model.head for module in trainable):  # the head's loss uses them
                trainable = [*trainable, extra_modules(model)]
            stage_seed = seed * 31 + index
            module = StageModule(model, plan, stage.loss, predict_output, trainable, config,
                                 augment=_augmenter(x_train, config, stage_seed))
            table = train
            if stage.weights is not None:  # the stage's own sample weights (RRT's re-weighting)
                table = copy.copy(train)  # shares the inputs, labels and extras
                table.weight = torch.as_tensor(
                    _sample_weights(stage.weights(plan), plan, extras, context, sample_weight),
                    dtype=torch.float32, device=train.weight.device)
            recorder = History(stage.name)
            stage_callbacks: list[object] = [recorder]
            if any(isinstance(m, (FDS, ProbabilisticSmoothing)) for m in model.modules()):
                stage_callbacks.append(FDSUpdate(table, model.backbone))
            selects = stage.select_on_val and val is not None
            if selects:
                stage_callbacks.append(BestOnValidation(config.monitor))
            stage_callbacks += [*trackers, *user_callbacks]  # before the checkpoint, which saves their state
            checkpoint = None
            if checkpoint_dir is not None:
                checkpoint = EpochCheckpoint(
                    checkpoint_dir / f"stage{index}-{stage.name}.pt",
                    settings=_checkpoint_settings(plan, data, config, seed, stage.name, backbone_info),
                )
                stage_callbacks.append(checkpoint)
            sampler = GlobalBatchSampler(len(train), config.batch_size, seed=stage_seed,
                                         rank=rank(), world_size=world_size())
            epochs = stage.epochs(config.epochs)
            trainer = Trainer(
                epochs=epochs,
                callbacks=stage_callbacks,
                progress=progress,
                description=f"{description} {stage.name}".strip(),
                lr_scheduler=functools.partial(build_scheduler, config=config, epochs=epochs),
                precision=precision,
                stage=stage.name,
            )
            trainer.fit(module, table, sampler, val if selects else None)
            history.extend(recorder.records)
            resumed_s += checkpoint.earlier_s if checkpoint is not None else 0.0
    finally:
        for tracker in trackers:
            if isinstance(tracker, TensorBoardLogger):
                tracker.close()
    untuned = dict(vars(plan.head))
    if val is not None:
        model.eval()
        with torch.no_grad():
            plan.head.tune_on_validation(model, val.x, data.y_val)
    tuned = {k: v for k, v in vars(plan.head).items() if k not in untuned or untuned[k] is not v}
    for p in model.parameters():
        p.requires_grad_(True)
    return FittedMethod(model, plan, context, predict_output, history, resumed_s, config=config,
                        backbone=backbone, head_state=tuned)


def stage_sequence(plan: TrainingPlan) -> list[Stage]:
    """The plan's stages in training order: those before the main one, main, those after."""
    before = [s for s in plan.stages if s.position == "before"]
    after = [s for s in plan.stages if s.position == "after"] + plan.head.stages(plan)
    frozen_backbone = any(s.freezes_main_backbone for s in before)
    return [*before, _main_stage(plan, frozen_backbone), *after]
