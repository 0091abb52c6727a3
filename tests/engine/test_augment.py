import pytest
import torch

from dirkit.engine._augment import RandomCropFlip
from dirkit.exceptions import ConfigError, ShapeError


def naive(image: torch.Tensor, shift: tuple[int, int], flip: bool, padding: int) -> torch.Tensor:
    """torchvision's RandomCrop(padding) then RandomHorizontalFlip, written out for one image."""
    padded = torch.nn.functional.pad(image, (padding,) * 4)
    h, w = image.shape[1:]
    crop = padded[:, shift[0] : shift[0] + h, shift[1] : shift[1] + w]
    return crop.flip(-1) if flip else crop


def test_matches_crop_then_flip_per_row() -> None:
    images = torch.randint(1, 255, (6, 3, 8, 5), dtype=torch.uint8)
    augment = RandomCropFlip(10, padding=2, seed=4)
    rows = torch.tensor([9, 0, 3, 3, 7, 1])
    out = augment(images, rows, epoch=5)
    shifts, flips = augment.draws(5)
    assert out.dtype == torch.uint8 and out.shape == images.shape
    assert shifts.min() >= 0 and shifts.max() <= 4 and 0 < flips.sum() < 10
    for i, row in enumerate(rows.tolist()):
        expected = naive(images[i], tuple(shifts[row].tolist()), bool(flips[row]), 2)
        assert torch.equal(out[i], expected)


def test_draws_depend_on_seed_epoch_and_row_only() -> None:
    images = torch.randint(0, 255, (4, 1, 6, 6), dtype=torch.uint8)
    a, b = RandomCropFlip(4, padding=1, seed=0), RandomCropFlip(4, padding=1, seed=0)
    whole = a(images, torch.arange(4), epoch=2)
    halves = torch.cat([b(images[:2], torch.arange(2), epoch=2), b(images[2:], torch.arange(2, 4), epoch=2)])
    assert torch.equal(whole, halves)  # batching and process slices do not matter
    assert not torch.equal(a.draws(3)[0], a.draws(2)[0])
    assert not torch.equal(RandomCropFlip(4, padding=1, seed=1).draws(2)[0], a.draws(2)[0])


def test_zero_padding_without_flip_is_the_identity() -> None:
    images = torch.rand(3, 2, 4, 4)
    out = RandomCropFlip(3, padding=0, seed=0, flip=False)(images, torch.arange(3), epoch=0)
    assert torch.equal(out, images)


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="padding >= 0"):
        RandomCropFlip(3, padding=-1, seed=0)
    with pytest.raises(ShapeError, match=r"images \(n, C, H, W\)"):
        RandomCropFlip(3, padding=1, seed=0)(torch.zeros(3, 4), torch.arange(3), epoch=0)
