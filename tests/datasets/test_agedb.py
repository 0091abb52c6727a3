import numpy as np
import pytest
from PIL import Image

from dirkit.datasets import DATASETS, load_agedb_dir, read_age_csv, split_sha256
from dirkit.exceptions import ConfigError, DataNotFoundError, LabelError
from dirkit.labels import UniformBinner, sample_shots

ROWS = [  # (age, split): every split non-empty, one age above the bin range
    (31, "train"), (31, "train"), (59, "train"), (2, "train"), (125, "train"),
    (31, "val"), (59, "val"), (31, "test"), (59, "test"),
]


def write_agedb(root, rows=ROWS, *, mode="RGB"):
    """A tiny AgeDB-DIR laid out like the real data: agedb-dir/agedb.csv next to agedb-dir/AgeDB/."""
    folder = root / "agedb-dir"
    (folder / "AgeDB").mkdir(parents=True)
    lines = ["age,path,split"]
    for i, (age, split) in enumerate(rows):
        path = f"AgeDB/{i}_Person{i}_{age}_f.jpg"
        Image.new(mode, (30 + i, 40), color=(i * 20) if mode == "L" else (i * 20, 0, 255)).save(folder / path)
        lines.append(f"{age},{path},{split}")
    (folder / "agedb.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_real_label_file_parses_with_the_documented_counts(data_dir):
    ages, paths, splits = read_age_csv(data_dir / "agedb-dir" / "agedb.csv")
    assert {s: int((splits == s).sum()) for s in ("train", "val", "test")} == {
        "train": 12208, "val": 2140, "test": 2140
    }
    assert (ages.min(), ages.max()) == (1.0, 101.0) and paths[0].startswith("AgeDB/")
    assert np.bincount(ages[splits == "test"].astype(int)).max() == 30  # balanced, cap 30
    binner = UniformBinner(width=1.0, range=(0, 121)).fit(ages[splits == "train"])
    shots = sample_shots(ages[splits == "test"], binner)
    assert [int((shots == s).sum()) for s in ("many", "medium", "few")] == [1530, 448, 162]


def test_real_labels_without_images_name_the_missing_image_root(data_dir, tmp_path):
    with pytest.raises(DataNotFoundError, match=r"16,488 of the 16,488 images .* under the image root"):
        load_agedb_dir(data_dir=data_dir, cache_dir=tmp_path)
    with pytest.raises(DataNotFoundError) as error:
        load_agedb_dir(data_dir=data_dir, cache_dir=tmp_path)
    message = str(error.value)
    assert str(data_dir / "agedb-dir") in message and "AgeDB/" in message  # the root and a file
    assert "ibug.doc.ic.ac.uk" in message and "image_root=" in message  # where to get them, how
    elsewhere = tmp_path / "no-such-folder"
    with pytest.raises(DataNotFoundError, match=f"image root {elsewhere} does not exist"):
        load_agedb_dir(data_dir=data_dir, image_root=elsewhere, cache_dir=tmp_path)


def test_tiny_fixture_loads_images_ages_and_the_files_split(tmp_path):
    folder = write_agedb(tmp_path)
    data = load_agedb_dir(7, data_dir=tmp_path, image_size=16, cache_dir=tmp_path / "cache")
    assert DATASETS.get("agedb-dir") is load_agedb_dir
    assert data.sizes() == {"train": 5, "val": 2, "test": 2}
    assert data.x_train.shape == (5, 3, 16, 16) and data.x_train.dtype == np.uint8
    assert data.y_train.tolist() == [31.0, 31.0, 59.0, 2.0, 120.0] and data.info["n_clipped"] == 1
    assert (data.bin_width, data.label_range) == (1.0, (0.0, 121.0))
    assert np.abs(data.x_val[0, 2].astype(int) - 255).max() <= 2  # the blue channel of row 5
    _, paths, splits = read_age_csv(folder / "agedb.csv")
    assert data.info["split_sha256"] == split_sha256(paths, splits.tolist())


def test_image_root_option_grayscale_images_and_limit(tmp_path):
    folder = write_agedb(tmp_path / "labels", mode="L")
    images = tmp_path / "pictures"
    images.mkdir()
    (folder / "AgeDB").rename(images / "AgeDB")  # the images elsewhere than the label file
    data = load_agedb_dir(data_dir=tmp_path / "labels", image_root=images, image_size=8,
                          limit=6, cache_dir=tmp_path / "cache")
    assert sum(data.sizes().values()) == 6 and data.x_test.shape[1:] == (3, 8, 8)
    assert (data.x_test[:, 0] == data.x_test[:, 1]).all()  # gray copied to RGB


def test_bad_label_files_are_reported(tmp_path):
    folder = tmp_path / "agedb-dir"
    folder.mkdir()
    (folder / "agedb.csv").write_text("age,file,split\n3,a.jpg,train\n")
    with pytest.raises(LabelError, match=r"lacks the column\(s\) \['path'\]"):
        load_agedb_dir(data_dir=tmp_path)
    (folder / "agedb.csv").write_text("age,path,split\n3,a.jpg,train\n4,b.jpg,holdout\n")
    with pytest.raises(LabelError, match="line 3 has age '4' and split 'holdout'"):
        load_agedb_dir(data_dir=tmp_path)
    with pytest.raises(DataNotFoundError, match="label file not found"):
        load_agedb_dir(data_dir=tmp_path / "elsewhere")
    with pytest.raises(ConfigError, match="needs data_dir"):
        load_agedb_dir()
