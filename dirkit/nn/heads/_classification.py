"""A linear classification head (reg+cls, soft-label group classification)."""

from __future__ import annotations

from typing import Any, ClassVar

from torch import Tensor, nn

from dirkit._validation import Interval, validate_parameter_constraints
from dirkit.nn._checks import check_features

__all__ = ["ClassificationHead"]


class ClassificationHead(nn.Module):
    """Map features to class logits with one linear layer.

    Used for the classification branch of reg+cls (Pintea et al. 2023) and for Group-DIR's group
    classifier (Pu et al. 2025), trained with hard or soft-label cross-entropy.

    Parameters
    ----------
    in_features : int
        Feature size ``d``.
    n_classes : int
        Number of classes (bins or groups) ``C``.

    Examples
    --------
    >>> import torch
    >>> head = ClassificationHead(8, 5)
    >>> head(torch.zeros(4, 8)).shape, head.predict(torch.zeros(4, 8)).shape
    (torch.Size([4, 5]), torch.Size([4]))
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "in_features": [Interval(int, 1, None)],
        "n_classes": [Interval(int, 1, None)],
    }

    def __init__(self, in_features: int, n_classes: int) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), "ClassificationHead")
        self.in_features, self.n_classes = in_features, n_classes
        self.linear = nn.Linear(in_features, n_classes)

    def forward(self, features: Tensor) -> Tensor:
        """Return logits of shape (N, n_classes)."""
        check_features(features, self.in_features, "ClassificationHead")
        return self.linear(features)

    def predict_proba(self, features: Tensor) -> Tensor:
        """Class probabilities of shape (N, n_classes)."""
        return self(features).softmax(dim=1)

    def predict(self, features: Tensor) -> Tensor:
        """Most probable class of shape (N,)."""
        return self(features).argmax(dim=1)
