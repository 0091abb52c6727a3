"""Composing methods with '+': validation, order independence, recorded configs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dirkit.datasets import make_synthetic
from dirkit.engine import TrainConfig, check_method_spec, fit_method, run_experiment
from dirkit.exceptions import ConfigError, UnknownNameError
from dirkit.methods import METHODS, build_plan

TINY = TrainConfig(epochs=2, hidden=(16,), feature_dim=8, batch_size=64)


def test_unknown_method_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match=r"Unknown method 'sqrtinv'.*Known methods: .*sqinv"):
        check_method_spec("sqrtinv+lds")


def test_bad_compositions_are_explained():
    with pytest.raises(ConfigError, match="repeats lds"):
        build_plan("lds+sqinv+lds")
    with pytest.raises(ConfigError, match="Empty method name"):
        build_plan("sqinv++lds")
    unknown = r"Unknown setting\(s\) sigmaa for method 'lds'; valid: kernel, ks, sigma"
    with pytest.raises(ConfigError, match=unknown):
        build_plan("lds", {"lds": {"sigmaa": 1.0}})
    with pytest.raises(ConfigError, match="Settings given for fds, which is not in"):
        build_plan("lds", {"fds": {"ks": 3}})


def test_lds_alone_uses_square_root_weights_and_inv_switches_to_inverse():
    assert build_plan("lds").weights["reweight"] == "sqrt_inv"
    for spec in ("inv+lds", "lds+inv"):
        weights = build_plan(spec, {"inv": {"clip": (5, 1000)}}).weights
        assert weights["reweight"] == "inverse" and weights["lds"] and weights["clip"] == (5, 1000)


def test_configs_are_recorded_with_overrides():
    plan = build_plan("sqinv+lds+fds", {"fds": {"clip": (0.5, 2.0)}})
    assert set(plan.configs) == {"sqinv", "lds", "fds"}
    assert plan.configs["fds"]["clip"] == (0.5, 2.0) and plan.fds is not None
    assert plan.fds["clip"] == (0.5, 2.0)


@pytest.mark.parametrize("name", METHODS.names())
def test_every_method_has_a_documented_frozen_config(name):
    method = METHODS.get(name)
    assert method.summary and method.config_type.__doc__
    params = dataclasses.fields(method.config_type)
    if params:
        instance = method.config_type()
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(instance, params[0].name, None)


def test_same_seed_repeats_exactly_and_another_seed_differs():
    data = make_synthetic(0, scale=0.1)
    a = run_experiment(data, "sqinv+lds+fds", seed=1, train_config=TINY)
    b = run_experiment(data, "sqinv+lds+fds", seed=1, train_config=TINY)
    c = run_experiment(data, "sqinv+lds+fds", seed=2, train_config=TINY)
    np.testing.assert_array_equal(a.predictions["test"], b.predictions["test"])
    assert not np.array_equal(a.predictions["test"], c.predictions["test"])


def test_training_never_looks_at_the_test_split():
    data = make_synthetic(0, scale=0.1)
    scrambled = dataclasses.replace(
        data, x_test=np.zeros_like(data.x_test), y_test=np.full_like(data.y_test, 1e6)
    )
    a = fit_method(data, "vanilla", seed=0, train_config=TINY)
    b = fit_method(scrambled, "vanilla", seed=0, train_config=TINY)
    np.testing.assert_array_equal(a.predict(data.x_val), b.predict(data.x_val))


def test_run_result_schema():
    result = run_experiment(make_synthetic(0, scale=0.1), "vanilla", seed=0, train_config=TINY)
    assert set(result.metrics) == {"val", "test"}
    assert {"all", "many", "medium", "few", "zero", "few_incl_zero"} <= set(result.metrics["test"])
    assert {"mae", "mse", "gm", "pearson", "spearman", "bmae"} <= set(result.metrics["test"]["all"])
    assert result.config["train"]["epochs"] == 2 and "vanilla" in result.config["methods"]
    assert [h["epoch"] for h in result.history] == [1, 2] and result.duration_s > 0


@pytest.mark.parametrize("head", ["cls", "hca-add", "hca-d"])
@pytest.mark.parametrize("loss", ["focal-r", "balanced-mse"])
def test_loss_methods_are_refused_on_classification_only_heads(head, loss):
    with pytest.raises(ConfigError, match=f"'{loss}' replaces the regression loss, but '{head}'"):
        build_plan(f"{head}+{loss}")
    build_plan(f"reg-cls+{loss}")  # reg-cls keeps a regression loss: allowed
