"""What a composed method trains: the :class:`TrainingPlan` every recipe contributes to."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from torch import Tensor, nn

from dirkit.datasets import DatasetSplits
from dirkit.datasets._batches import Batch
from dirkit.labels import UniformBinner
from dirkit.losses import weighted_mse
from dirkit.nn import DIRModel, DIROutput

__all__ = [
    "CLASSIFICATION_REGULARIZER_SCALE",
    "ExtraModule",
    "HeadStrategy",
    "LabelContext",
    "RegressionLoss",
    "Regularizer",
    "Stage",
    "TrainingPlan",
]

RegressionLoss = Callable[..., Tensor]  # loss(pred, target, *, weight) -> scalar


@dataclass
class LabelContext:
    """Facts about the training labels that heads and stages read while they are built.

    Attributes
    ----------
    data : DatasetSplits
        The data set (its training split may have been resampled, see ``x_train``/``y_train``).
    x_train, y_train : ndarray
        The training inputs and labels actually trained on.
    binner : UniformBinner
        Fine bins fitted on ``y_train``.
    seed : int
    regression_units : {"standardised", "label"}
        Units of the heads' regression loss (:attr:`dirkit.engine.TrainConfig.regression_units`).
    label_mean, label_std : float
        Of ``y_train``; heads predict in standardised units scaled back by these.
    """

    data: DatasetSplits
    x_train: np.ndarray
    y_train: np.ndarray
    binner: UniformBinner
    seed: int
    regression_units: Literal["standardised", "label"] = "standardised"

    @property
    def label_mean(self) -> float:
        return float(self.y_train.mean())

    @property
    def label_std(self) -> float:
        return float(max(self.y_train.std(), 1e-6))


CLASSIFICATION_REGULARIZER_SCALE = 1e-3
""":meth:`HeadStrategy.regularizer_scale` of heads trained by cross-entropy alone (``cls``, HCA).

Cross-entropy has no label units to convert, so the factor is measured: on ``synthetic`` (30
epochs, seed 0) ``hca-d+lds+ranksim`` has test MAE 5.0 / 8.9 / 21.4 / 20.5 / 24.5 with RankSim
weights 0.3 / 1 / 3 / 10 / 100 (hca-d alone: 6.4), and predicts only 2-5 distinct values from
weight 3 on. 1e-3 puts the paper's ``gamma=100`` at 0.1, a factor of 3 inside the good range.
"""


class HeadStrategy(abc.ABC):
    """How a method maps features to predictions, and what it trains the head(s) with.

    Exactly one strategy is active in a plan: plain regression (the default), regression with a
    classification loss, classification, HCA, or group classification with a multi-head
    regressor. Modifiers (re-weighting, FDS, regularisers, extra stages) compose with any.

    Attributes
    ----------
    uses_regression_loss : bool
        False for heads trained by classification alone (``cls``, HCA): methods that replace
        the regression loss (``focal-r``, ``balanced-mse``) are refused with them.
    """

    uses_regression_loss: ClassVar[bool] = True

    def prepare(self, context: LabelContext) -> dict[str, np.ndarray]:
        """Per-sample training targets this head needs (group ids, class ids, ...)."""
        return {}

    def adjust_weights(
        self, weights: np.ndarray, extras: Mapping[str, np.ndarray], context: LabelContext
    ) -> np.ndarray:
        """Change the sample weights (e.g. renormalise within groups); identity by default."""
        return weights

    @abc.abstractmethod
    def build(self, feature_dim: int, context: LabelContext) -> nn.Module | Mapping[str, nn.Module]:
        """The head module(s) reading features of width ``feature_dim``."""

    @abc.abstractmethod
    def loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        """The head's training loss on one batch (the regression part uses ``plan.regression_loss``)."""

    @abc.abstractmethod
    def predict(self, output: DIROutput) -> Tensor:
        """Predicted label values, shape (N,), from the model output in eval mode."""

    def tune_on_validation(self, model: DIRModel, x: Tensor, y: np.ndarray) -> None:
        """Choose inference settings on the validation inputs ``x`` and labels ``y``.

        Called once after the last stage, with the model in eval mode and no gradients, when the
        run selects on validation (never with test data). A no-op by default; ``group-robust``
        chooses its prediction rule here.
        """
        return None

    def stages(self, plan: TrainingPlan) -> list[Stage]:
        """Stages after the main one (HCA-d's distillation)."""
        return []

    def regression_loss_units(self, plan: TrainingPlan) -> tuple[float, float]:
        """``(location, scale)``: the head passes ``(y - location) / scale`` to the regression loss.

        Valid after :meth:`build`. ``(0, 1)`` (label units) by default; heads that train in
        standardised units return the training labels' mean and standard deviation. Losses with
        parameters (Balanced MSE's GMM, bins and sigma) are built in these units.
        """
        return 0.0, 1.0

    def regularizer_scale(self, plan: TrainingPlan) -> float:
        """Multiplier of regularisers whose paper weight balances a label-unit regression loss.

        RankSim's ``gamma=100`` (Gong et al. 2022) was tuned against a regression loss on labels
        in their own units (years). A head computing a squared loss on ``(y - location) / scale``
        has a loss ``scale^2`` times smaller, so the same balance needs the weight divided by
        ``scale^2`` (with Adam the run is then the label-unit run, up to weight decay): the
        default is ``1 / scale^2`` of :meth:`regression_loss_units` (1 in label units).
        Heads trained by classification alone (``uses_regression_loss=False``) get
        :data:`CLASSIFICATION_REGULARIZER_SCALE`. Valid after :meth:`build`.
        """
        if not self.uses_regression_loss:
            return CLASSIFICATION_REGULARIZER_SCALE
        _, scale = self.regression_loss_units(plan)
        return 1.0 / scale**2

    def diagnostics(
        self, model: DIRModel, x: Tensor, y: np.ndarray, context: LabelContext
    ) -> dict[str, Any]:
        """Method-specific evaluation extras on (x, y), e.g. group accuracy."""
        return {}


