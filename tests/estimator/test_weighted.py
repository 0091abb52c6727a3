"""DIRWeightedRegressor: LDS / SQINV weights for any scikit-learn regressor."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from dirkit.density import lds_weights
from dirkit.estimator import DIRWeightedRegressor
from dirkit.exceptions import ConfigError
from dirkit.labels import UniformBinner


@pytest.fixture
def skewed():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = np.exp(X[:, 0]) + rng.normal(0, 0.1, size=400)
    return X, y


@parametrize_with_checks(
    [DIRWeightedRegressor(Ridge()), DIRWeightedRegressor(HistGradientBoostingRegressor(max_iter=10))]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_weights_are_dirkits_lds_weights(skewed):
    X, y = skewed
    reg = DIRWeightedRegressor(Ridge(), reweight="sqrt_inv", lds=True, n_bins=50).fit(X, y)
    expected = lds_weights(y, UniformBinner(n_bins=50), reweight="sqrt_inv")
    np.testing.assert_allclose(reg.sample_weight_, expected, rtol=1e-12)
    assert reg.sample_weight_[np.argmax(y)] > 3 * reg.sample_weight_[np.argmin(np.abs(y - np.median(y)))]


def test_a_weight_of_two_is_a_repeated_row_and_zero_a_removed_one(skewed):
    X, y = skewed
    weight = np.ones(len(y))
    weight[:10], weight[10:20] = 2.0, 0.0
    weighted = DIRWeightedRegressor(Ridge()).fit(X, y, sample_weight=weight)
    rows = np.r_[np.arange(10), np.arange(20, len(y)), np.arange(10)]
    repeated = DIRWeightedRegressor(Ridge()).fit(X[rows], y[rows])
    np.testing.assert_allclose(weighted.estimator_.coef_, repeated.estimator_.coef_, rtol=1e-10)
    assert weighted.sample_weight_.sum() == pytest.approx(weight.sum())


def test_reweighting_lowers_the_error_on_rare_labels(skewed):
    X, y = skewed
    rare = y > np.quantile(y, 0.95)
    plain = Ridge().fit(X, y)
    weighted = DIRWeightedRegressor(Ridge(), reweight="inverse").fit(X, y)
    def rare_mae(model):
        return np.abs(model.predict(X[rare]) - y[rare]).mean()

    assert rare_mae(weighted) < rare_mae(plain)


def test_works_in_a_pipeline_and_grid_search(skewed):
    X, y = skewed
    search = GridSearchCV(
        make_pipeline(StandardScaler(), DIRWeightedRegressor(Ridge())),
        {"dirweightedregressor__reweight": ["none", "sqrt_inv"], "dirweightedregressor__sigma": [1.0, 2.0]},
        cv=3,
    ).fit(X, y)
    assert set(search.best_params_) == {"dirweightedregressor__reweight", "dirweightedregressor__sigma"}
    assert search.predict(X[:5]).shape == (5,)


def test_default_estimator_takes_nan_and_dataframes(skewed):
    pandas = pytest.importorskip("pandas")
    X, y = skewed
    frame = pandas.DataFrame(X, columns=["a", "b", "c"])
    frame.iloc[::7, 1] = np.nan
    reg = DIRWeightedRegressor().fit(frame, y)
    assert isinstance(reg.estimator_, HistGradientBoostingRegressor)
    assert list(reg.feature_names_in_) == ["a", "b", "c"]
    assert np.isfinite(reg.predict(frame)).all()


def test_an_estimator_without_sample_weight_is_refused(skewed):
    X, y = skewed
    with pytest.raises(ConfigError, match=r"KNeighborsRegressor\.fit takes no sample_weight"):
        DIRWeightedRegressor(KNeighborsRegressor()).fit(X, y)


@pytest.mark.parametrize(
    ("weight", "message"), [(np.zeros(400), "zero for every row"), (-np.ones(400), "non-negative")]
)
def test_invalid_sample_weight_names_the_problem(skewed, weight, message):
    X, y = skewed
    with pytest.raises(ConfigError, match=message):
        DIRWeightedRegressor(Ridge()).fit(X, y, sample_weight=weight)


def test_import_loads_no_torch():
    probe = "import sys; from dirkit.estimator import DIRWeightedRegressor; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
