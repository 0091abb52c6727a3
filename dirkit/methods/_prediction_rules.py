"""Prediction rules that combine a global regressor with a group mixture, chosen on validation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from torch import Tensor

from dirkit.exceptions import ConfigError

__all__ = ["GATE_QUANTILES", "PredictionRule", "choose_rule"]

RuleName = Literal["global", "mixture", "blend", "gate"]

#: Thresholds tried for the ``"gate"`` rule: these quantiles of the validation confidence.
GATE_QUANTILES = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class PredictionRule:
    """How the global head's prediction ``g``, the mixture ``m`` and the confidence ``c`` combine.

    ``"global"``: ``g``. ``"mixture"``: ``m``. ``"blend"``: ``(g + m) / 2``. ``"gate"``: ``m``
    where ``c >= threshold``, ``g`` elsewhere.

    Examples
    --------
    >>> import torch
    >>> g, m, c = torch.tensor([1.0, 1.0]), torch.tensor([3.0, 3.0]), torch.tensor([0.9, 0.2])
    >>> PredictionRule("gate", 0.5).apply(g, m, c).tolist(), PredictionRule("blend").apply(g, m, c).tolist()
    ([3.0, 1.0], [2.0, 2.0])
    """

    name: RuleName
    threshold: float = 0.0

    def apply(self, global_: Any, mixture: Any, confidence: Any) -> Any:
        """The rule's prediction from tensors or arrays of shape (N,)."""
        if self.name == "global":
            return global_
        if self.name == "mixture":
            return mixture
        if self.name == "blend":
            return (global_ + mixture) / 2
        if self.name == "gate":
            keep = confidence >= self.threshold
            return mixture * keep + global_ * ~keep if isinstance(keep, Tensor) else np.where(
                keep, mixture, global_)
        raise ConfigError(f"Unknown prediction rule {self.name!r}; valid: global, mixture, blend, gate.")

    def describe(self) -> str:
        """``"gate@0.412"`` for a gate, the name otherwise."""
        return f"gate@{self.threshold:.4g}" if self.name == "gate" else self.name


def choose_rule(
    global_: np.ndarray,
    mixture: np.ndarray,
    confidence: np.ndarray,
    y: np.ndarray,
    *,
    rules: Sequence[str] = ("global", "mixture", "blend", "gate"),
) -> tuple[PredictionRule, dict[str, float]]:
    """The candidate rule with the lowest MAE on the (validation) labels ``y``.

    ``"global"`` is always a candidate and wins ties, so the choice can only move away from the
    global head where validation says the group mixture helps. Gate thresholds are the
    :data:`GATE_QUANTILES` of ``confidence``.

    Returns
    -------
    rule : PredictionRule
    scores : dict of str to float
        Validation MAE of every candidate, keyed by :meth:`PredictionRule.describe`.

    Examples
    --------
    >>> y = np.array([0.0, 1.0, 2.0])
    >>> rule, scores = choose_rule(y + 1, y, np.ones(3), y, rules=("global", "mixture"))
    >>> rule.describe(), scores
    ('mixture', {'global': 1.0, 'mixture': 0.0})
    """
    candidates = [PredictionRule("global")]
    for name in dict.fromkeys(rules):
        if name == "mixture":
            candidates.append(PredictionRule("mixture"))
        elif name == "blend":
            candidates.append(PredictionRule("blend"))
        elif name == "gate" and len(confidence):
            thresholds = np.unique(np.quantile(confidence, GATE_QUANTILES))
            candidates += [PredictionRule("gate", float(t)) for t in thresholds]
        elif name not in ("global", "gate"):
            raise ConfigError(f"Unknown prediction rule {name!r}; valid: global, mixture, blend, gate.")
    target = np.asarray(y, dtype=np.float64)
    scores = {
        rule.describe(): float(np.abs(rule.apply(global_, mixture, confidence) - target).mean())
        for rule in candidates
    }
    best = min(candidates, key=lambda rule: scores[rule.describe()])  # first minimum: global on ties
    return best, scores
