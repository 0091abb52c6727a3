import numpy as np
import pytest

from dirkit.exceptions import ConfigError
from dirkit.resampling import RandomOverSampler, RandomUnderSampler


def make_data(n=500, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)), rng.lognormal(size=n)


def test_over_sampling_duplicates_rare_rows_evenly_and_keeps_common_rows_once():
    X, y = make_data()
    sampler = RandomOverSampler(random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert not sampler.synthetic_mask_.any()
    np.testing.assert_array_equal(X_res, X[sampler.sample_indices_])
    np.testing.assert_array_equal(y_res, y[sampler.sample_indices_])
    copies = np.bincount(sampler.sample_indices_, minlength=len(y))
    rare, common = [r for r in sampler.regions_ if r.rare], [r for r in sampler.regions_ if not r.rare]
    assert all(np.all(copies[r.indices] == 1) for r in common)
    for region, count in zip(sampler.regions_, sampler.sampling_strategy_, strict=True):
        assert copies[region.indices].sum() == count
    for region in rare:
        assert np.ptp(copies[region.indices]) <= 1
    n_common = sum(r.n_samples for r in common)
    assert sum(copies[r.indices].sum() for r in rare) == pytest.approx(n_common, abs=len(rare))


def test_under_sampling_draws_common_rows_without_replacement():
    X, y = make_data(seed=1)
    sampler = RandomUnderSampler(sampling_strategy=0.25, random_state=0)
    sampler.fit_resample(X, y)
    copies = np.bincount(sampler.sample_indices_, minlength=len(y))
    assert copies.max() == 1
    for region, count in zip(sampler.regions_, sampler.sampling_strategy_, strict=True):
        assert copies[region.indices].sum() == count
        if region.rare:
            assert count == region.n_samples
        else:
            assert count == round(0.25 * region.n_samples)
    assert np.all(np.diff(sampler.sample_indices_) > 0)  # input order kept


def test_nan_features_are_fine_for_random_samplers():
    X, y = make_data(seed=2)
    X[3, 1] = np.nan
    X_res, _ = RandomOverSampler(random_state=0).fit_resample(X, y)
    assert np.isnan(X_res).sum() >= 1


def test_direction_errors():
    X, y = make_data(seed=3)
    with pytest.raises(ConfigError, match="over-sampler cannot shrink"):
        RandomOverSampler(sampling_strategy=0.5).fit_resample(X, y)
    with pytest.raises(ConfigError, match="under-sampler cannot grow"):
        RandomUnderSampler(sampling_strategy=2.0).fit_resample(X, y)
