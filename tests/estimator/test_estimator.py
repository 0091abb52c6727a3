"""``DIRRegressor``: scikit-learn's estimator checks, pipelines, seeding and every method."""

from __future__ import annotations

import inspect
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline as ImbPipeline
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import dirkit
from dirkit._validation import invalid_value_for
from dirkit.engine import TrainConfig
from dirkit.estimator import DIRRegressor, expected_failed_checks
from dirkit.exceptions import ConfigError, LabelError, LabelRangeWarning, UnknownNameError
from dirkit.methods import METHODS
from dirkit.resampling import SMOGN

# A tiny network that still fits sklearn's regression check (R^2 > 0.5 on 200 rows) in ~0.1 s.
FAST = {"epochs": 10, "batch_size": 32, "lr": 1e-2, "hidden": (16,), "feature_dim": 8}


def fast(**changes: object) -> DIRRegressor:
    return DIRRegressor(**(FAST | {"random_state": 0} | changes))  # type: ignore[arg-type]


def skewed(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four features and a log-normal target driven by the first one (few large labels)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    return x, np.exp(0.8 * x[:, 0]) + 0.05 * rng.normal(size=n)


# An expected failure that starts passing must be undeclared (xfail_strict; 1.6 and 1.7 lack it).
_STRICT_OK = "xfail_strict" in inspect.signature(parametrize_with_checks).parameters
_STRICT = {"xfail_strict": True} if _STRICT_OK else {}


@parametrize_with_checks(
    [DIRRegressor(**FAST)],  # type: ignore[arg-type]
    expected_failed_checks=expected_failed_checks,
    **_STRICT,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_every_declared_expected_failure_names_a_real_check():
    names = {
        getattr(check, "func", check).__name__
        for _, check in parametrize_with_checks([DIRRegressor(**FAST)]).args[1]  # type: ignore[arg-type]
    }
    assert set(DIRRegressor._xfail_checks) <= names


# ---------------------------------------------------------------------- parameters
def test_constructor_is_keyword_only_and_defaults_follow_train_config():
    parameters = inspect.signature(DIRRegressor.__init__).parameters
    assert all(p.kind is p.KEYWORD_ONLY for n, p in parameters.items() if n != "self")
    defaults = DIRRegressor().get_params()
    for field in ("epochs", "batch_size", "lr", "weight_decay", "hidden", "feature_dim", "dropout",
                  "norm", "device"):
        assert defaults[field] == getattr(TrainConfig(), field), field
    assert defaults["method"] == "sqinv+lds" and defaults["validation_fraction"] == 0.1


def test_constraints_cover_exactly_the_constructor_parameters():
    assert set(DIRRegressor._parameter_constraints) == set(DIRRegressor().get_params())


@pytest.mark.parametrize("name", sorted(DIRRegressor._parameter_constraints))
def test_one_generated_invalid_value_per_constraint_is_rejected(name):
    x, y = skewed(40)
    bad = invalid_value_for(DIRRegressor._parameter_constraints[name])
    with pytest.raises(ConfigError, match=f"'{name}' parameter of DIRRegressor"):
        fast(**{name: bad}).fit(x, y)


def test_bad_hidden_widths_and_unknown_methods_are_named():
    x, y = skewed(40)
    with pytest.raises(ConfigError, match="'hidden' parameter of DIRRegressor"):
        fast(hidden=(16, 0)).fit(x, y)
    with pytest.raises(UnknownNameError, match="sqinv"):  # the message lists the known methods
        fast(method="sqinv+nope").fit(x, y)
    with pytest.raises(ConfigError, match="Unknown setting"):
        fast(method_params={"lds": {"width": 3}}).fit(x, y)


# ---------------------------------------------------------------------- labels and weights
def test_nan_labels_and_several_targets_raise_label_errors_that_say_what_is_wrong():
    x, y = skewed(40)
    y[7] = np.nan
    with pytest.raises(LabelError, match=r"1 NaN .*index 7"):
        fast().fit(x, y)
    with pytest.raises(LabelError, match=r"1-D; got shape \(40, 2\)"):
        fast().fit(x, np.column_stack([y, y]))


def test_bins_cover_every_label_given_to_fit_so_validation_labels_are_never_clipped():
    x, y = skewed(300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LabelRangeWarning)
        reg = fast(n_bins=40, validation_fraction=0.3).fit(x, y)
    assert reg.binner_.n_bins_ == 40 and reg.binner_.range_ == pytest.approx((y.min(), y.max()))
    ages = np.round(np.clip(y * 20, 0, 90))
    reg = fast(bin_width=1.0).fit(x, ages)
    assert reg.binner_.bin_width_ == pytest.approx(1.0)
    assert reg.binner_.n_bins_ == int(ages.max() - ages.min()) + 1  # one bin per integer age


def test_sample_weight_reaches_training_and_resampling_methods_refuse_it():
    x, y = skewed(200)
    unweighted = fast().fit(x, y).predict(x)
    np.testing.assert_array_equal(fast().fit(x, y, sample_weight=np.full(200, 3.0)).predict(x), unweighted)
    weights = np.where(x[:, 0] > 0, 1.0, 0.0)
    assert not np.allclose(fast().fit(x, y, sample_weight=weights).predict(x), unweighted)
    with pytest.raises(ConfigError, match="resamples the training set"):
        fast(method="smogn").fit(x, y, sample_weight=np.ones(200))
    with pytest.raises(ConfigError, match="zero on every training row"):
        fast().fit(x, y, sample_weight=np.zeros(200))


# ---------------------------------------------------------------------- training
def test_random_state_gives_identical_predictions_on_refit_and_after_clone():
    x, y = skewed()
    reg = fast(random_state=7).fit(x, y)
    first = reg.predict(x)
    np.testing.assert_array_equal(reg.fit(x, y).predict(x), first)
    np.testing.assert_array_equal(clone(reg).fit(x, y).predict(x), first)
    assert not np.array_equal(fast(random_state=8).fit(x, y).predict(x), first)


def test_validation_fraction_zero_trains_on_every_row_and_keeps_the_last_epoch():
    x, y = skewed(100)
    reg = fast(validation_fraction=0.0, epochs=4).fit(x, y)
    assert len(reg.history_) == 4 and not any("val_mae" in r for r in reg.history_)
    assert reg.binner_.counts_.sum() == 100
    held_out = fast(validation_fraction=0.2, epochs=4).fit(x, y)
    assert held_out.binner_.counts_.sum() == 80 and all("val_mae" in r for r in held_out.history_)


def test_a_last_batch_of_one_row_is_avoided_for_batch_norm():
    x, y = skewed(286)  # 29 validation rows leave 257 = 256 + 1 training rows
    reg = DIRRegressor(epochs=1, hidden=(8,), feature_dim=4, norm="batch", random_state=0).fit(x, y)
    assert np.isfinite(reg.predict(x)).all()


# SMOGN's Gaussian noise may push a synthetic label past the range of y; the engine clips such
# labels into the label range itself, so no method may warn about labels outside the bins.
@pytest.mark.filterwarnings("error::dirkit.exceptions.LabelRangeWarning")
@pytest.mark.parametrize("method", METHODS.names())
def test_every_registered_method_fits_and_predicts(method):
    x, y = skewed(240)
    reg = fast(method=method, epochs=2).fit(x, y)
    prediction = reg.predict(x[:50])
    assert prediction.shape == (50,) and prediction.dtype == np.float64
    assert np.isfinite(prediction).all() and method.split("+")[0] in reg.method_configs_


@pytest.mark.parametrize("method", ["sqinv+lds+fds", "group-dir+lds", "ranksim+sqinv+lds"])
def test_composed_methods_fit_and_survive_pickling(method):
    x, y = skewed(240)
    reg = fast(method=method, epochs=3, method_params={"lds": {"sigma": 1.0}}).fit(x, y)
    assert reg.method_configs_["lds"]["sigma"] == 1.0
    restored = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(restored.predict(x), reg.predict(x))


# ---------------------------------------------------------------------- scikit-learn integration
def test_inside_a_scikit_learn_pipeline_with_a_scaler_and_in_cross_validation():
    x, y = skewed()
    pipe = make_pipeline(StandardScaler(), fast())
    assert pipe.fit(x, y).score(x, y) > 0.5
    scores = cross_val_score(pipe, x, y, cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_after_smogn_inside_an_imbalanced_learn_pipeline():
    x, y = skewed()
    pipe = ImbPipeline([("smogn", SMOGN(random_state=0)), ("dir", fast(method="vanilla"))])
    pipe.fit(x, y)
    assert pipe.predict(x).shape == (300,) and pipe.named_steps["dir"].n_features_in_ == 4


def test_pandas_input_keeps_feature_names():
    x, y = skewed()
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    reg = fast().fit(frame, pd.Series(y))
    assert list(reg.feature_names_in_) == ["a", "b", "c", "d"]
    np.testing.assert_allclose(reg.predict(frame), fast().fit(x, y).predict(x))


def test_dirkit_exports_the_regressor_lazily_without_importing_torch():
    assert dirkit.DIRRegressor is DIRRegressor and "DIRRegressor" in dirkit.__all__
    code = (
        "import sys, dirkit; assert 'torch' not in sys.modules; "
        "dirkit.DIRRegressor; assert 'torch' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
