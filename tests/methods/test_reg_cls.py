"""``reg-cls``: lambda * MSE + CE, training-only classifier, balanced classes with eq. 13 dropping."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dirkit.datasets import Batch, DatasetSplits
from dirkit.engine import TrainConfig, fit_method, run_experiment
from dirkit.exceptions import ConfigError
from dirkit.losses import weighted_mse
from dirkit.methods import LabelContext, build_plan
from dirkit.methods._reg_cls import RegClsConfig, RegressionClassificationStrategy
from dirkit.nn import DIROutput


def test_loss_decreases_and_predictions_come_from_the_regressor(
    data: DatasetSplits, small: Callable[..., TrainConfig]
) -> None:
    fitted = fit_method(data, "reg-cls", train_config=small(4, lr=3e-3))
    losses = [record["train_loss"] for record in fitted.history]
    assert losses[-1] < 0.6 * losses[0]
    fitted.model.eval()
    with torch.no_grad():
        output = fitted.model(torch.as_tensor(data.x_test[:50], dtype=torch.float32))
    np.testing.assert_allclose(fitted.predict(data.x_test[:50]), output.prediction["reg"].numpy(), rtol=1e-6)
    assert output.prediction["cls"].shape == (50, 10)


def test_balanced_classes_drop_class_terms_at_the_eq13_rate(
    data: DatasetSplits, small: Callable[..., TrainConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    draws: list[tuple[torch.Tensor, torch.Tensor]] = []
    original = RegressionClassificationStrategy.keep_mask

    def recording(self: RegressionClassificationStrategy, keep: torch.Tensor) -> torch.Tensor:
        mask = original(self, keep)
        draws.append((keep.clone(), mask.clone()))
        return mask

    monkeypatch.setattr(RegressionClassificationStrategy, "keep_mask", recording)
    fitted = fit_method(data, "reg-cls", train_config=small(6),
                        overrides={"reg-cls": {"classes": "balanced"}})
    grouper = fitted.plan.head.grouper
    counts = grouper.counts_
    np.testing.assert_allclose(grouper.keep_probability_, counts.min() / counts)
    # histogram equalisation: far more even than the raw skew of the training labels
    assert counts.max() / counts.min() < 3
    rho = torch.cat([keep for keep, _ in draws]).numpy().astype(np.float64)
    kept = torch.cat([mask for _, mask in draws]).numpy()
    assert len(rho) == 6 * len(data.y_train)
    assert (rho < 0.99).any() and not kept.all()
    for value in np.unique(rho):
        rows = np.isclose(rho, value)
        n, rate = rows.sum(), kept[rows].mean()
        assert abs(rate - value) <= 4 * np.sqrt(value * (1 - value) / n) + 1e-9, (value, rate, n)


def test_loss_is_lambda_mse_plus_ce_over_kept_samples(context: LabelContext) -> None:
    strategy = RegressionClassificationStrategy(RegClsConfig(lam=0.5, classes="balanced"))
    extras = strategy.prepare(context)
    rows = torch.arange(40)
    generator = torch.Generator().manual_seed(1)
    logits = torch.randn(40, strategy.grouper.n_groups_, generator=generator)
    output = DIROutput(features=torch.zeros(40, 4), calibrated=torch.zeros(40, 4),
                       prediction={"reg": torch.randn(40, generator=generator), "cls": logits})
    batch = Batch(x=torch.zeros(40, 1), y=torch.as_tensor(context.y_train[:40], dtype=torch.float32),
                  index=rows, bins=rows, weight=torch.ones(40),
                  extras={k: torch.as_tensor(v[:40]) for k, v in extras.items()})
    state = strategy.generator.get_state()
    loss = strategy.loss(output, batch, build_plan("reg-cls"))
    strategy.generator.set_state(state)
    keep = strategy.keep_mask(batch.extras["cls_keep"])
    ce = F.cross_entropy(logits[keep], batch.extras["cls_class"][keep])
    expected = 0.5 * weighted_mse(output.prediction["reg"], batch.y) + ce
    assert torch.allclose(loss, expected)


def test_composes_with_sqinv(
    data: DatasetSplits, small: Callable[..., TrainConfig], captured_weights: list[dict[str, np.ndarray]]
) -> None:
    result = run_experiment(data, "reg-cls+sqinv", train_config=small(2))
    assert np.isfinite(result.metrics["test"]["all"]["mae"])
    weights = captured_weights[0]["weight"]
    assert weights.std() > 0.1 and np.isclose(weights.mean(), 1.0)


def test_diagnostics_keys(data: DatasetSplits, small: Callable[..., TrainConfig]) -> None:
    fitted = fit_method(data, "reg-cls", train_config=small(1), overrides={"reg-cls": {"n_classes": 7}})
    diagnostics = fitted.diagnostics(data.x_test, data.y_test)
    assert set(diagnostics) == {"class_accuracy", "n_classes"}
    assert diagnostics["n_classes"] == 7 and 0 <= diagnostics["class_accuracy"] <= 1


def test_invalid_settings_raise() -> None:
    with pytest.raises(ConfigError, match="classes"):
        build_plan("reg-cls", {"reg-cls": {"classes": "equal"}})
