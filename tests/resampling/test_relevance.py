import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.interpolate import PchipInterpolator

from dirkit.density import kernel_window
from dirkit.exceptions import ConfigError, LabelError
from dirkit.resampling import (
    boxplot_control_points,
    boxplot_relevance,
    density_relevance,
    relevance_from_control_points,
)
from dirkit.resampling._medcouple import medcouple
from dirkit.resampling._relevance import _fivenum, compute_relevance


def naive_hermite_flat(y, points):
    """Cubic Hermite with zero slopes at every control point, written from the formula."""
    out = []
    for v in y:
        if v <= points[0, 0]:
            out.append(points[0, 1])
            continue
        if v >= points[-1, 0]:
            out.append(points[-1, 1])
            continue
        i = int(np.searchsorted(points[:, 0], v, side="right")) - 1
        (x0, p0), (x1, p1) = points[i, :2], points[i + 1, :2]
        t = (v - x0) / (x1 - x0)
        out.append(p0 + (p1 - p0) * (3 * t**2 - 2 * t**3))
    return np.array(out)


def naive_medcouple(x):
    x = np.asarray(x, dtype=float)
    z = x - np.median(x)
    plus = np.sort(z[z >= 0])[::-1]
    minus = np.sort(z[z <= 0])[::-1]
    k = int((z == 0).sum())
    values = []
    for i, a in enumerate(plus):
        for j, b in enumerate(minus):
            if a == b == 0:
                zi, zj = i - (len(plus) - k), j  # positions among the tied zeros
                values.append(np.sign(k - 1 - zi - zj))
            else:
                values.append((a + b) / (a - b))
    values = np.sort(values)
    return values[(len(values) + 1) // 2 - 1]


def test_fivenum_matches_r():
    # R: fivenum(c(1, 2, 3, 4, 5, 6)) -> 1.0 2.0 3.5 5.0 6.0; fivenum(1:7) -> 1 2.5 4 5.5 7
    assert _fivenum(np.arange(1.0, 7.0)).tolist() == [1.0, 2.0, 3.5, 5.0, 6.0]
    assert _fivenum(np.arange(1.0, 8.0)).tolist() == [1.0, 2.5, 4.0, 5.5, 7.0]


def test_boxplot_relevance_matches_direct_evaluation_of_control_points():
    rng = np.random.default_rng(0)
    y = np.r_[rng.lognormal(size=500), -rng.lognormal(size=20) * 3]
    points = boxplot_control_points(y)
    assert points[:, 1].tolist() == [1.0, 0.0, 1.0]
    assert points[1, 0] == pytest.approx(np.median(y))
    np.testing.assert_allclose(boxplot_relevance(y), naive_hermite_flat(y, points), atol=1e-12)


def test_whiskers_are_the_last_data_inside_the_fences():
    rng = np.random.default_rng(1)
    y = rng.lognormal(size=400)
    _, q1, _, q3, _ = _fivenum(y)
    points = boxplot_control_points(y, tails="high")
    inside = y[y <= q3 + 1.5 * (q3 - q1)]
    assert points[-1].tolist() == [inside.max(), 1.0, 0.0]
    assert points[0].tolist() == [y.min(), 0.0, 0.0]


def test_tails_select_which_extremes_are_relevant():
    y = np.r_[-50.0, np.arange(20.0), 70.0]
    high = boxplot_relevance(y, tails="high")
    low = boxplot_relevance(y, tails="low")
    assert high[0] == 0.0 and high[-1] == 1.0
    assert low[0] == 1.0 and low[-1] == 0.0


def test_adjusted_boxplot_uses_medcouple_fences():
    rng = np.random.default_rng(2)
    y = rng.lognormal(sigma=1.0, size=300)
    _, q1, _, q3, _ = _fivenum(y)
    mc = naive_medcouple(y)
    assert mc > 0
    fence = q3 + 1.5 * np.exp(3 * mc) * (q3 - q1)
    points = boxplot_control_points(y, boxplot="adjusted")
    assert points[-1, 0] == y[y <= fence].max()
    assert points[-1, 0] > boxplot_control_points(y)[-1, 0]


@pytest.mark.parametrize("values", [
    [1.0, 2.0, 3.0, 4.0, 10.0],
    [0.0, 0.0, 0.0, 1.0, 2.0, 7.0, 7.0, -1.0],
    [3.0, 3.0, 3.0, 3.0, 1.0, 9.0],
    list(np.random.default_rng(3).lognormal(size=41)),
    list(np.random.default_rng(4).integers(0, 4, size=30).astype(float)),
])
def test_medcouple_matches_naive_pairwise_definition(values):
    assert medcouple(np.array(values)) == pytest.approx(naive_medcouple(values), abs=1e-9)


def test_two_column_control_points_use_scipy_pchip():
    pts = np.array([[0.0, 0.0], [1.0, 0.2], [3.0, 1.0]])
    y = np.linspace(-1, 4, 50)
    expected = np.clip(PchipInterpolator(pts[:, 0], pts[:, 1])(np.clip(y, 0, 3)), 0, 1)
    np.testing.assert_allclose(relevance_from_control_points(y, pts), expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=3, max_size=3), st.lists(st.floats(0, 1), min_size=3,
       max_size=3), st.lists(st.floats(-20, 20), min_size=3, max_size=3))
