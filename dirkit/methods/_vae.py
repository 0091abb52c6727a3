"""``vae``: a variational feature bottleneck before the regressor (the DIR tables' VAE baseline)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from dirkit._validation import Interval, validate_parameter_constraints
from dirkit.datasets._batches import Batch
from dirkit.losses import gaussian_kl
from dirkit.methods._compose import register_method
from dirkit.methods._plan import HeadStrategy, LabelContext, TrainingPlan
from dirkit.nn import DIROutput
from dirkit.nn.heads import VariationalHead

__all__ = ["VAEConfig", "VariationalStrategy"]

_CONSTRAINTS: dict[str, list[object]] = {
    "kl_weight": [Interval(float, 0, None)],
    "latent_dim": [Interval(int, 1, None), None],
}


@dataclass(frozen=True)
class VAEConfig:
    """Regress on a reparameterised code ``z ~ N(mu(x), diag(var(x)))`` with a KL term to N(0, I).

    The VAE rows of the DIR tables (Wang & Wang 2023, Table 1-3; Kingma & Welling 2014): the
    encoder's features are mapped to ``mu`` and ``log var``, the regressor reads a sample of
    ``z`` in training and ``mu`` in evaluation, and the loss is the plan's regression loss plus
    ``kl_weight * KL(q(z|x) || N(0, I))`` (batch mean of the per-sample KL summed over ``z``).
    ``kl_weight=1e-3``: the KL coefficient of the VIR release's training loop (``KL_DIV(...,
    0.001)``), the code those tables come from; the tables give no other value. There is no
    input reconstruction (the release's ``--use_recons`` is part of VIR, not of this baseline).
    Composes like plain regression: re-weighting and LDS weigh the regression term, FDS
    calibrates the features before the bottleneck, ``focal-r``/``balanced-mse`` replace the
    regression loss.

    Attributes
    ----------
    kl_weight : float
        Weight of the KL term (VIR release: 0.001).
    latent_dim : int, optional
        Size of ``z``; default the feature width.
    """

    kl_weight: float = 1e-3
    latent_dim: int | None = None


class VariationalStrategy(HeadStrategy):
    """A :class:`~dirkit.nn.heads.VariationalHead` trained with the regression loss plus the KL term.

    Parameters
    ----------
    config : VAEConfig
    """

    def __init__(self, config: VAEConfig) -> None:
        self.config = config
        self.mean, self.std = 0.0, 1.0  # the head predicts mean + std * output; set by build()
        self.location, self.scale = 0.0, 1.0  # the regression loss's units; set by build()

    def build(self, feature_dim: int, context: LabelContext) -> nn.Module:
        self.mean, self.std = context.label_mean, context.label_std
        if context.regression_units == "standardised":
            self.location, self.scale = self.mean, self.std
        return VariationalHead(feature_dim, latent_dim=self.config.latent_dim)

    def loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        prediction = self.predict(output)
        if plan.regression_loss_in_label_units:
            regression = plan.regression_loss(prediction, batch.y, weight=batch.weight)
        else:
            pred = (prediction - self.location) / self.scale
            target = (batch.y - self.location) / self.scale
            regression = plan.regression_loss(pred, target, weight=batch.weight)
        code = output.prediction
        return regression + self.config.kl_weight * gaussian_kl(code["mu"], code["logvar"])

    def predict(self, output: DIROutput) -> Tensor:
        prediction: Tensor = output.prediction["prediction"]
        return self.mean + self.std * prediction


@register_method("vae", VAEConfig, defines_head=True,
                 summary="variational feature bottleneck with a KL term to N(0, I) (Kingma & Welling)")
def _apply(plan: TrainingPlan, config: VAEConfig) -> None:
    validate_parameter_constraints(_CONSTRAINTS, vars(config), "vae")
    plan.head = VariationalStrategy(config)
