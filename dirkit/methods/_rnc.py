"""``rnc``: Rank-N-Contrast encoder pre-training, then a linear regressor (Zha et al. 2023)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import Tensor, nn

from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.datasets._batches import Batch
from dirkit.losses import rank_n_contrast_loss, weighted_l1, weighted_mse
from dirkit.methods._compose import register_method
from dirkit.methods._loss_choice import loss_method_composed
from dirkit.methods._plan import Stage, TrainingPlan
from dirkit.nn import DIRModel, DIROutput

__all__ = ["RnCConfig"]

_CONSTRAINTS: dict[str, list[object]] = {
    "temperature": [Interval(float, 0, None, closed="neither")],
    "pretrain_epoch_fraction": [Interval(float, 0, None, closed="neither")],
    "probe_loss": [OneOf(("l1", "mse"))],
}


@dataclass(frozen=True)
class RnCConfig:
    """Train the encoder with the RnC loss, then a linear regressor on its frozen features.

    Zha et al. 2023 ("Rank-N-Contrast", NeurIPS) and their release: the encoder is trained
    with ``L_RnC`` (label distance L1, feature similarity negative L2, ``temperature=2``) for
    400 epochs, then a linear regressor on the frozen encoder with the L1 loss for 100
    epochs, keeping the best validation epoch. In dirkit the main stage is that linear probe
    (``TrainConfig.epochs``) and the pre-training stage lasts ``pretrain_epoch_fraction``
    times as long (400 / 100 = 4.0). The release contrasts two augmented views of each image;
    dirkit's vector inputs have one view per sample. The contrastive loss is unweighted (the
    paper has no sample weights); composed re-weighting weights the probe's regression loss.

    Attributes
    ----------
    temperature : float
        ``t`` of the RnC loss (paper: 2.0).
    pretrain_epoch_fraction : float
        Pre-training epochs as a multiple of the probe's epochs (paper: 4.0).
    probe_loss : {"l1", "mse"}
        Regression loss of the linear probe (paper: 'l1'); a composed loss method (Focal-R,
        Balanced MSE) takes precedence.
    """

    temperature: float = 2.0
    pretrain_epoch_fraction: float = 4.0
    probe_loss: Literal["l1", "mse"] = "l1"


def _backbone_only(model: DIRModel) -> list[nn.Module]:
    return [model.backbone]


@register_method("rnc", RnCConfig,
                 summary="Rank-N-Contrast pre-training, then a linear probe (Zha et al. 2023)")
def _apply(plan: TrainingPlan, config: RnCConfig) -> None:
    validate_parameter_constraints(_CONSTRAINTS, vars(config), "rnc")

    def contrastive_loss(output: DIROutput, batch: Batch, _: TrainingPlan) -> Tensor:
        if len(batch) < 2:  # each anchor needs another sample; a one-sample batch has no loss
            return output.features.sum() * 0.0
        # gather=True: under torch.distributed every process contrasts its anchors with the whole
        # global batch (exactly the one-process loss and gradient); a no-op in one process
        return rank_n_contrast_loss(output.features, batch.y, temperature=config.temperature,
                                    gather=True)

    if not loss_method_composed(plan):  # a later loss method replaces it again
        plan.regression_loss = weighted_l1 if config.probe_loss == "l1" else weighted_mse
        plan.regression_loss_name = config.probe_loss
    plan.stages.append(Stage(
        "rnc-pretrain", "before", config.pretrain_epoch_fraction, _backbone_only,
        contrastive_loss, select_on_val=False, freezes_main_backbone=True,
    ))
