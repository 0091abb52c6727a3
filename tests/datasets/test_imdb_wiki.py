import numpy as np
import pytest
from PIL import Image

from dirkit.datasets import DATASETS, load_imdb_wiki_dir
from dirkit.exceptions import DataNotFoundError


def test_tiny_fixture_laid_out_like_the_release(tmp_path):
    folder = tmp_path / "imdb-wiki-dir"
    lines = ["age,path,split"]
    for i, (age, split) in enumerate([(0, "train"), (186, "train"), (40, "val"), (40, "test")]):
        path = f"{'imdb' if i % 2 else 'wiki'}_crop/{i:02d}/nm{i}_rm1_1970-1-1_2010.jpg"
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (90, 70), color=(i, i, i)).save(folder / path)
        lines.append(f"{age},{path},{split}")
    (folder / "imdb_wiki.csv").write_text("\n".join(lines) + "\n")
    data = load_imdb_wiki_dir(data_dir=tmp_path, image_size=12, cache_dir=tmp_path / "cache")
    assert DATASETS.get("imdb-wiki-dir") is load_imdb_wiki_dir
    assert data.sizes() == {"train": 2, "val": 1, "test": 1}
    assert data.y_train.tolist() == [0.0, 186.0] and data.info["n_clipped"] == 0  # ages 0-186
    assert data.label_range == (0.0, 187.0) and data.x_val.shape == (1, 3, 12, 12)
    assert np.abs(data.x_test.astype(int) - 3).max() <= 2  # the dark gray of row 3


def test_missing_label_file_says_where_it_was_looked_for(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"imdb_wiki\.csv"):
        load_imdb_wiki_dir(data_dir=tmp_path)
