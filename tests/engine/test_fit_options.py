"""``fit_method(sample_weight=..., select_on_val=...)``: row weights and training without selection."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from dirkit.datasets import make_synthetic
from dirkit.density import LDSWeights
from dirkit.engine import TrainConfig, fit_method
from dirkit.engine import _fit as fit_module
from dirkit.exceptions import ConfigError, ShapeError

TINY = TrainConfig(epochs=2, hidden=(16,), feature_dim=8, batch_size=64)
DATA = make_synthetic(0, scale=0.1)


@pytest.fixture
def stages(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Records each stage's training weights and whether it was given a validation table."""
    records: list[dict[str, Any]] = []
    original = fit_module.Trainer.fit

    def recording(self: Any, module: Any, train: Any, sampler: Any, val: Any = None) -> None:
        records.append({"weight": train.weight.cpu().numpy().copy(), "validated": val is not None})
        original(self, module, train, sampler, val)

    monkeypatch.setattr(fit_module.Trainer, "fit", recording)
    return records


def lds_weights() -> np.ndarray:
    binner = DATA.binner()
    return LDSWeights(binner=binner, reweight="sqrt_inv", lds=True).fit(DATA.y_train).weights_


def test_sample_weight_multiplies_the_methods_weights(stages):
    rows = np.random.default_rng(0).uniform(0.5, 2.0, size=len(DATA.y_train))
    fit_method(DATA, "lds", train_config=TINY, sample_weight=rows)
    np.testing.assert_allclose(stages[0]["weight"], lds_weights() * rows, rtol=1e-6)


def test_sample_weight_also_multiplies_a_stages_own_weights(stages):
    rows = np.random.default_rng(1).uniform(0.5, 2.0, size=len(DATA.y_train))
    fit_method(DATA, "rrt+lds", train_config=TINY)
    fit_method(DATA, "rrt+lds", train_config=TINY, sample_weight=rows)
    _, own, main, retrained = stages
    np.testing.assert_allclose(main["weight"], rows, rtol=1e-6)  # RRT's first stage is unweighted
    assert not np.allclose(own["weight"], 1.0)  # RRT's re-weighted stage ...
    np.testing.assert_allclose(retrained["weight"], own["weight"] * rows, rtol=1e-6)  # ... times rows


def test_no_sample_weight_and_unit_weights_train_identically():
    plain = fit_method(DATA, "lds", train_config=TINY).predict(DATA.x_test)
    ones = fit_method(DATA, "lds", train_config=TINY, sample_weight=np.ones(len(DATA.y_train)))
    np.testing.assert_array_equal(ones.predict(DATA.x_test), plain)


def test_bad_sample_weights_are_refused_with_the_reason():
    n = len(DATA.y_train)
    with pytest.raises(ShapeError, match=rf"shape \({n},\)"):
        fit_method(DATA, "vanilla", train_config=TINY, sample_weight=np.ones(n - 1))
    with pytest.raises(ConfigError, match="non-negative"):
        fit_method(DATA, "vanilla", train_config=TINY, sample_weight=-np.ones(n))
    with pytest.raises(ConfigError, match="resamples the training set"):
        fit_method(DATA, "smoter", train_config=TINY, sample_weight=np.ones(n))


def test_without_selection_no_stage_reads_validation_and_the_last_epoch_is_kept(stages):
    fitted = fit_method(DATA, "rrt", train_config=TINY, select_on_val=False)
    assert [s["validated"] for s in stages] == [False, False]
    assert not any("val_mae" in record for record in fitted.history)
    selected = fit_method(DATA, "vanilla", train_config=TINY)
    assert all("val_mae" in record for record in selected.history)


def test_a_resumed_two_stage_run_counts_the_earlier_attempts_training_time(tmp_path):
    data = make_synthetic(0, scale=0.1)
    config = TrainConfig(epochs=2, hidden=(16,), feature_dim=8, batch_size=64)
    fresh = fit_method(data, "rrt", train_config=config, checkpoint_dir=tmp_path)
    assert fresh.resumed_s == 0
    saved = sorted(tmp_path.glob("stage*.pt"))
    assert [p.name for p in saved] == ["stage0-main.pt", "stage1-rrt.pt"]
    earlier = sum(torch.load(p, weights_only=True)["elapsed_s"] for p in saved)
    # rerunning with the same folder resumes both finished stages and trains no epoch
    resumed = fit_method(data, "rrt", train_config=config, checkpoint_dir=tmp_path)
    assert resumed.resumed_s == pytest.approx(earlier) and earlier > 0
    np.testing.assert_array_equal(resumed.predict(data.x_test), fresh.predict(data.x_test))
