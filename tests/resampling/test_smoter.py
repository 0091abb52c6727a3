import numpy as np
import pandas as pd
import pytest

from dirkit.exceptions import DirkitWarning, LabelError
from dirkit.resampling import SMOTER


def make_data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = rng.lognormal(sigma=0.9, size=n) + 0.2 * X[:, 0]
    return X, y


def brute_neighbours(Z, i, k, extra=None):
    """The k nearest other rows of Z to row i, by a full scan (extra: added squared distances)."""
    d2 = ((Z - Z[i]) ** 2).sum(axis=1) + (0 if extra is None else extra)
    d2[i] = np.inf
    return np.argsort(d2)[:k]


def region_of(sampler, row):
    return next(r for r in sampler.regions_ if row in r.indices)


def test_synthetic_samples_lie_on_a_segment_to_a_brute_force_neighbour():
    X, y = make_data()
    sampler = SMOTER(k_neighbors=4, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    synthetic = np.flatnonzero(sampler.synthetic_mask_)
    assert synthetic.size > 50
    for row in synthetic:
        seed = sampler.sample_indices_[row]
        region = region_of(sampler, seed)
        assert region.rare
        rows = region.indices
        knn = rows[brute_neighbours(Z[rows], int(np.flatnonzero(rows == seed)[0]), 4)]
        matches = []
        for j in knn:
            step = X[j] - X[seed]
            gap = (X_res[row] - X[seed]) @ step / (step @ step)
            if np.allclose(X[seed] + gap * step, X_res[row], atol=1e-10) and -1e-12 <= gap <= 1:
                matches.append((j, gap))
        assert matches, f"synthetic row {row} is on no segment from seed {seed} to its neighbours"
        j, gap = matches[0]
        # numeric-only features: the distance weights reduce to the interpolation gap
        assert y_res[row] == pytest.approx(y[seed] + gap * (y[j] - y[seed]), abs=1e-10)


def test_nominal_values_come_from_a_parent_and_weight_the_target_by_heom_like_distance():
    X, y = make_data(240, seed=1)
    rng = np.random.default_rng(2)
    colour = rng.choice(["red", "green", "blue"], size=len(y))
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "colour": pd.Categorical(colour)})
    sampler = SMOTER(k_neighbors=3, random_state=0)
    X_res, y_res = sampler.fit_resample(frame, y)
    num = frame[["a", "b"]].to_numpy()
    scale = num.std(axis=0)
    Z = (num - num.mean(axis=0)) / scale
    new_num = X_res[["a", "b"]].to_numpy()
    for row in np.flatnonzero(sampler.synthetic_mask_):
        seed = sampler.sample_indices_[row]
        rows = region_of(sampler, seed).indices
        mismatch = (colour[rows] != colour[seed]).astype(float)
        pos = int(np.flatnonzero(rows == seed)[0])
        knn = rows[brute_neighbours(Z[rows], pos, 3, extra=mismatch)]
        found = False
        for j in knn:
            step = num[j] - num[seed]
            gap = (new_num[row] - num[seed]) @ step / (step @ step)
            if not np.allclose(num[seed] + gap * step, new_num[row], atol=1e-10):
                continue
            value = X_res["colour"].iloc[row]
            assert value in (colour[seed], colour[j])
            sq = (((num[j] - num[seed]) / scale) ** 2).sum()
            d_s = np.sqrt(gap**2 * sq + float(value != colour[seed]))
            d_t = np.sqrt((1 - gap) ** 2 * sq + float(value != colour[j]))
            expected = (d_t * y[seed] + d_s * y[j]) / (d_s + d_t)
            found = y_res[row] == pytest.approx(expected, abs=1e-10)
            if found:
                break
        assert found, f"synthetic row {row} matches no neighbour of seed {seed}"


def test_multi_output_targets_share_the_interpolation_weight():
    X, y = make_data(200, seed=3)
    Y = np.column_stack([y, 3.0 - 2.0 * y])
    sampler = SMOTER(random_state=0, relevance_target=0)
    _, Y_res = sampler.fit_resample(X, Y)
    assert Y_res.shape[1] == 2
    np.testing.assert_allclose(Y_res[:, 1], 3.0 - 2.0 * Y_res[:, 0], atol=1e-10)


def test_balance_gives_every_region_its_target_size():
    X, y = make_data(400, seed=4)
    sampler = SMOTER(random_state=0)
    _, y_res = sampler.fit_resample(X, y)
    assert len(y_res) == sampler.sampling_strategy_.sum()
    for region, count in zip(sampler.regions_, sampler.sampling_strategy_, strict=True):
        assert np.isin(sampler.sample_indices_, region.indices).sum() == count


def test_single_sample_region_warns_and_stays():
    y = np.r_[np.linspace(0, 1, 60), 40.0]
    X = np.random.default_rng(5).normal(size=(61, 2))
    sampler = SMOTER(random_state=0, relevance=lambda v: (v > 10).astype(float))
    with pytest.warns(DirkitWarning, match="holds 1 sample"):
        _, y_res = sampler.fit_resample(X, y)
    assert (y_res == 40.0).sum() == 1


def test_no_rare_samples_names_the_threshold():
    X = np.zeros((50, 2))
    with pytest.raises(LabelError, match=r"no rare samples.*threshold 0.5.*Lower `threshold`"):
        SMOTER().fit_resample(X, np.linspace(0, 1, 50))
