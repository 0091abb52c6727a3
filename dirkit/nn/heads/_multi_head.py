"""Group-DIR's multi-head regressor: one scalar head per label group."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
from torch import Tensor, nn

from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.nn._checks import check_features, check_ids

__all__ = ["MultiHeadRegressor"]


class MultiHeadRegressor(nn.Module):
    """``G`` regression heads, one per group, as a single linear layer with ``G`` outputs.

    Train each sample with the head of its **true** group (:meth:`select`); predict with the head
    of the **predicted** group (:meth:`predict`, ``mode="argmax"``) or with the mixture
    ``sum_g p(g|x) y_g`` implied by ``p(y|x) = sum_g p(g|x) p(y|x, g)`` (``mode="mixture"``).
    :meth:`oracle` gives the true-group prediction, a diagnostic upper bound on what better group
    classification could reach.

    Parameters
    ----------
    in_features : int
        Feature size ``d``.
    n_groups : int
        Number of groups ``G`` (Group-DIR default: 10).

    References
    ----------
    Pu, Wang, Xu, Gao. Leveraging Group Classification with Descending Soft Labeling for Deep
    Imbalanced Regression. AAAI 2025.

    Examples
    --------
    >>> head = MultiHeadRegressor(8, n_groups=3)
    >>> z, groups = torch.zeros(4, 8), torch.tensor([0, 2, 1, 2])
    >>> outputs = head(z)                               # (4, 3): every head's prediction
    >>> head.select(outputs, groups).shape              # training: the true group's head
    torch.Size([4])
    >>> head.predict(outputs, torch.randn(4, 3), mode="mixture").shape
    torch.Size([4])
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "in_features": [Interval(int, 1, None)],
        "n_groups": [Interval(int, 1, None)],
    }

    def __init__(self, in_features: int, n_groups: int) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), "MultiHeadRegressor")
        self.in_features, self.n_groups = in_features, n_groups
        self.linear = nn.Linear(in_features, n_groups)

    def forward(self, features: Tensor) -> Tensor:
        """Return every head's prediction, shape (N, n_groups)."""
        check_features(features, self.in_features, "MultiHeadRegressor")
        return self.linear(features)

    def _check_outputs(self, outputs: Tensor) -> None:
        if outputs.dim() != 2 or outputs.shape[1] != self.n_groups:
            raise ShapeError(
                f"MultiHeadRegressor outputs must have shape (N, {self.n_groups}); "
                f"got {tuple(outputs.shape)}."
            )

    def select(self, outputs: Tensor, groups: Tensor) -> Tensor:
        """Prediction of each sample's own group head, shape (N,) (use for the training loss).

        Parameters
        ----------
        outputs : Tensor of shape (N, n_groups)
            The result of ``forward``.
        groups : Tensor of shape (N,)
            Integer group ids in ``[0, n_groups)``.
        """
        self._check_outputs(outputs)
        ids = check_ids(groups, outputs.shape[0], self.n_groups, "MultiHeadRegressor.select")
        return outputs.gather(1, ids.to(outputs.device)[:, None]).squeeze(1)

    def oracle(self, outputs: Tensor, groups: Tensor) -> Tensor:
        """True-group prediction for diagnostics (the error if group classification were perfect).

        Same values as :meth:`select`; evaluated without gradients.
        """
        with torch.no_grad():
            return self.select(outputs, groups)

    def predict(
        self,
        outputs: Tensor,
        group_logits: Tensor,
        *,
        mode: Literal["argmax", "mixture"] = "argmax",
    ) -> Tensor:
        """Inference-time prediction from the group classifier's logits, shape (N,).

        Parameters
        ----------
        outputs : Tensor of shape (N, n_groups)
        group_logits : Tensor of shape (N, n_groups)
            Logits of the group classifier (e.g. a :class:`ClassificationHead`).
        mode : {"argmax", "mixture"}
            ``"argmax"`` (the papers): the head of the most probable group. ``"mixture"``:
            ``sum_g softmax(group_logits)_g * outputs_g``.
        """
        if mode not in ("argmax", "mixture"):
            raise ConfigError(
                "The 'mode' parameter of MultiHeadRegressor.predict must be "
                f"{OneOf(('argmax', 'mixture'))}. Got {mode!r} instead."
            )
        self._check_outputs(outputs)
        if group_logits.shape != outputs.shape:
            raise ShapeError(
                f"group_logits must have the shape of outputs {tuple(outputs.shape)}; "
                f"got {tuple(group_logits.shape)}."
            )
        if mode == "argmax":
            return outputs.gather(1, group_logits.argmax(dim=1, keepdim=True)).squeeze(1)
        return (group_logits.softmax(dim=1) * outputs).sum(dim=1)
