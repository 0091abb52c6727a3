import inspect

import pytest

import dirkit.resampling as resampling
from dirkit._registry import RESAMPLERS
from dirkit.resampling import BaseResampler
from dirkit.testing import RESAMPLER_CHECKS, check_resampler

EXPECTED = {"gaussian_noise", "random_over", "random_under", "smogn", "smoter"}


def test_every_resampler_is_registered_and_exported():
    assert EXPECTED <= set(RESAMPLERS.names())
    for name in EXPECTED:
        cls = RESAMPLERS.get(name)
        assert issubclass(cls, BaseResampler)
        assert cls.__name__ in resampling.__all__
    assert all(hasattr(resampling, name) for name in resampling.__all__)


def test_base_resampler_is_abstract():
    assert inspect.isabstract(BaseResampler)
    with pytest.raises(TypeError):
        BaseResampler()


@pytest.mark.parametrize("check", sorted(RESAMPLER_CHECKS))
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_contract(name, check):
    resampler = RESAMPLERS.get(name)()
    if check in getattr(resampler, "_xfail_checks", {}):
        pytest.xfail(resampler._xfail_checks[check])
    RESAMPLER_CHECKS[check](resampler)


def test_check_resampler_runs_all_checks_and_catches_a_broken_resampler():
    check_resampler(RESAMPLERS.get("smoter")(k_neighbors=2))

    class Shuffles(resampling.RandomOverSampler):
        def fit_resample(self, X, y):
            X_res, y_res = super().fit_resample(X, y)
            return X_res[::-1], y_res

    with pytest.raises(AssertionError, match="Shuffles"):
        check_resampler(Shuffles())
