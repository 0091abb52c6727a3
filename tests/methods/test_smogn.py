"""``smogn``: the training set is resampled before anything else and that is what is trained on."""

from __future__ import annotations

import numpy as np
import pytest

from dirkit.datasets import make_synthetic
from dirkit.engine import TrainConfig, fit_method, fit_plan
from dirkit.exceptions import ConfigError
from dirkit.methods import build_plan
from dirkit.resampling import SMOGN

TINY = TrainConfig(epochs=2, hidden=(32,), feature_dim=16, batch_size=64, lr=1e-2)
DATA = make_synthetic(0, scale=0.1)


def test_the_model_trains_on_the_larger_resampled_set():
    plan = build_plan("smogn", {"smogn": {"sampling_strategy": 2.0}})
    assert isinstance(plan.resampler, SMOGN) and plan.resampler.k_neighbors == 5
    assert plan.resampler.perturbation == 0.02 and plan.resampler.safe_distance == "region"
    head_loss, sizes = plan.regression_loss, []

    def counting(pred, target, *, weight):
        sizes.append(len(target))
        return head_loss(pred, target, weight=weight)

    plan.regression_loss = counting
    fitted = fit_plan(plan, DATA, TINY, seed=0)
    n_resampled = len(fitted.context.y_train)
    assert n_resampled > len(DATA.y_train)
    assert sum(sizes) == TINY.epochs * n_resampled  # every epoch passes over the resampled rows
    assert fitted.context.x_train.shape == (n_resampled, DATA.x_train.shape[1])
    assert np.isfinite(fitted.predict(DATA.x_test)).all()


def test_the_default_balances_regions_and_is_seeded_by_the_run():
    first = fit_method(DATA, "smogn", train_config=TINY, seed=0).context.y_train
    again = fit_method(DATA, "smogn", train_config=TINY, seed=0).context.y_train
    other = fit_method(DATA, "smogn", train_config=TINY, seed=1).context.y_train
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.array_equal(np.sort(first), np.sort(DATA.y_train))  # synthetic rows
    assert abs(len(first) - len(DATA.y_train)) < 0.05 * len(DATA.y_train)  # "balance" keeps n


def test_only_one_resampler_can_be_composed():
    with pytest.raises(ConfigError, match="compose only one of smoter and smogn"):
        build_plan("smoter+smogn")
    assert build_plan("smogn+lds+fds").resampler is not None
