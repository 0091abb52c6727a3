import numpy as np
import pytest

from dirkit.resampling import SMOGN
from dirkit.resampling._generation import region_median_distance


def make_data(n=400, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, rng.lognormal(sigma=0.9, size=n) + 0.2 * X[:, 0]


@pytest.mark.parametrize("safe_distance", ["region", "knn"])
def test_each_sample_is_a_safe_interpolation_or_bounded_noise(safe_distance):
    X, y = make_data()
    k, pert = 5, 0.02
    sampler = SMOGN(k_neighbors=k, safe_distance=safe_distance, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    z_scores = []
    n_interpolated = 0
    for row in np.flatnonzero(sampler.synthetic_mask_):
        seed = sampler.sample_indices_[row]
        rows = next(r for r in sampler.regions_ if seed in r.indices).indices
        dist = np.sqrt(((Z[rows] - Z[seed]) ** 2).sum(axis=1))  # brute force, self included
        knn = np.argsort(np.where(rows == seed, np.inf, dist))[:k]
        half = (np.median(dist) if safe_distance == "region" else np.median(dist[knn])) / 2
        if sampler.interpolated_mask_[row]:
            n_interpolated += 1
            ok = False
            for j in knn[dist[knn] < half]:
                step = X[rows[j]] - X[seed]
                gap = (X_res[row] - X[seed]) @ step / (step @ step)
                ok = ok or (np.allclose(X[seed] + gap * step, X_res[row], atol=1e-10)
                            and 0 <= gap <= 1)
            assert ok, f"row {row} is not on a segment to a safe neighbour of seed {seed}"
        else:
            sd = np.r_[X[rows].std(axis=0, ddof=1), y[rows].std(ddof=1)]
            delta = np.r_[X_res[row] - X[seed], y_res[row] - y[seed]]
            z_scores.append(delta / (sd * min(half, pert)))
    z = np.concatenate(z_scores) if z_scores else np.zeros(0)
    assert np.all(np.abs(z) < 6.0), "Gaussian noise beyond 6 standard deviations"
    if z.size > 300:
        assert 0.85 < z.std() < 1.15
    fraction = n_interpolated / sampler.synthetic_mask_.sum()
    assert fraction > 0.6 if safe_distance == "region" else fraction < 0.4


def test_region_median_is_exact_for_small_regions_and_estimated_for_large():
    rng = np.random.default_rng(1)
    points = rng.normal(size=(300, 4))
    naive = [np.median(np.sqrt(((points - p) ** 2).sum(axis=1))) for p in points]
    np.testing.assert_allclose(region_median_distance(points, rng), naive, rtol=1e-10)
    big = rng.normal(size=(5000, 4))
    estimate = region_median_distance(big, rng)
    exact = np.median(np.sqrt(((big[:50, None, :] - big[None]) ** 2).sum(-1)), axis=1)
    np.testing.assert_allclose(estimate[:50], exact, rtol=0.05)


def test_same_seed_same_output_and_nominal_noise_keeps_the_seed_value():
    X, y = make_data(300, seed=2)
    colour = np.random.default_rng(3).choice(["a", "b", "c"], size=300)
    data = np.column_stack([X.astype(object), colour])
    first = SMOGN(safe_distance="knn", random_state=7).fit_resample(data, y)
    sampler = SMOGN(safe_distance="knn", random_state=7)
    second = sampler.fit_resample(data, y)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    noisy = sampler.synthetic_mask_ & ~sampler.interpolated_mask_
    assert noisy.sum() > 0
    np.testing.assert_array_equal(second[0][noisy, 3], colour[sampler.sample_indices_[noisy]])
