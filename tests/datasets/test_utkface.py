import io
import tarfile
import time

import numpy as np
import pytest
from PIL import Image

from dirkit.datasets import DATASETS, UTKFACE_SPLIT_SHA256, load_utkface_dir, split_sha256
from dirkit.datasets import _image_files as image_files
from dirkit.datasets import _utkface as utkface_module
from dirkit.datasets._face_ages import spread_rows
from dirkit.datasets._utkface import (
    UTKFACE_SPLIT_CAP,
    find_utkface,
    list_utkface,
    utkface_ages,
    utkface_split,
)
from dirkit.exceptions import ConfigError, DataFormatError, DataNotFoundError, DirkitWarning

# The documented split of the 23,707 official images; a change here changes every user's split.
PINNED = "00d9535edfbd019674f4b85efa8022025627e8df2af629e9d157ffa3a6579df7"


@pytest.fixture(scope="module")
def official(data_dir):
    """The real archive, its file-name table and split (member list only, no decoding)."""
    source = find_utkface(data_dir)
    table = list_utkface(source)
    return source, table, utkface_split(list(table))


@pytest.fixture(scope="module")
def limited(data_dir, tmp_path_factory):
    """300 real images decoded once, and the cache folder holding them."""
    cache = tmp_path_factory.mktemp("cache")
    return load_utkface_dir(3, data_dir=data_dir, limit=300, cache_dir=cache), cache


def test_split_checksum_is_pinned_and_documented(official):
    _, table, splits = official
    names = list(table)
    assert len(names) == 23707
    assert split_sha256(names, splits.tolist()) == PINNED == UTKFACE_SPLIT_SHA256
    assert PINNED in (utkface_module.__doc__ or "")  # the documented value