@dataclass(frozen=True)
class Regularizer:
    """An extra loss term ``weight * fn(output, batch)`` added to the main stage (RankSim, ConR).

    With ``scaled_to_head``, the weight applied is ``weight * plan.head.regularizer_scale(plan)``
    (:meth:`TrainingPlan.regularizer_weight`).
    """

    name: str
    weight: float
    fn: Callable[[DIROutput, Batch], Tensor]
    scaled_to_head: bool = False


@dataclass(frozen=True)
class Stage:
    """A training stage besides the main one (RRT, RnC pre-training, HCA-d distillation).

    Attributes
    ----------
    name : str
    position : {"before", "after"}
        Runs before or after the main stage.
    epoch_fraction : float
        Its epochs as a fraction of ``TrainConfig.epochs``: ``max(min_epochs,
        round(epochs * epoch_fraction))``.
    trainable : callable
        ``trainable(model) -> list of nn.Module`` whose parameters this stage trains; everything
        else is frozen and kept in eval mode.
    loss : callable
        ``loss(output, batch, plan) -> Tensor``.
    predict : callable, optional
        From this stage on, predictions come from ``predict(output)`` instead of the head's.
    prepare_model : callable, optional
        Called on the model before the stage (e.g. re-initialise the regressor).
    select_on_val : bool
        Keep the epoch with the best validation metric (False for representation stages whose
        predictions are not yet meaningful).
    freezes_main_backbone : bool
        For ``"before"`` stages: the main stage then trains the head only (a linear probe).
    weights : callable, optional
        ``weights(plan) -> LDSWeights keyword arguments`` for this stage's sample weights, read
        from the finished plan when training starts (RRT's re-weighted regressor stage); None
        keeps the main stage's weights.
    min_epochs : int
        Floor of the stage's epochs, for stages that need a few epochs whatever the budget
        (HCA-d's distillation); 1 by default.
    """

    name: str
    position: Literal["before", "after"]
    epoch_fraction: float
    trainable: Callable[[DIRModel], list[nn.Module]]
    loss: Callable[[DIROutput, Batch, TrainingPlan], Tensor]
    predict: Callable[[DIROutput], Tensor] | None = None
    prepare_model: Callable[[DIRModel], None] | None = None
    select_on_val: bool = True
    freezes_main_backbone: bool = False
    weights: Callable[[TrainingPlan], Mapping[str, Any]] | None = None
    min_epochs: int = 1

    def epochs(self, total: int) -> int:
        """This stage's epochs when the main stage trains ``total``.

        Examples
        --------
        >>> stage = Stage("s", "after", 0.2, list, lambda *a: None, min_epochs=5)
        >>> stage.epochs(3), stage.epochs(30), stage.epochs(100)
        (5, 6, 20)
        """
        return max(1, self.min_epochs, round(total * self.epoch_fraction))


