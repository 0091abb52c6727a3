import io
import os

import numpy as np
import pytest
from PIL import Image

from dirkit.datasets._image_files import cached_images, decode_image, files_fingerprint
from dirkit.exceptions import ConfigError, DataNotFoundError


def encoded(mode, size, color, fmt="PNG"):
    buffer = io.BytesIO()
    Image.new(mode, size, color=color).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(("mode", "color"), [("RGB", (10, 20, 30)), ("RGBA", (10, 20, 30, 0)), ("L", 10)])
def test_any_mode_and_size_becomes_rgb_uint8_of_the_asked_size(mode, color):
    pixels = decode_image(encoded(mode, (7, 13), color), 5)
    assert pixels.shape == (3, 5, 5) and pixels.dtype == np.uint8
    expected = color[:3] if isinstance(color, tuple) else (color,) * 3
    assert pixels[:, 2, 2].tolist() == list(expected)


def test_large_jpegs_decode_in_draft_mode_to_nearly_the_same_pixels():
    rng = np.random.default_rng(0)
    smooth = np.kron(rng.integers(0, 256, size=(8, 8, 3)), np.ones((64, 64, 1))).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(smooth).save(buffer, format="JPEG", quality=95)
    reference = np.asarray(Image.fromarray(smooth).resize((32, 32), Image.Resampling.BICUBIC))
    pixels = decode_image(buffer.getvalue(), 32).transpose(1, 2, 0)
    assert np.abs(pixels.astype(int) - reference).mean() < 6


def test_unreadable_bytes_name_the_file():
    with pytest.raises(DataNotFoundError, match=r"broken\.jpg is not a readable image"):
        decode_image(b"not an image", 8, name="broken.jpg")


def test_cache_is_rebuilt_when_stale_or_unreadable(tmp_path):
    calls = []

    def make(value):
        def decode():
            calls.append(value)
            return np.full((1, 3, 2, 2), value, dtype=np.uint8)
        return decode

    assert cached_images("k", ["a"], make(1), cache_dir=tmp_path)[0, 0, 0, 0] == 1
    assert cached_images("k", ["a"], make(2), cache_dir=tmp_path)[0, 0, 0, 0] == 1  # reused
    assert cached_images("k", ["b"], make(3), cache_dir=tmp_path)[0, 0, 0, 0] == 3  # other names
    (file,) = (tmp_path / "images").glob("k-*.npz")
    file.write_bytes(b"truncated")
    assert cached_images("k", ["b"], make(4), cache_dir=tmp_path)[0, 0, 0, 0] == 4
    assert calls == [1, 3, 4] and not list((tmp_path / "images").glob("*.tmp*"))
    with pytest.raises(ConfigError, match="cache keys"):
        cached_images("../k", ["a"], make(5), cache_dir=tmp_path)


def test_folder_fingerprint_follows_names_sizes_and_times(tmp_path):
    files = [tmp_path / "a.jpg", tmp_path / "b.jpg"]
    for f in files:
        f.write_bytes(b"12")
    first = files_fingerprint(files, tmp_path)
    assert files_fingerprint(reversed(files), tmp_path) == first
    os.utime(files[0], ns=(1, 1))
    assert files_fingerprint(files, tmp_path) != first
