"""Prediction rules that combine global regressors with a group mixture, chosen on validation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from torch import Tensor

from dirkit.exceptions import ConfigError

__all__ = ["GATE_QUANTILES", "RULE_NAMES", "PredictionRule", "choose_rule"]

RuleName = Literal["regressor", "mixture", "blend", "gate"]

#: The kinds of rule :func:`choose_rule` tries.
RULE_NAMES: tuple[RuleName, ...] = ("regressor", "mixture", "blend", "gate")

#: Thresholds tried for the ``"gate"`` rule: these quantiles of the validation confidence.
GATE_QUANTILES = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class PredictionRule:
    """How a regressor's prediction ``r``, the mixture ``m`` and the confidence ``c`` combine.

    ``"regressor"``: ``r``. ``"mixture"``: ``m``. ``"blend"``: ``(r + m) / 2``. ``"gate"``:
    ``m`` where ``c >= threshold``, ``r`` elsewhere. ``regressor`` names which global
    regressor gives ``r`` (``group-robust``: ``"global"`` or ``"balanced"``).

    Examples
    --------
    >>> import torch
    >>> r, m, c = torch.tensor([1.0, 1.0]), torch.tensor([3.0, 3.0]), torch.tensor([0.9, 0.2])
    >>> PredictionRule("gate", 0.5).apply(r, m, c).tolist(), PredictionRule("blend").apply(r, m, c).tolist()
    ([3.0, 1.0], [2.0, 2.0])
    >>> PredictionRule("gate", 0.5, regressor="balanced").describe()
    'gate(balanced)@0.5'
    """

    name: RuleName
    threshold: float = 0.0
    regressor: str = "global"

    def apply(self, regression: Any, mixture: Any, confidence: Any) -> Any:
        """The rule's prediction from tensors or arrays of shape (N,)."""
        if self.name == "regressor":
            return regression
        if self.name == "mixture":
            return mixture
        if self.name == "blend":
            return (regression + mixture) / 2
        if self.name == "gate":
            keep = confidence >= self.threshold
            return mixture * keep + regression * ~keep if isinstance(keep, Tensor) else np.where(
                keep, mixture, regression)
        raise ConfigError(f"Unknown prediction rule {self.name!r}; valid: {', '.join(RULE_NAMES)}.")

    def describe(self) -> str:
        """``"global"``, ``"mixture"``, ``"blend(global)"``, ``"gate(balanced)@0.412"``, ..."""
        if self.name == "regressor":
            return self.regressor
        if self.name == "mixture":
            return "mixture"
        suffix = f"@{self.threshold:.4g}" if self.name == "gate" else ""
        return f"{self.name}({self.regressor}){suffix}"


def choose_rule(
    regressors: Mapping[str, np.ndarray],
    mixture: np.ndarray,
    confidence: np.ndarray,
    y: np.ndarray,
    *,
    rules: Sequence[str] = RULE_NAMES,
) -> tuple[PredictionRule, dict[str, float]]:
    """The candidate rule with the lowest MAE on the (validation) labels ``y``.

    The first regressor alone is always a candidate and wins ties, so the choice can only
    depart from it where validation says a combination helps. Every other rule in ``rules`` is
    tried with every regressor; gate thresholds are the :data:`GATE_QUANTILES` of
    ``confidence``.

    Parameters
    ----------
    regressors : mapping of str to array of shape (N,)
        Predictions of the global regressors, the default one first.
    mixture, confidence : arrays of shape (N,)
        The group mixture's prediction and the classifier's top posterior.
    y : array of shape (N,)
        Validation labels.
    rules : sequence of str
        Kinds of rule to try, from :data:`RULE_NAMES`.

    Returns
    -------
    rule : PredictionRule
    scores : dict of str to float
        Validation MAE of every candidate, keyed by :meth:`PredictionRule.describe`.

    Examples
    --------
    >>> y = np.array([0.0, 1.0, 2.0])
    >>> rule, scores = choose_rule({"global": y + 1}, y, np.ones(3), y, rules=("mixture",))
    >>> rule.describe(), scores
    ('mixture', {'global': 1.0, 'mixture': 0.0})
    """
    unknown = [name for name in rules if name not in RULE_NAMES]
    if unknown:
        raise ConfigError(f"Unknown prediction rule {unknown[0]!r}; valid: {', '.join(RULE_NAMES)}.")
    if not regressors:
        raise ConfigError("choose_rule needs at least one regressor's predictions.")
    names = list(regressors)
    candidates = [PredictionRule("regressor", regressor=names[0])]
    if "regressor" in rules:
        candidates += [PredictionRule("regressor", regressor=name) for name in names[1:]]
    if "mixture" in rules:
        candidates.append(PredictionRule("mixture", regressor=names[0]))
    for name in names:
        if "blend" in rules:
            candidates.append(PredictionRule("blend", regressor=name))
        if "gate" in rules and len(confidence):
            thresholds = np.unique(np.quantile(confidence, GATE_QUANTILES))
            candidates += [PredictionRule("gate", float(t), regressor=name) for t in thresholds]
    target = np.asarray(y, dtype=np.float64)
    scores = {
        rule.describe(): float(np.abs(
            rule.apply(regressors[rule.regressor], mixture, confidence) - target).mean())
        for rule in candidates
    }
    best = min(candidates, key=lambda rule: scores[rule.describe()])  # first minimum on ties
    return best, scores