@dataclass(frozen=True)
class ExtraModule:
    """A module a loss owns whose parameters the optimiser trains (Balanced MSE's noise sigma).

    Built from the label context with the model, after the head (so it can read the head's
    :meth:`~HeadStrategy.regression_loss_units`), and attached as ``model.extra_modules[name]``,
    so it follows ``.to(device)``, checkpoints and best-on-validation restores. Its parameters
    are trained by the stages that train the whole head (the main stage, RRT), whose loss is the
    head's; stages that train only the backbone or part of the head leave them fixed.

    Attributes
    ----------
    build : callable
        ``build(context) -> nn.Module``.
    lr : float, optional
        Its own Adam learning rate; None uses ``TrainConfig.lr``.
    """

    build: Callable[[LabelContext], nn.Module]
    lr: float | None = None


@dataclass
class TrainingPlan:
    """The composed recipe: one head strategy plus modifiers, filled in by each method's ``apply``.

    Fields are read when training runs, so the order of ``"a+b+c"`` does not matter.

    Attributes
    ----------
    head : HeadStrategy
    weights : dict
        Keyword arguments of :class:`~dirkit.density.LDSWeights` for the sample weights
        (``reweight="none"``: all ones).
    main_weights : dict or None
        Sample weights of the main (and ``"before"``) stages when they differ from ``weights``;
        None uses ``weights``. RRT trains its first stage unweighted and re-weights its own.
    fds : dict or None
        Keyword arguments of :class:`~dirkit.nn.FDS`; None without FDS.
    regression_loss : callable
        ``loss(pred, target, *, weight) -> Tensor`` (any dirkit regression loss) used by the
        head for its regression part.
    regression_loss_in_label_units : bool
        True when the loss has parameters in label units (Focal-R's beta): regression
        heads then compute it in label units whatever ``TrainConfig.regression_units`` says.
    regularizers : list of Regularizer
    resampler : object with ``fit_resample`` or None
        Applied to the training split before anything else (vector inputs only).
    stages : list of Stage
        Extra stages from modifiers (RRT, RnC pre-training).
    extra_modules : dict of str to ExtraModule
        Modules with trainable loss parameters, attached to the model by name.
    configs : dict
        Each method's config as plain values, recorded with the results.
    """

    head: HeadStrategy
    weights: dict[str, Any] = field(default_factory=lambda: {"reweight": "none", "lds": False})
    main_weights: dict[str, Any] | None = None
    fds: dict[str, Any] | None = None
    regression_loss: RegressionLoss = weighted_mse
    regression_loss_name: str = "mse"
    regression_loss_in_label_units: bool = False
    regularizers: list[Regularizer] = field(default_factory=list)
    resampler: Any = None
    stages: list[Stage] = field(default_factory=list)
    extra_modules: dict[str, ExtraModule] = field(default_factory=dict)
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def main_loss(self, output: DIROutput, batch: Batch) -> Tensor:
        """Head loss plus every weighted regulariser."""
        loss = self.head.loss(output, batch, self)
        for term in self.regularizers:
            loss = loss + self.regularizer_weight(term) * term.fn(output, batch)
        return loss

    def regularizer_weight(self, term: Regularizer) -> float:
        """The weight ``term`` is applied with: its own, times the head's scale if it asks."""
        return term.weight * self.head.regularizer_scale(self) if term.scaled_to_head else term.weight


def parameters_of(modules: list[nn.Module]) -> list[torch.nn.Parameter]:
    """Unique parameters of ``modules`` in order."""
    seen: dict[int, torch.nn.Parameter] = {}
    for module in modules:
        for p in module.parameters():
            seen.setdefault(id(p), p)
    return list(seen.values())
