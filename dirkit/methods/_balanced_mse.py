"""``balanced-mse``: Balanced MSE with a learnable noise scale (Ren et al. 2022)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import Tensor, nn

from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.exceptions import ConfigError
from dirkit.losses import BMCLoss, BNILoss, GAILoss
from dirkit.methods._compose import register_method
from dirkit.methods._loss_choice import choose_regression_loss
from dirkit.methods._plan import ExtraModule, LabelContext, TrainingPlan

__all__ = ["BalancedMSEConfig", "BalancedMSELoss"]

_CONSTRAINTS: dict[str, list[object]] = {
    "variant": [OneOf(("bmc", "gai", "bni"))],
    "init_noise_sigma": [Interval(float, 0, None, closed="neither")],
    "learnable_noise": ["boolean"],
    "sigma_lr": [Interval(float, 0, None, closed="neither")],
    "n_components": [Interval(int, 1, None)],
}


@dataclass(frozen=True)
class BalancedMSEConfig:
    """Balanced MSE: the MSE of the balanced likelihood, with label noise scale sigma.

    Defaults from the reference release of Ren et al. 2022 ("Balanced MSE for Imbalanced
    Visual Regression", CVPR): ``init_noise_sigma=1.0`` and ``sigma_lr=0.01`` (its argument
    defaults; its IMDB-WIKI-DIR commands start from ``init_noise_sigma=10.0``), a GMM of
    ``n_components=8`` for GAI (its ``preprocess_gmm.py``), sigma learned jointly. The
    reference's default variant is GAI; dirkit defaults to ``variant="bmc"``, which needs no
    fitted label model (pass ``variant="gai"`` to reproduce). sigma is in label units.

    BMC classifies each prediction among the batch targets, so it needs batches of at least 2;
    a trailing batch of one sample contributes a zero loss (the exact BMC value of a one-sample
    batch, which has no gradient). Composed re-weighting multiplies each sample's loss by its
    weight; the reference applies none.

    Attributes
    ----------
    variant : {"bmc", "gai", "bni"}
        Batch-based Monte-Carlo, GMM-based analytical integration, or bin-based numerical
        integration over the training histogram (the plan's fine bins).
    init_noise_sigma : float
        Initial sigma in label units (reference default: 1.0).
    learnable_noise : bool
        Learn sigma jointly with the model (reference default: True) or keep it fixed.
    sigma_lr : float
        Adam learning rate of sigma (reference default: 0.01).
    n_components : int
        GMM components for GAI (paper: 8).
    """

    variant: Literal["bmc", "gai", "bni"] = "bmc"
    init_noise_sigma: float = 1.0
    learnable_noise: bool = True
    sigma_lr: float = 0.01
    n_components: int = 8


class BalancedMSELoss:
    """The plan's regression loss: the Balanced MSE module built with (and stored in) the model.

    ``build(context)`` creates the loss module (fitting the GMM or reading the histogram of the
    training labels) and returns it for :class:`~dirkit.methods.ExtraModule`; the model then
    owns sigma, so the optimiser trains it and checkpoints hold it.

    Parameters
    ----------
    config : BalancedMSEConfig
    """

    def __init__(self, config: BalancedMSEConfig) -> None:
        self.config = config
        self.module: nn.Module | None = None

    def build(self, context: LabelContext) -> nn.Module:
        """The loss module for the training labels of ``context``."""
        c = self.config
        module: nn.Module
        if c.variant == "bmc":
            module = BMCLoss(c.init_noise_sigma, learn_noise=c.learnable_noise)
        elif c.variant == "gai":
            module = GAILoss.from_labels(
                context.y_train, n_components=c.n_components, random_state=context.seed,
                init_noise_sigma=c.init_noise_sigma, learn_noise=c.learnable_noise,
            )
        else:
            binner = context.binner
            module = BNILoss(binner.bin_centers_, binner.counts_, init_noise_sigma=c.init_noise_sigma,
                             learn_noise=c.learnable_noise)
        self.module = module
        return module

    @property
    def noise_sigma(self) -> Tensor:
        """The current sigma (0-d) of the built module."""
        sigma = self._built().noise_sigma
        if not isinstance(sigma, Tensor):  # pragma: no cover - every Balanced MSE module has one
            raise ConfigError("The Balanced MSE loss module has no noise_sigma tensor.")
        return sigma

    def __call__(self, pred: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        module = self._built()
        if self.config.variant == "bmc" and pred.shape[0] < 2:
            return pred.sum() * 0.0
        loss: Tensor = module(pred, target, weight=weight)
        return loss

    def _built(self) -> nn.Module:
        if self.module is None:
            raise ConfigError(
                "The Balanced MSE loss is built with the model (it needs the training labels); "
                "train the plan with dirkit.engine.fit_plan or call BalancedMSELoss.build first."
            )
        return self.module


@register_method("balanced-mse", BalancedMSEConfig,
                 summary="Balanced MSE (BMC/GAI/BNI) with learnable noise (Ren et al. 2022)")
def _apply(plan: TrainingPlan, config: BalancedMSEConfig) -> None:
    validate_parameter_constraints(_CONSTRAINTS, vars(config), "balanced-mse")
    loss = BalancedMSELoss(config)
    choose_regression_loss(plan, loss, f"balanced-mse-{config.variant}", method="balanced-mse",
                           label_units=True)
    lr = config.sigma_lr if config.learnable_noise else None
    plan.extra_modules["balanced-mse"] = ExtraModule(loss.build, lr=lr)