def test_split_is_balanced_per_age_with_the_cap(official):
    _, table, splits = official
    names = list(table)
    ages = utkface_ages(names).astype(int)
    counts = np.bincount(ages, minlength=121)
    expected = np.minimum(counts // 3, UTKFACE_SPLIT_CAP)
    for split in ("val", "test"):
        np.testing.assert_array_equal(np.bincount(ages[splits == split], minlength=121), expected)
    assert {s: int((splits == s).sum()) for s in ("train", "val", "test")} == {
        "train": 18919, "val": 2394, "test": 2394
    }
    assert ages.min() == 1 and ages.max() == 116


def test_each_ages_split_depends_on_that_ages_files_only(official):
    _, table, splits = official
    names = np.array(list(table))
    others = ~np.char.startswith(names, "26_")  # drop the largest age entirely
    np.testing.assert_array_equal(utkface_split(names[others].tolist()), splits[others])


def test_limited_load_keeps_each_images_split_and_label(limited, data_dir):
    data, cache = limited
    assert data.x_train.dtype == np.uint8 and data.x_train.shape[1:] == (3, 32, 32)
    assert sum(data.sizes().values()) == 300
    assert data.info["split_sha256"] == PINNED and data.info["limit"] == 300
    assert (data.bin_width, data.label_range) == (1.0, (0.0, 121.0))
    assert DATASETS.get("utkface-dir") is load_utkface_dir
    other_seed = load_utkface_dir(0, data_dir=data_dir, limit=300, cache_dir=cache)
    np.testing.assert_array_equal(other_seed.y_test, data.y_test)  # the split ignores the seed


def test_rows_hold_the_images_of_their_files(limited, official):
    data, _ = limited
    source, table, splits = official
    names = list(table)
    keep = spread_rows(len(names), 300)
    first_train = names[keep[splits[keep] == "train"][0]]
    with tarfile.open(source) as tar:
        member = tar.extractfile(table[first_train])
        assert member is not None
        encoded = member.read()
    np.testing.assert_array_equal(data.x_train[0], image_files.decode_image(encoded, 32))
    assert data.y_train[0] == float(first_train.split("_")[0])
    direct = np.asarray(Image.open(io.BytesIO(encoded)).convert("RGB")).transpose(2, 0, 1)
    np.testing.assert_array_equal(image_files.decode_image(encoded, 64), direct)  # 64 px: as stored


def test_second_load_reads_the_cache(limited, data_dir, monkeypatch):
    data, cache = limited
    assert list((cache / "images").glob("utkface-*-32px-limit300-v1.npz"))

    def fail(*args, **kwargs):
        raise AssertionError("decoded again despite the cache")

    monkeypatch.setattr(image_files, "decode_image", fail)
    again = load_utkface_dir(data_dir=data_dir, limit=300, cache_dir=cache)
    np.testing.assert_array_equal(again.x_test, data.x_test)


def test_default_cache_dir_follows_xdg_cache_home(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_utkface_dir(data_dir=data_dir, limit=100)
    assert list((tmp_path / "dirkit" / "images").glob("utkface-*.npz"))


@pytest.mark.slow
def test_full_decode_at_32px_is_fast_and_cached(data_dir, tmp_path):
    started = time.perf_counter()
    data = load_utkface_dir(data_dir=data_dir, cache_dir=tmp_path)
    first = time.perf_counter() - started
    assert data.sizes() == {"train": 18919, "val": 2394, "test": 2394}
    assert 60 < data.x_train.mean() < 160  # real faces, not blank arrays
    started = time.perf_counter()
    load_utkface_dir(data_dir=data_dir, cache_dir=tmp_path)
    assert time.perf_counter() - started < first  # measured: about 6 s, then about 1.5 s


def _jpeg(path, color, size=(40, 40)):
    Image.new("RGB", size, color=color).save(path, format="JPEG")


def test_folder_source_with_any_image_size(tmp_path):
    folder = tmp_path / "utkface" / "UTKFace"
    folder.mkdir(parents=True)
    for age in (5, 30, 130):
        for i in range(3):
            _jpeg(folder / f"{age}_0_0_2017{i}.jpg.chip.jpg", (age % 256, 0, 0), size=(50 + i, 60))
    (folder / "notes.txt").write_text("not an image")
    data = load_utkface_dir(data_dir=tmp_path, image_size=16, cache_dir=tmp_path / "cache",
                            expected_images=9)
    assert find_utkface(tmp_path) == folder
    assert data.sizes() == {"train": 3, "val": 3, "test": 3}
    assert data.x_val.shape == (3, 3, 16, 16) and data.info["n_clipped"] == 3
    assert sorted(data.y_test.tolist()) == [5.0, 30.0, 120.0]  # 130 is clipped to the last bin


def test_unparsable_names_are_skipped_with_a_warning(tmp_path):
    folder = tmp_path / "UTKFace"
    folder.mkdir()
    _jpeg(folder / "40_1_0_2017.jpg.chip.jpg", (1, 2, 3))
    _jpeg(folder / "unknown_face.jpg", (1, 2, 3))
    with pytest.warns(DirkitWarning, match="Skipped 1 images"):
        assert list(list_utkface(folder)) == ["40_1_0_2017.jpg.chip.jpg"]


def test_missing_data_is_reported(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"UTKFace not found.*susanqq"):
        load_utkface_dir(data_dir=tmp_path)
    with pytest.raises(ConfigError, match="needs data_dir"):
        load_utkface_dir()
    with pytest.raises(ConfigError, match="'image_size' parameter"):
        load_utkface_dir(data_dir=tmp_path, image_size=2)


def _fixture_tar(path, n_per_age=4, ages=(5, 30, 60)):
    """A small UTKFace-like archive of real JPEG members; returns the number of images."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as tar:
        for age in ages:
            for i in range(n_per_age):
                buffer = io.BytesIO()
                Image.new("RGB", (40, 40), color=(age, i * 40, 90)).save(buffer, format="JPEG")
                member = tarfile.TarInfo(f"UTKFace/{age}_0_0_2017{i:04d}.jpg.chip.jpg")
                member.size = len(buffer.getvalue())
                tar.addfile(member, io.BytesIO(buffer.getvalue()))
    return n_per_age * len(ages)


def test_an_archive_with_the_expected_count_loads(tmp_path):
    n = _fixture_tar(tmp_path / "utkface" / "UTKFace.tar")
    data = load_utkface_dir(data_dir=tmp_path, image_size=8, cache_dir=tmp_path / "cache", expected_images=n)
    assert sum(data.sizes().values()) == n


def _cut(full, path, size):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(full.read_bytes()[:size])
    return path


def _member_offsets(archive):
    with tarfile.open(archive) as tar:
        return [member.offset for member in tar.getmembers()]


def test_an_archive_cut_in_half_between_members_is_refused_naming_the_file_and_the_count(tmp_path):
    full = tmp_path / "full.tar"
    n = _fixture_tar(full)
    cut = _cut(full, tmp_path / "utkface" / "UTKFace.tar", _member_offsets(full)[n // 2])
    assert len(list_utkface(cut)) == n // 2  # tarfile itself lists the first half without a word
    with pytest.raises(DataFormatError, match=rf"{cut} holds {n // 2} UTKFace images; expected {n}"):
        load_utkface_dir(data_dir=tmp_path, cache_dir=tmp_path / "cache", expected_images=n)


def test_an_archive_cut_inside_a_member_is_refused_naming_the_file_and_what_was_read(tmp_path):
    full = tmp_path / "full.tar"
    n = _fixture_tar(full)
    cut = _cut(full, tmp_path / "utkface" / "UTKFace.tar", _member_offsets(full)[n // 2] + 700)
    message = rf"{cut} is not a readable tar archive .*after {n // 2 + 1} files"
    with pytest.raises(DataFormatError, match=message):
        load_utkface_dir(data_dir=tmp_path, cache_dir=tmp_path / "cache", expected_images=n)


def test_the_default_count_is_the_official_sets(tmp_path):
    _fixture_tar(tmp_path / "utkface" / "UTKFace.tar")
    with pytest.raises(DataFormatError, match=r"holds 12 UTKFace images; expected 23707.*images=None"):
        load_utkface_dir(data_dir=tmp_path, cache_dir=tmp_path / "cache")
    data = load_utkface_dir(data_dir=tmp_path, image_size=8, cache_dir=tmp_path / "cache",
                            expected_images=None)
    assert sum(data.sizes().values()) == 12


@pytest.mark.parametrize("content", [b"", b"\x00" * 100, bytes(range(256)) * 40])
def test_random_bytes_are_a_data_format_error(tmp_path, content):
    archive = tmp_path / "utkface" / "UTKFace.tar.gz"
    archive.parent.mkdir()
    archive.write_bytes(content)
    with pytest.raises(DataFormatError, match=rf"{archive} is not a readable tar archive"):
        load_utkface_dir(data_dir=tmp_path, cache_dir=tmp_path / "cache")


def test_a_member_cut_short_while_decoding_is_a_data_format_error(tmp_path):
    full = tmp_path / "full.tar"
    _fixture_tar(full, n_per_age=1, ages=(20,))
    cut = _cut(full, tmp_path / "full-cut.tar", 512 + 100)  # the header and 100 bytes of the JPEG
    with pytest.raises(DataFormatError, match=rf"{cut}"):
        list(image_files.tar_images(cut, {"UTKFace/20_0_0_20170000.jpg.chip.jpg": 0}))


def test_a_known_archive_with_other_bytes_is_refused(tmp_path):
    archive = tmp_path / "utkface" / "UTKFace-64px.tar"
    n = _fixture_tar(archive)
    with pytest.raises(DataFormatError, match=r"UTKFace-64px.tar has sha256 .*not the 8c2228f570c52c18"):
        load_utkface_dir(data_dir=tmp_path, cache_dir=tmp_path / "cache", expected_images=n)


def test_the_real_archive_cut_in_half_is_refused(data_dir, tmp_path):
    real = find_utkface(data_dir)
    cut = tmp_path / "utkface" / real.name
    cut.parent.mkdir()
    with open(real, "rb") as source:
        cut.write_bytes(source.read(real.stat().st_size // 2))
    with pytest.raises(DataFormatError, match=rf"{cut} holds 11931 UTKFace images; expected 23707"):
        load_utkface_dir(data_dir=tmp_path, cache_dir=tmp_path / "cache", limit=30)