def test_steep_slopes_are_made_monotone(xs, values, slopes):
    x = np.sort(np.array(xs))
    if np.any(np.diff(x) < 1e-3):
        return
    pts = np.column_stack([x, values, slopes])
    grid = np.linspace(x[0], x[-1], 400)
    phi = relevance_from_control_points(grid, pts)
    for a, b in itertools.pairwise(x):
        segment = phi[(grid >= a) & (grid <= b)]
        steps = np.diff(segment)
        assert np.all(steps >= -1e-9) or np.all(steps <= 1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=80), st.sampled_from(["both", "high",
       "low"]), st.sampled_from(["tukey", "adjusted"]))
def test_boxplot_relevance_in_unit_range_and_equal_at_control_points(values, tails, boxplot):
    y = np.array(values)
    phi = boxplot_relevance(y, tails=tails, boxplot=boxplot)
    assert phi.shape == y.shape
    assert np.all((phi >= 0) & (phi <= 1))
    points = boxplot_control_points(y, tails=tails, boxplot=boxplot)
    np.testing.assert_allclose(relevance_from_control_points(points[:, 0], points), points[:, 1])
    assert np.all(np.diff(points[:, 0]) > 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=80), st.integers(1, 30))
def test_density_relevance_in_unit_range(values, n_bins):
    phi = density_relevance(np.array(values), n_bins=n_bins)
    assert np.all((phi >= 0) & (phi <= 1))


def test_density_relevance_matches_naive_smoothed_histogram():
    rng = np.random.default_rng(5)
    y = rng.lognormal(size=300)
    counts, edges = np.histogram(y, bins=20)
    smoothed = np.convolve(counts, kernel_window("gaussian", 5, 2.0), mode="same")
    expected = [1 - smoothed[min(np.searchsorted(edges, v, "right") - 1, 19)] / smoothed.max()
                for v in y]
    np.testing.assert_allclose(density_relevance(y, n_bins=20), expected)
    high = density_relevance(y, n_bins=20, tails="high")
    assert np.all(high[y < np.median(y)] == 0)


def test_bad_relevance_callables_and_control_points_raise():
    y = np.arange(10.0)
    with pytest.raises(LabelError, match=r"one relevance per target"):
        compute_relevance(y, lambda v: v[:3])
    with pytest.raises(LabelError, match=r"values in \[0, 1\]; got 2.0 at index 2"):
        compute_relevance(y, lambda v: v)
    with pytest.raises(ConfigError, match="strictly increasing"):
        relevance_from_control_points(y, np.array([[1.0, 0.0], [0.0, 1.0]]))
    with pytest.raises(ConfigError, match="shape"):
        relevance_from_control_points(y, np.ones(3))
    with pytest.raises(ConfigError, match="'tails' parameter"):
        boxplot_control_points(y, tails="middle")


def naive_normalised_hermite(y, x, v, m):
    """The evaluator dirkit used before scipy's CubicHermiteSpline: the cubic Hermite basis in
    the normalised segment variable t, constant beyond the end points."""
    out = []
    for value in y:
        i = min(max(int(np.searchsorted(x, value, side="right")) - 1, 0), len(x) - 2)
        dx = x[i + 1] - x[i]
        t = min(max((value - x[i]) / dx, 0.0), 1.0)
        h00, h10 = (1 + 2 * t) * (1 - t) ** 2, t * (1 - t) ** 2
        h01, h11 = t**2 * (3 - 2 * t), t**2 * (t - 1)
        out.append(h00 * v[i] + h10 * dx * m[i] + h01 * v[i + 1] + h11 * dx * m[i + 1])
    return np.array(out)


@pytest.mark.parametrize("seed", range(5))
def test_scipy_hermite_spline_matches_the_old_normalised_formula(seed):
    from dirkit.resampling._hermite import _hermite, _monotone_slopes

    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-50, 50, size=7))
    v = rng.uniform(0, 1, size=7)
    m = _monotone_slopes(x, v, rng.normal(scale=2.0, size=7))
    y = np.r_[rng.uniform(-60, 60, size=500), x]
    np.testing.assert_allclose(_hermite(y, x, v, m), naive_normalised_hermite(y, x, v, m),
                               rtol=0, atol=1e-12)
    pts = np.column_stack([x, v, rng.normal(size=7)])
    expected = naive_normalised_hermite(y, x, v, _monotone_slopes(x, v, pts[:, 2]))
    np.testing.assert_allclose(relevance_from_control_points(y, pts), np.clip(expected, 0, 1),
                               rtol=0, atol=1e-12)


def test_a_segment_too_narrow_for_the_polynomial_form_stays_finite_and_monotone():
    pts = np.array([[0.0, 0.0, 0.0], [1e-320, 1.0, 0.0], [1.0, 0.0, 0.0]])
    y = np.array([-1.0, 0.0, 5e-321, 1e-320, 0.5, 1.0, 2.0])
    phi = relevance_from_control_points(y, pts)
    assert np.all(np.isfinite(phi))
    assert phi.tolist()[:2] == [0.0, 0.0] and phi[3] == 1.0 and phi[-1] == 0.0
    assert 0.0 <= phi[2] <= 1.0
    assert phi[4] == pytest.approx(0.5)
