import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from dirkit.exceptions import ConfigError, LabelError, ShapeError
from dirkit.resampling import SMOGN, SMOTER, GaussianNoiseSampler, RandomOverSampler

N = 200


@pytest.fixture
def y():
    return np.random.default_rng(0).lognormal(sigma=0.9, size=N)


def test_numpy_object_array_with_strings_bools_and_numbers(y):
    rng = np.random.default_rng(1)
    X = np.empty((N, 4), dtype=object)
    X[:, 0] = rng.normal(size=N)
    X[:, 1] = rng.choice(["x", "y", "z"], size=N)
    X[:, 2] = rng.random(N) < 0.5
    X[:, 3] = rng.choice(["p", None], size=N)
    sampler = SMOTER(random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    assert X_res.dtype == object and X_res.shape[1] == 4
    new = sampler.synthetic_mask_
    assert all(isinstance(v, float) for v in X_res[new, 0])
    assert set(X_res[new, 1]) <= {"x", "y", "z"}
    assert set(X_res[new, 2]) <= {True, False}
    assert all(isinstance(v, (bool, np.bool_)) for v in X_res[new, 2])


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.int32])
def test_integer_arrays_are_rounded_and_clipped_to_their_dtype(y, dtype):
    X = np.random.default_rng(2).integers(0, 250, size=(N, 3)).astype(dtype)
    X_res, _ = GaussianNoiseSampler(perturbation=2.0, random_state=0).fit_resample(X, y)
    assert X_res.dtype == dtype
    info = np.iinfo(dtype)
    assert X_res.min() >= info.min and X_res.max() <= info.max


def test_bool_and_string_arrays_are_all_nominal(y):
    rng = np.random.default_rng(3)
    for X in (rng.random((N, 3)) < 0.5, rng.choice(["a", "b", "c"], size=(N, 2))):
        X_res, y_res = SMOGN(random_state=0).fit_resample(X, y)
        assert X_res.dtype == X.dtype and len(X_res) == len(y_res)
        assert set(np.unique(X_res)) <= set(np.unique(X))


def test_categorical_features_by_position_name_or_mask(y):
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 3, size=N).astype(float) * 10
    X = np.column_stack([rng.normal(size=N), codes])
    frame = pd.DataFrame(X, columns=["v", "code"])
    for data, spec in ((X, [1]), (frame, ["code"]), (X, np.array([False, True]))):
        X_res, _ = SMOTER(categorical_features=spec, random_state=0).fit_resample(data, y)
        assert set(np.unique(np.asarray(X_res)[:, 1])) <= {0.0, 10.0, 20.0}
    with pytest.raises(ConfigError, match="'nope' is neither a column position"):
        SMOTER(categorical_features=["nope"]).fit_resample(frame, y)
    with pytest.raises(ShapeError, match="one entry per column"):
        SMOTER(categorical_features=np.array([True])).fit_resample(X, y)


def test_pandas_targets_and_column_vectors(y):
    X = np.random.default_rng(5).normal(size=(N, 2))
    _, y_col = SMOTER(random_state=0).fit_resample(X, y.reshape(-1, 1))
    assert y_col.ndim == 2 and y_col.shape[1] == 1
    _, y_int = RandomOverSampler(random_state=0).fit_resample(X, np.round(y * 10).astype(int))
    assert y_int.dtype == np.float64
    Y = pd.DataFrame({"a": y, "b": y**2}, dtype=np.float32)
    _, Y_res = SMOGN(random_state=0).fit_resample(X, Y)
    assert list(Y_res.columns) == ["a", "b"] and (Y_res.dtypes == np.float32).all()


def test_input_errors_name_shapes_and_fixes(y):
    X = np.random.default_rng(6).normal(size=(N, 2))
    with pytest.raises(ShapeError, match=r"X has 199 rows, y has shape \(200,\)"):
        SMOTER().fit_resample(X[:-1], y)
    with pytest.raises(ShapeError, match=r"must be 2-D.*reshape\(-1, 1\)"):
        SMOTER().fit_resample(X[:, 0], y)
    with pytest.raises(ConfigError, match=r"X.toarray\(\)"):
        SMOTER().fit_resample(sparse.csr_matrix(X), y)
    X_nan = X.copy()
    X_nan[7, 1] = np.nan
    with pytest.raises(ConfigError, match="first at row 7, column 1"):
        SMOTER().fit_resample(X_nan, y)
    with pytest.raises(LabelError, match="NaN"):
        SMOTER().fit_resample(X, np.r_[y[:-1], np.nan])
    with pytest.raises(LabelError, match="every sample is rare"):
        SMOTER(threshold=1e-9, relevance=lambda v: np.ones_like(v)).fit_resample(X, y)
    with pytest.raises(ConfigError, match="relevance_target=5 is out of range"):
        SMOTER(relevance_target=5).fit_resample(X, np.column_stack([y, y]))


def test_multi_output_relevance_from_the_norm_flags_extremes_of_any_column():
    rng = np.random.default_rng(7)
    Y = rng.normal(size=(N, 2))
    Y[:5, 1] = 8.0  # extreme only in the second output
    sampler = SMOTER(random_state=0)
    sampler.fit_resample(rng.normal(size=(N, 2)), Y)
    assert np.all(sampler.relevance_[:5] == 1.0)
    column0 = SMOTER(random_state=0, relevance_target=0).fit_resample(rng.normal(size=(N, 2)), Y)
    assert len(column0[0]) == len(column0[1])
