"""Compose backbone -> (FDS) -> head(s) into one module with a typed output."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn

from dirkit.exceptions import ConfigError
from dirkit.nn._fds import FDS

__all__ = ["DIRModel", "DIROutput"]


@dataclass(frozen=True)
class DIROutput:
    """What :class:`DIRModel` returns.

    Attributes
    ----------
    features : Tensor of shape (N, d)
        Backbone output (what FDS collects statistics from).
    calibrated : Tensor of shape (N, d)
        FDS-calibrated features fed to the head(s); ``features`` itself without FDS, in eval
        mode, or before ``fds.start_smooth``.
    prediction : Tensor, list of Tensor, or dict of str to either
        The head's output (e.g. (N,) for :class:`~dirkit.nn.RegressionHead`, a list of logits
        for :class:`~dirkit.nn.HierarchicalClassifier`), or one entry per named head.
    """

    features: Tensor
    calibrated: Tensor
    prediction: Any


class DIRModel(nn.Module):
    """``backbone -> (FDS) -> head`` in one module.

    Parameters
    ----------
    backbone : nn.Module
        Maps inputs to features of shape (N, d), e.g. ``BACKBONES.get("mlp")(in_features)``.
    head : nn.Module or mapping of str to nn.Module
        One head, or several named heads that all read the calibrated features (Group-DIR:
        ``{"cls": ClassificationHead(d, G), "reg": MultiHeadRegressor(d, G)}``). A head whose
        class sets ``takes_bins = True`` (VIR's) is called as ``head(features, bins, epoch=epoch)``.
    fds : FDS, optional
        Feature calibration between backbone and head(s); needs the batch's bins in training.

    Examples
    --------
    >>> import torch
    >>> from dirkit.nn import FDS, MLP, RegressionHead
    >>> model = DIRModel(MLP(5, hidden=(8,)), RegressionHead(8), fds=FDS(8, n_bins=4))
    >>> out = model(torch.zeros(3, 5), torch.tensor([0, 1, 3]))
    >>> out.features.shape, out.prediction.shape
    (torch.Size([3, 8]), torch.Size([3]))
    """

    def __init__(
        self,
        backbone: nn.Module,
        head: nn.Module | Mapping[str, nn.Module],
        *,
        fds: FDS | None = None,
    ) -> None:
        super().__init__()
        dim = getattr(backbone, "feature_dim", None)
        if fds is not None and dim is not None and fds.feature_dim != dim:
            raise ConfigError(
                f"FDS has feature_dim={fds.feature_dim} but the backbone's feature_dim is {dim}."
            )
        self.backbone = backbone
        self.head: nn.Module = head if isinstance(head, nn.Module) else nn.ModuleDict(head)
        self.fds = fds

    def forward(self, x: Tensor, bins: Tensor | None = None, *, epoch: int | None = None) -> DIROutput:
        """Run the model.

        Parameters
        ----------
        x : Tensor
            Backbone input.
        bins : Tensor of shape (N,), optional
            Bin ids (or float labels for an FDS with a binner); needed in training with FDS.
        epoch : int, optional
            Passed to FDS; defaults to its own epoch counter.
        """
        features = self.backbone(x)
        calibrated = features if self.fds is None else self.fds(features, bins, epoch=epoch)
        if isinstance(self.head, nn.ModuleDict):
            heads = self.head.items()
            prediction: Any = {name: _run_head(head, calibrated, bins, epoch) for name, head in heads}
        else:
            prediction = _run_head(self.head, calibrated, bins, epoch)
        return DIROutput(features=features, calibrated=calibrated, prediction=prediction)


def _run_head(head: nn.Module, features: Tensor, bins: Tensor | None, epoch: int | None) -> Any:
    """``head(features)``, or ``head(features, bins, epoch=epoch)`` for heads that take bins."""
    if getattr(head, "takes_bins", False):
        return head(features, bins, epoch=epoch)
    return head(features)
