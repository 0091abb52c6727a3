"""Losses: each one a pure function plus a thin ``nn.Module``, registered in ``LOSSES`` by name.

Pointwise regression losses accept per-sample weights (LDS and re-weighting); the weighted
mean is ``mean(weight * loss)`` so that mean-one weights keep the loss scale.

============================  ====================================================
``l1``, ``mse``, ``huber``    weighted pointwise regression losses
``focal-l1``, ``focal-mse``   Focal-R (Yang et al. 2021)
``balanced-mse-bmc|gai|bni``  Balanced MSE: BMC, GAI, BNI (Ren et al. 2022)
``soft-ce``                   cross-entropy with soft (descending) group labels
``logit-adjusted-ce``         logit-adjusted cross-entropy (Menon et al. 2021)
``ranksim``                   RankSim regulariser (Gong et al. 2022)
``rnc``                       Rank-N-Contrast (Zha et al. 2023)
``gcl``                       group contrastive loss of Group-DIR (Pu et al. 2025)
``conr``                      ConR (Keramati et al. 2024)
``der``                       deep evidential regression, NIG likelihood (Amini et al. 2020)
``ordinal-entropy``           ordinal entropy regulariser (Zhang et al. 2023)
``gaussian-kl``               KL of a Gaussian posterior from N(0, I) (VAE, VIR)
============================  ====================================================
"""

from dirkit._registry import LOSSES
from dirkit.losses._base import LossModule
from dirkit.losses._bmc import BMCLoss, bmc_loss
from dirkit.losses._bni import BNILoss, bni_loss
from dirkit.losses._conr import ConRLoss, conr_loss
from dirkit.losses._evidential import (
    EvidentialRegressionLoss,
    evidential_regression_loss,
    nig_nll,
    split_nig,
)
from dirkit.losses._focal import FocalL1Loss, FocalMSELoss, focal_l1, focal_mse, focal_regression
from dirkit.losses._gai import GAILoss, gai_loss
from dirkit.losses._gaussian_kl import GaussianKLLoss, gaussian_kl
from dirkit.losses._gcl import GroupContrastiveLoss, group_contrastive_loss
from dirkit.losses._huber import HuberLoss, weighted_huber
from dirkit.losses._l1 import L1Loss, weighted_l1
from dirkit.losses._logit_adjusted_ce import LogitAdjustedCELoss, logit_adjusted_cross_entropy
from dirkit.losses._mse import MSELoss, weighted_mse
from dirkit.losses._ordinal_entropy import OrdinalEntropyLoss, ordinal_entropy_loss
from dirkit.losses._ranksim import RankSimLoss, ranksim_loss
from dirkit.losses._rnc import RankNContrastLoss, rank_n_contrast_loss
from dirkit.losses._soft_ce import SoftCrossEntropyLoss, soft_cross_entropy

__all__ = [
    "LOSSES",
    "BMCLoss",
    "BNILoss",
    "ConRLoss",
    "EvidentialRegressionLoss",
    "FocalL1Loss",
    "FocalMSELoss",
    "GAILoss",
    "GaussianKLLoss",
    "GroupContrastiveLoss",
    "HuberLoss",
    "L1Loss",
    "LogitAdjustedCELoss",
    "LossModule",
    "MSELoss",
    "OrdinalEntropyLoss",
    "RankNContrastLoss",
    "RankSimLoss",
    "SoftCrossEntropyLoss",
    "bmc_loss",
    "bni_loss",
    "conr_loss",
    "evidential_regression_loss",
    "focal_l1",
    "focal_mse",
    "focal_regression",
    "gai_loss",
    "gaussian_kl",
    "group_contrastive_loss",
    "logit_adjusted_cross_entropy",
    "nig_nll",
    "ordinal_entropy_loss",
    "rank_n_contrast_loss",
    "ranksim_loss",
    "soft_cross_entropy",
    "split_nig",
    "weighted_huber",
    "weighted_l1",
    "weighted_mse",
]
