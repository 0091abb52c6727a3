import numpy as np
import pandas as pd

from dirkit.resampling import GaussianNoiseSampler


def test_noise_stays_within_its_bound_and_has_the_requested_spread():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4)) * [1.0, 10.0, 0.1, 3.0]
    y = rng.lognormal(size=600)
    sampler = GaussianNoiseSampler(perturbation=0.05, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    z = []
    for row in np.flatnonzero(sampler.synthetic_mask_):
        seed = sampler.sample_indices_[row]
        rows = next(r for r in sampler.regions_ if seed in r.indices).indices
        sd = np.r_[X[rows].std(axis=0, ddof=1), y[rows].std(ddof=1)]
        z.append(np.r_[X_res[row] - X[seed], y_res[row] - y[seed]] / (0.05 * sd))
    z = np.array(z)
    assert z.shape[0] > 100
    assert np.abs(z).max() < 6.0
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=0.15)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=0.15)


def test_integer_and_nominal_columns_keep_their_type():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "rooms": rng.integers(1, 6, size=300).astype(np.int16),
        "kind": pd.Categorical(rng.choice(["flat", "house"], size=300)),
        "garden": rng.random(300) < 0.3,
    })
    y = pd.Series(rng.lognormal(size=300), name="price")
    sampler = GaussianNoiseSampler(perturbation=0.5, random_state=0)
    X_res, _ = sampler.fit_resample(frame, y)
    assert X_res.dtypes.equals(frame.dtypes)
    synthetic = sampler.synthetic_mask_
    seeds = sampler.sample_indices_[synthetic]
    np.testing.assert_array_equal(X_res["kind"][synthetic], frame["kind"].iloc[seeds])
    np.testing.assert_array_equal(X_res["garden"][synthetic], frame["garden"].iloc[seeds])
