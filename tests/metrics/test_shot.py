"""Shot metrics against a naive loop; additive partial sums merge exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from dirkit.exceptions import LabelError, ShapeError
from dirkit.labels import UniformBinner
from dirkit.metrics import BinSums, ShotMetrics, regression_metrics, shot_metrics


def naive_shot_metrics(pred, target, train, *, width, low, high, many=100, few=20, eps=1e-6):
    n_bins = round((high - low) / width)

    def bin_of(v):
        return min(max(math.floor((v - low) / width + 1e-9), 0), n_bins - 1)

    train_count = [0] * n_bins
    for v in train:
        train_count[bin_of(v)] += 1

    seen = [b for b in range(n_bins) if train_count[b] > 0]

    def shot_of(v):
        b = bin_of(v)
        c = train_count[b]
        if c == 0:  # inside the training label range: interpolation; outside: extrapolation
            return "zero-interp" if seen[0] < b < seen[-1] else "zero-extrap"
        return "many" if c > many else "few" if c < few else "medium"

    groups = {
        "all": lambda s: True, "many": lambda s: s == "many", "medium": lambda s: s == "medium",
        "few": lambda s: s == "few", "zero": lambda s: s.startswith("zero"),
        "zero_interp": lambda s: s == "zero-interp", "zero_extrap": lambda s: s == "zero-extrap",
        "few_incl_zero": lambda s: s == "few" or s.startswith("zero"),
    }
    out = {}
    for name, member in groups.items():
        idx = [i for i in range(len(pred)) if member(shot_of(target[i]))]
        if not idx:
            out[name] = None
            continue
        errors = [pred[i] - target[i] for i in idx]
        per_bin = {}
        for i, e in zip(idx, errors, strict=True):
            per_bin.setdefault(bin_of(target[i]), []).append(abs(e))
        p, t = [pred[i] for i in idx], [target[i] for i in idx]
        out[name] = {
            "mae": sum(abs(e) for e in errors) / len(errors),
            "mse": sum(e * e for e in errors) / len(errors),
            "gm": math.exp(sum(math.log(max(abs(e), eps)) for e in errors) / len(errors)),
            "bmae": sum(sum(v) / len(v) for v in per_bin.values()) / len(per_bin),
            "pearson": float(np.corrcoef(p, t)[0, 1]) if len(idx) > 1 else float("nan"),
            "spearman": float(spearmanr(p, t).statistic) if len(idx) > 1 else float("nan"),
            "count": len(idx),
        }
    return out


@pytest.fixture
def skewed_problem():
    rng = np.random.default_rng(0)
    train = np.concatenate([rng.uniform(0, 2, 3000), rng.uniform(2.5, 4, 600), rng.uniform(4, 5, 30)])
    target = rng.uniform(0, 6, 400)  # no training sample in 2-2.5 (a gap) and 5-6 (a tail): zero-shot
    pred = target + rng.normal(0, 0.3, 400) + 0.1 * target
    return pred, target, train


def test_shot_metrics_equal_the_naive_loop(skewed_problem):
    pred, target, train = skewed_problem
    binner = UniformBinner(width=0.1, range=(0, 6))
    ours = shot_metrics(pred, target, train, binner)
    naive = naive_shot_metrics(pred, target, train, width=0.1, low=0, high=6)
    for group, expected in naive.items():
        assert expected is not None, group
        for key, value in expected.items():
            assert ours[group][key] == pytest.approx(value, rel=1e-9, abs=1e-12), (group, key)
        assert ours[group]["rmse"] == pytest.approx(math.sqrt(expected["mse"]))
    assert ours["zero"]["count"] > 0
    assert ours["few_incl_zero"]["count"] == ours["few"]["count"] + ours["zero"]["count"]
    assert ours["zero_interp"]["count"] > 0 and ours["zero_extrap"]["count"] > 0
    assert ours["zero"]["count"] == ours["zero_interp"]["count"] + ours["zero_extrap"]["count"]


def test_an_empty_shot_group_gives_nan_never_an_exception():
    train = np.full(500, 1.5)
    result = shot_metrics([1.4, 1.6], [1.5, 1.5], train, UniformBinner(width=1.0, range=(0, 3)))
    assert result["many"]["count"] == 2
    for group in ("medium", "few", "zero", "zero_interp", "zero_extrap", "few_incl_zero"):
        assert result[group]["count"] == 0
        assert all(math.isnan(result[group][k]) for k in ("mae", "gm", "pearson", "spearman"))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(0, 10_000))
def test_merged_partial_sums_equal_the_one_shot_result(n_parts, seed):
    rng = np.random.default_rng(seed)
    train = np.minimum(rng.exponential(1.0, 800), 5.99)
    target = rng.uniform(0, 6, 300)
    pred = target + rng.normal(0, 0.5, 300)
    binner = UniformBinner(width=0.25, range=(0, 6)).fit(train)
    whole = ShotMetrics(binner)
    whole.update(pred, target)
    parts = []
    for chunk in np.array_split(rng.permutation(300), n_parts):
        part = ShotMetrics(binner)
        part.update(pred[chunk], target[chunk])
        parts.append(part)
    merged = parts[0]
    for part in parts[1:]:
        merged = merged + part
    # the state itself is additive: summing the stacked arrays (an all-reduce) gives the same
    summed = BinSums.from_array(sum(p.sums.as_array() for p in parts))
    np.testing.assert_allclose(summed.as_array(), whole.sums.as_array(), rtol=1e-12, atol=1e-9)
    expected, got = whole.compute(), merged.compute()
    for group in expected:
        for key in expected[group]:
            a, b = expected[group][key], got[group][key]
            assert (math.isnan(a) and math.isnan(b)) or b == pytest.approx(a, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=80), st.integers(0, 99))
def test_shot_counts_partition_the_test_set(targets, seed):
    target = np.array(targets)
    train = np.random.default_rng(seed).uniform(0, 10, 400)
    result = shot_metrics(target + 0.1, target, train, UniformBinner(width=0.5, range=(0, 10)),
                          many=30, few=10)
    total = sum(result[s]["count"] for s in ("many", "medium", "few", "zero"))
    assert total == result["all"]["count"] == target.size


def test_geometric_mean_floors_exact_zeros():
    m = regression_metrics([1.0, 2.0], [1.0, 3.0])
    assert m["gm"] == pytest.approx(math.sqrt(1e-6 * 1.0))


def test_bad_inputs_are_named():
    with pytest.raises(LabelError, match="pred contains 1 NaN"):
        regression_metrics([1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(ShapeError, match=r"pred has shape \(3,\), target has shape \(2,\)"):
        regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0])
