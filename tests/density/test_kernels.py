import numpy as np
import pytest

from dirkit.density import kernel_window


@pytest.mark.parametrize("kernel", ["gaussian", "triangular", "laplace"])
@pytest.mark.parametrize("ks", [1, 3, 5, 9])
def test_windows_are_symmetric_and_normalised(kernel, ks):
    peak = kernel_window(kernel, ks, 2.0)
    total = kernel_window(kernel, ks, 2.0, normalize="sum")
    assert peak.shape == (ks,)
    np.testing.assert_allclose(peak, peak[::-1])
    assert peak.max() == pytest.approx(1.0) and peak[ks // 2] == pytest.approx(1.0)
    assert total.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(total, peak / peak.sum())


def test_laplace_window_formula():
    sigma = 1.5
    expected = np.array([np.exp(-abs(x) / sigma) for x in range(-2, 3)])
    np.testing.assert_allclose(kernel_window("laplace", 5, sigma), expected / expected.max())


def test_triangular_window_formula():
    np.testing.assert_allclose(kernel_window("triangular", 5), [1 / 3, 2 / 3, 1, 2 / 3, 1 / 3])


def test_even_window_is_rejected_with_fix():
    with pytest.raises(ValueError, match=r"must be odd; got 4\. Use 5"):
        kernel_window("gaussian", 4, 2.0)


def test_unknown_kernel_lists_the_choices():
    with pytest.raises(ValueError, match="'gaussian', 'triangular', 'laplace'"):
        kernel_window("box", 5, 2.0)  # type: ignore[arg-type]
