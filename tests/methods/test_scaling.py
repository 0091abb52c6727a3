import numpy as np
import pytest
import torch

from dirkit.exceptions import ShapeError
from dirkit.methods import ImageNormalize
from dirkit.methods._scaling import channel_statistics


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_channel_statistics_equal_numpy(dtype: type) -> None:
    images = np.random.default_rng(0).integers(0, 256, size=(37, 3, 5, 4)).astype(dtype)
    mean, std = channel_statistics(images, chunk=8)
    np.testing.assert_allclose(mean, images.astype(np.float64).mean(axis=(0, 2, 3)), rtol=1e-10)
    np.testing.assert_allclose(std, images.astype(np.float64).std(axis=(0, 2, 3)), rtol=1e-9)


def test_normalised_training_images_have_zero_mean_and_unit_std() -> None:
    images = np.random.default_rng(1).integers(20, 200, size=(50, 3, 6, 6), dtype=np.uint8)
    out = ImageNormalize(images)(torch.as_tensor(images))
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.std(dim=(0, 2, 3), unbiased=False), torch.ones(3), atol=1e-5, rtol=0)
    assert torch.equal(ImageNormalize(images)(torch.as_tensor(images).float()), out)  # uint8 or float


def test_constant_channels_and_bad_shapes() -> None:
    constant = ImageNormalize(np.zeros((2, 1, 2, 2), dtype=np.uint8))
    assert torch.isfinite(constant(torch.ones(1, 1, 2, 2))).all()
    with pytest.raises(ShapeError, match=r"\(N, C, H, W\)"):
        channel_statistics(np.zeros((4, 3)))
