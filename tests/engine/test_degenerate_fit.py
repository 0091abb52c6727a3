"""Small-scale targets: regression heads train in standardised units; a collapse is detected."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from dirkit.datasets import DatasetSplits
from dirkit.datasets._tabular import load_tabular_ir
from dirkit.engine import TrainConfig, run_experiment
from dirkit.engine._degenerate import check_degenerate_fit
from dirkit.exceptions import ConfigError, DegenerateFitWarning

SCALE = 1e-4  # abalone's rings (std 3.2) become a target of std 3.2e-4, like delta_ailerons
CONFIG = TrainConfig(epochs=8, hidden=(64, 64), feature_dim=32)


@pytest.fixture(scope="module")
def tiny_scale(data_dir) -> DatasetSplits:
    """The real abalone table with its target multiplied by 1e-4."""
    data = load_tabular_ir("abalone", 0, data_dir=data_dir)
    low, high = data.label_range
    return dataclasses.replace(
        data, y_train=data.y_train * SCALE, y_val=data.y_val * SCALE, y_test=data.y_test * SCALE,
        bin_width=data.bin_width * SCALE, label_range=(low * SCALE, high * SCALE),
    )


def _spread(predictions: np.ndarray, labels: np.ndarray) -> float:
    return float(predictions.std() / labels.std())


@pytest.mark.parametrize(
    ("method", "overrides"),
    [
        ("vanilla", None),
        ("sqinv+lds", None),
        ("smogn", None),
        # Balanced MSE is built in the head's standardised units (its sigma included); in label
        # units sigma=1.0 is 3,000 label stds and all three variants collapsed (spread 0.013).
        ("balanced-mse", None),
        ("balanced-mse", {"balanced-mse": {"variant": "gai"}}),
        ("balanced-mse", {"balanced-mse": {"variant": "bni"}}),
    ],
)
def test_a_target_of_std_1e_4_trains_to_a_non_constant_predictor(tiny_scale, method, overrides):
    assert tiny_scale.y_train.std() < 5e-4
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateFitWarning)
        result = run_experiment(tiny_scale, method, train_config=CONFIG, overrides=overrides)
    test = result.predictions["test"]
    assert len(np.unique(test)) > 100
    assert _spread(test, tiny_scale.y_test) > 0.4
    assert result.metrics["test"]["all"]["pearson"] > 0.6
    assert "degenerate_fit" not in result.diagnostics


def test_label_units_collapse_and_the_collapse_is_warned_and_recorded(tiny_scale):
    config = dataclasses.replace(CONFIG, regression_units="label")  # the behaviour before the fix
    with pytest.warns(DegenerateFitWarning, match="regression_units='standardised', the default"):
        result = run_experiment(tiny_scale, "vanilla", train_config=config)
    found = result.diagnostics["degenerate_fit"]
    assert found["spread_ratio"] < 0.05
    assert "collapsed to a near-constant predictor" in found["message"]
    assert _spread(result.predictions["test"], tiny_scale.y_test) < 0.05


def test_standardised_units_leave_a_unit_scale_target_fitted_as_before(data_dir):
    data = load_tabular_ir("abalone", 0, data_dir=data_dir)
    mae = {
        units: run_experiment(data, "vanilla", train_config=dataclasses.replace(
            CONFIG, regression_units=units)).metrics["test"]["all"]["mae"]
        for units in ("standardised", "label")
    }
    assert mae["standardised"] == pytest.approx(mae["label"], rel=0.1)


def test_an_unknown_unit_is_refused_with_the_choices(tiny_scale):
    config = dataclasses.replace(CONFIG, regression_units="metres")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="'standardised' or 'label'; got 'metres'"):
        run_experiment(tiny_scale, "vanilla", train_config=config)


def test_the_check_flags_a_constant_and_passes_a_weak_but_varied_predictor():
    rng = np.random.default_rng(0)
    y = rng.normal(size=500)
    with pytest.warns(DegenerateFitWarning, match="1 distinct value"):
        assert check_degenerate_fit(np.full(500, 0.3), y) is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateFitWarning)
        assert check_degenerate_fit(0.2 * y + rng.normal(size=500) * 0.1, y) is None
        assert check_degenerate_fit(np.zeros(3), np.ones(3)) is None  # constant labels: no verdict


def test_a_label_unit_loss_is_named_in_the_warning(tiny_scale):
    # Focal-R's beta=0.2 is in label units (the paper's ages), so it still trains in label units.
    with pytest.warns(DegenerateFitWarning, match="'focal-l1' has parameters in label units"):
        result = run_experiment(tiny_scale, "focal-r", train_config=CONFIG)
    assert "degenerate_fit" in result.diagnostics


def test_balanced_mse_is_scale_free_in_standardised_units(tiny_scale, data_dir):
    data = load_tabular_ir("abalone", 0, data_dir=data_dir)
    tiny = run_experiment(tiny_scale, "balanced-mse", train_config=CONFIG).predictions["test"]
    unit = run_experiment(data, "balanced-mse", train_config=CONFIG).predictions["test"]
    np.testing.assert_allclose(tiny / SCALE, unit, rtol=1e-3, atol=1e-3 * data.y_test.std())
