import numpy as np
import pytest

from dirkit.exceptions import ConfigError
from dirkit.resampling import SMOGN, SMOTER, GaussianNoiseSampler


def make_data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)), rng.lognormal(size=n)


def test_random_state_accepts_ints_generators_and_random_states():
    X, y = make_data()
    a = SMOGN(random_state=3).fit_resample(X, y)
    b = SMOGN(random_state=np.random.default_rng(3)).fit_resample(X, y)
    np.testing.assert_array_equal(a[0], b[0])
    c = SMOGN(random_state=np.random.RandomState(0)).fit_resample(X, y)
    d = SMOGN(random_state=np.random.RandomState(0)).fit_resample(X, y)
    np.testing.assert_array_equal(c[0], d[0])
    e = SMOGN(random_state=4).fit_resample(X, y)
    assert not np.array_equal(a[0], e[0])


@pytest.mark.parametrize("relevance", ["boxplot", "adjusted_boxplot", "density"])
@pytest.mark.parametrize("strategy", ["balance", "extreme", 2.0])
def test_relevance_options_and_strategies_end_to_end(relevance, strategy):
    X, y = make_data(seed=1)
    sampler = SMOTER(relevance=relevance, sampling_strategy=strategy, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert len(X_res) == len(y_res) == sampler.sampling_strategy_.sum()
    assert sampler.relevance_.shape == y.shape
    assert sampler.n_features_in_ == 3


def test_explicit_ratios_follow_the_regions_of_a_first_call():
    X, y = make_data(seed=2)
    probe = GaussianNoiseSampler(random_state=0)
    probe.fit_resample(X, y)
    ratios = [0.5 if not r.rare else 3.0 for r in probe.regions_]
    probe.set_params(sampling_strategy=ratios)
    probe.fit_resample(X, y)
    sizes = np.array([r.n_samples for r in probe.regions_])
    np.testing.assert_array_equal(probe.sampling_strategy_, np.round(sizes * ratios))


def test_parameter_errors_use_the_shared_format():
    X, y = make_data()
    with pytest.raises(ConfigError, match=r"The 'k_neighbors' parameter of SMOTER must be an int "
                                          r"in the range \[1, inf\). Got 0 instead."):
        SMOTER(k_neighbors=0).fit_resample(X, y)
    with pytest.raises(ConfigError, match="'safe_distance' parameter of SMOGN"):
        SMOGN(safe_distance="exact").fit_resample(X, y)
    with pytest.raises(TypeError):
        SMOTER(5)  # keyword-only
