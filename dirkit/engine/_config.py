"""Training settings shared by every method, and what one run returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = ["RunResult", "TrainConfig"]


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of one run (the method's own settings live in its config).

    Parameters
    ----------
    epochs : int
        Epochs of the main stage; extra stages (RRT, HCA-d, contrastive pre-training) take a
        fraction of it, as their papers do.
    batch_size : int
        Global batch size (split across processes under ``torch.distributed``).
    lr, weight_decay : float
        Adam settings.
    lr_schedule : {"constant", "step", "cosine"}
        Learning rate over the epochs of each stage, stepped once per epoch. ``"constant"``
        (default): ``lr`` throughout. ``"step"``: multiplied by ``lr_gamma`` at each of
        ``lr_milestones``, the DIR papers' schedule (x0.1 at epochs 60 and 80 of 90, Yang et al.
        2021). ``"cosine"``: annealed from ``lr`` to 0 over the stage. A resumed run continues the
        schedule where its checkpoint left it.
    lr_milestones : tuple of int
        Epochs of the main stage at which ``"step"`` decays, each in ``1..epochs - 1``; shorter
        stages (pre-training, re-training) decay at the same fractions of their own epochs.
    lr_gamma : float
        Factor of each ``"step"`` decay.
    hidden : tuple of int
        Hidden widths of the MLP backbone for vector inputs.
    feature_dim : int
        Width of the feature the heads (and FDS) read (the ResNet ends in a projection to it).
        The BiLSTM's features are its pair features instead, ``8 * lstm_hidden`` wide, as in
        Yang et al. 2021 (no projection).
    dropout : float
        MLP dropout.
    norm : {"batch", "layer"} or None
        Normalisation layers of the MLP.
    monitor : str
        Validation metric that selects the checkpoint (``"mae"``; lower is better). Never test.
    device : str
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` (CUDA when a device is visible, else
        the CPU). Asking for CUDA where there is none is a :class:`~dirkit.exceptions.ConfigError`.
    amp : bool
        Mixed precision: the forward pass and loss of training steps under ``torch.autocast``
        (evaluation and prediction stay float32). On CUDA float16 with a gradient scaler by
        default, on the CPU bfloat16 (float16 autocast needs CUDA). Off by default.
    amp_dtype : {"auto", "float16", "bfloat16"}
        The autocast type with ``amp``: ``"auto"`` is float16 on CUDA and bfloat16 on the CPU.
    backbone : {"auto", "mlp", "resnet", "bilstm"}
        ``"auto"``: the BiLSTM pair encoder for token inputs (a data set with
        ``token_vectors``, e.g. ``sts-b-dir`` with ``encoder="bilstm"``), a ResNet for images
        (inputs of shape (n, C, H, W)), an MLP for vectors (n, d). ``"mlp"`` needs vectors;
        ``"resnet"`` needs images; ``"bilstm"`` needs token inputs. Ignored when a user
        backbone is passed (``backbone=`` of :func:`~dirkit.engine.run_experiment`).
    backbone_inputs : {"standardised", "raw"}
        What a user backbone receives: ``"standardised"`` (default) the inputs normalised as the
        built-in backbones see them (vectors: z-scores per feature, images: float32 standardised
        per channel, both with training-split statistics; other inputs such as token ids as
        stored); ``"raw"`` the inputs as stored (uint8 images stay uint8).
    resnet_width : int
        Channels of the ResNet's first stage (stages ``width * (1, 2, 4, 8)``); 64 is the
        standard ResNet, 16-32 trains quickly on a CPU at 32 px.
    resnet_depth : {18, 34, 50, 101, 152}
        Layout of the built-in ResNet (:class:`~dirkit.nn.ResNet`): BasicBlocks for 18 and 34,
        Bottleneck blocks for 50 and deeper. 18 (default) is the layout of earlier releases; the
        DIR papers train ResNet-50 (``resnet_depth=50, resnet_width=64``).
    resnet_stem : {"imagenet", "small"}
        The ResNet's stem: ``"imagenet"`` (default) a 7x7 stride-2 conv and max-pool,
        ``"small"`` a 3x3 stride-1 conv for tiny images (much slower on a CPU).
    augment : bool
        Augment training images: a random crop after zero padding by 1/8 of the image side (4 px
        at 32 px) and a random horizontal flip, drawn per sample and epoch from the run's seed.
        Never applied at evaluation; ignored for vector inputs.
    lstm_hidden, lstm_layers : int
        Width per direction and depth of the BiLSTM pair encoder (token inputs only). Yang et
        al.'s code uses 1500 and 2; the defaults, 300 and 1, train on a CPU.
    lstm_dropout : float
        Dropout of the BiLSTM on the word vectors and the LSTM outputs (0.2, their value).
    train_embeddings : bool
        Fine-tune the pretrained word vectors; their code keeps them frozen (the default).
    regression_units : {"standardised", "label"}
        Units of the regression loss of the regression heads (plain regression and every
        re-weighting, resampling and regulariser composed with it). ``"standardised"`` (default)
        computes it on ``(y - mean) / std`` of the training labels, so its scale, and its balance
        against weight decay, does not depend on the target's units: in label units a target of
        std 1e-4 gives an MSE of 1e-8 whose gradients weight decay outweighs, and the model
        collapses to a constant. ``"label"`` computes it in label units (dirkit before 0.2).
        Focal-R, whose ``beta`` is in label units, always sees label units; Balanced MSE builds
        its sigma and label model in the head's units, and RankSim's weight is scaled to them
        (see their configs). Predictions are in label units either way.
    """

    epochs: int = 30
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    lr_schedule: Literal["constant", "step", "cosine"] = "constant"
    lr_milestones: tuple[int, ...] = (60, 80)
    lr_gamma: float = 0.1
    hidden: tuple[int, ...] = (256, 256)
    feature_dim: int = 128
    dropout: float = 0.0
    norm: Literal["batch", "layer"] | None = "batch"
    monitor: str = "mae"
    device: str = "cpu"
    amp: bool = False
    amp_dtype: Literal["auto", "float16", "bfloat16"] = "auto"
    backbone: Literal["auto", "mlp", "resnet", "bilstm"] = "auto"
    resnet_width: int = 32
    resnet_depth: int = 18
    resnet_stem: Literal["imagenet", "small"] = "imagenet"
    augment: bool = True
    lstm_hidden: int = 300
    lstm_layers: int = 1
    lstm_dropout: float = 0.2
    train_embeddings: bool = False
    regression_units: Literal["standardised", "label"] = "standardised"
    backbone_inputs: Literal["standardised", "raw"] = "standardised"

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return asdict(self)


@dataclass
class RunResult:
    """Everything one (dataset, method, seed) run produces.

    Attributes
    ----------
    dataset, method : str
        Names as given (the method spec may be a composition such as ``"sqinv+lds+fds"``).
    seed : int
    config : dict
        The training config and every method config, as plain JSON values.
    metrics : dict
        ``metrics[split][shot][metric]`` for split ``"val"`` and ``"test"``, shots as in
        :data:`dirkit.metrics.SHOT_GROUPS`.
    predictions : dict of str to ndarray
        Predicted values on ``"val"`` and ``"test"``.
    history : list of dict
        One record per epoch and stage (stage, epoch, train loss, validation metric).
    diagnostics : dict
        Method-specific extras, e.g. ``"group_confusion"`` (G x G counts on test) for group
        methods, ``"group_accuracy"``, ``"oracle_mae"``.
    duration_s : float
        Wall time of training and evaluation. A run resumed from checkpoints adds the training
        time its earlier attempts spent up to their last saved epoch.
    """

    dataset: str
    method: str
    seed: int
    config: dict[str, Any]
    metrics: dict[str, dict[str, dict[str, float]]]
    predictions: dict[str, np.ndarray] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
