"""``vir``: variational imbalanced regression (Wang & Wang, NeurIPS 2023)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from torch import Tensor, nn

from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.datasets._batches import Batch
from dirkit.density import LDSWeights
from dirkit.losses import evidential_regression_loss, gaussian_kl
from dirkit.methods._classes import outputs_in_chunks
from dirkit.methods._compose import register_method
from dirkit.methods._plan import HeadStrategy, LabelContext, TrainingPlan
from dirkit.nn import DIRModel, DIROutput
from dirkit.nn.heads import VIRHead, conjugate_nig, nig_uncertainty

__all__ = ["VIRConfig", "VIRStrategy"]

_CONSTRAINTS: dict[str, list[object]] = {
    "lam": [Interval(float, 0, None)],
    "kl_weight": [Interval(float, 0, None)],
    "reweight": [OneOf(("sqrt_inv", "inverse", "none"))],
    "lds": ["boolean"],
    "kernel": [OneOf(("gaussian", "triangular", "laplace"))],
    "ks": [Interval(int, 1, None)],
    "sigma": [Interval(float, 0, None, closed="neither")],
    "momentum": [Interval(float, 0, 1)],
    "start_smooth": [Interval(int, 0, None)],
    "clip": [tuple],
    "prior_nu": [Interval(float, 0, None)],
    "prior_alpha": [Interval(float, 0, None)],
    "latent_dim": [Interval(int, 1, None), None],
}


@dataclass(frozen=True)
class VIRConfig:
    """VIR: a label-smoothed variational code and an NIG output with re-weighted pseudo-counts.

    From Wang & Wang 2023 ("Variational Imbalanced Regression", NeurIPS, sec. 3) and their
    release (``rerun.py``, ``prm.py``, ``loss.py``): the encoder's features give a posterior
    ``N(mu, var)``; :class:`~dirkit.nn.ProbabilisticSmoothing` re-colours it with the
    kernel-smoothed statistics of neighbouring label bins (gaussian, ``ks=5``, ``sigma=2``,
    momentum 0.9, from epoch ``start_smooth=1``, ratio clip (0.1, 10)); a sample ``z`` feeds a
    predictor of ``(ybar, n, omega)``, whose pseudo-count ``n`` is multiplied in training by the
    sample's square-root-inverse LDS weight (``--reweight sqrt_inv --lds``) before forming the NIG
    ``(ybar, nu_0 + w n, alpha_0 + w n / 2, omega)`` with the release's prior ``nu_0 = 0``,
    ``alpha_0 = 0.3``. The loss is the NIG likelihood plus ``lam = 0.01`` times the evidence
    regulariser (``--lambda_reg 0.01``) plus ``kl_weight`` times ``KL(q(z) || N(0, I))``; the
    prediction is ``ybar`` (``z = mu`` in evaluation).

    Simplified or chosen here: the release comments the KL term out of its training loop (its
    coefficient there is 0.001, the default of ``kl_weight``; 0 reproduces the loop); its input
    reconstruction (``--use_recons``, an image decoder with weight 0.7) and its post-hoc
    calibration model are left out; the posterior is computed from the feature vector by a
    linear layer, not inside the last ResNet block; the smoothing statistics come from the
    training pass (see :class:`~dirkit.nn.ProbabilisticSmoothing`). The same kernel settings
    serve the LDS weights and the smoothing, as in the release. Composed re-weighting methods
    multiply each sample's loss by their weight on top (the release has none).

    Attributes
    ----------
    lam : float
        Weight of the evidence regulariser (release: 0.01).
    kl_weight : float
        Weight of the KL term (release coefficient: 0.001).
    reweight : {"sqrt_inv", "inverse", "none"}
        Importance weights of the pseudo-counts (release: 'sqrt_inv').
    lds : bool
        Smooth the label density before weighting (release: True).
    kernel, ks, sigma :
        Kernel of the LDS weights and of the smoothing (release: 'gaussian', 5, 2.0).
    momentum : float
        EMA momentum of the per-bin statistics (release: 0.9).
    start_smooth : int
        First epoch whose posteriors are smoothed (release: 1).
    clip : tuple of (float, float)
        Bounds of the variance ratio (release: (0.1, 10)).
    prior_nu : float
        NIG prior pseudo-count of the mean (release: 0.0).
    prior_alpha : float
        NIG prior shape (release: 0.3).
    latent_dim : int, optional
        Size of ``z``; default the feature width.
    """

    lam: float = 0.01
    kl_weight: float = 1e-3
    reweight: Literal["sqrt_inv", "inverse", "none"] = "sqrt_inv"
    lds: bool = True
    kernel: Literal["gaussian", "triangular", "laplace"] = "gaussian"
    ks: int = 5
    sigma: float = 2.0
    momentum: float = 0.9
    start_smooth: int = 1
    clip: tuple[float, float] = (0.1, 10.0)
    prior_nu: float = 0.0
    prior_alpha: float = 0.3
    latent_dim: int | None = None


class VIRStrategy(HeadStrategy):
    """A :class:`~dirkit.nn.heads.VIRHead` trained with the modulated NIG likelihood and the KL term.

    Parameters
    ----------
    config : VIRConfig
    """

    uses_regression_loss: ClassVar[bool] = False

    def __init__(self, config: VIRConfig) -> None:
        self.config = config
        self.location, self.scale = 0.0, 1.0  # the likelihood's units; set by build()

    def prepare(self, context: LabelContext) -> dict[str, np.ndarray]:
        """The pseudo-count weights ``vir_weight`` of the training samples (mean 1)."""
        c = self.config
        weights = LDSWeights(binner=context.binner, reweight=c.reweight, lds=c.lds and c.reweight != "none",
                             kernel=c.kernel, ks=c.ks, sigma=c.sigma).fit(context.y_train).weights_
        return {"vir_weight": np.asarray(weights, dtype=np.float32)}

    def build(self, feature_dim: int, context: LabelContext) -> nn.Module:
        c = self.config
        if context.regression_units == "standardised":
            self.location, self.scale = context.label_mean, context.label_std
        smoothing = {"kernel": c.kernel, "ks": c.ks, "sigma": c.sigma, "momentum": c.momentum,
                     "start_smooth": c.start_smooth, "clip": tuple(c.clip)}
        return VIRHead(feature_dim, context.binner.n_bins_, latent_dim=c.latent_dim, smoothing=smoothing)

    def nig(self, output: DIROutput, weight: Tensor | None = None) -> Tensor:
        """NIG parameters (N, 4) in the likelihood's units; ``weight`` scales the pseudo-counts."""
        out = output.prediction
        return conjugate_nig(out["ybar"], out["count"], out["omega"], weight=weight,
                             prior_nu=self.config.prior_nu, prior_alpha=self.config.prior_alpha)

    def loss(self, output: DIROutput, batch: Batch, plan: TrainingPlan) -> Tensor:
        target = (batch.y - self.location) / self.scale
        nig = self.nig(output, batch.extras["vir_weight"])
        likelihood = evidential_regression_loss(nig, target, lam=self.config.lam, weight=batch.weight)
        code = output.prediction
        return likelihood + self.config.kl_weight * gaussian_kl(code["mu"], code["var"].log())

    def predict(self, output: DIROutput) -> Tensor:
        ybar: Tensor = output.prediction["ybar"]
        return self.location + self.scale * ybar

    def diagnostics(
        self, model: DIRModel, x: Tensor, y: np.ndarray, context: LabelContext
    ) -> dict[str, Any]:
        """Mean ``aleatoric_std`` and ``epistemic_std`` of the (unweighted) NIG, in label units."""
        params = outputs_in_chunks(model, x, self.nig)
        if len(params) == 0:
            return {}
        aleatoric, epistemic = nig_uncertainty(params.double())
        return {"aleatoric_std": float(aleatoric.sqrt().mean()) * self.scale,
                "epistemic_std": float(epistemic.sqrt().mean()) * self.scale}


@register_method("vir", VIRConfig, defines_head=True,
                 summary="variational imbalanced regression, smoothed posterior + NIG (Wang & Wang 2023)")
def _apply(plan: TrainingPlan, config: VIRConfig) -> None:
    validate_parameter_constraints(_CONSTRAINTS, vars(config), "vir")
    plan.head = VIRStrategy(config)
