"""STS-B-DIR: the real split files, the pair features and the embedding cache.

The full load embeds about 15,000 sentences (minutes on a CPU), so these tests read the files
directly and embed only a few dozen sentences with the real model; the loader's assembly is
checked with a stand-in encoder whose embeddings are pre-seeded in a temporary cache.
"""

from __future__ import annotations

import numpy as np
import pytest

import dirkit.datasets._text_embeddings as text_embeddings
from dirkit.datasets import (
    DATASETS,
    STS_B_FILES,
    embed_sentences,
    load_sts_b_dir,
    pair_features,
    read_sts_b_split,
)
from dirkit.datasets._text_embeddings import default_cache_dir, text_key
from dirkit.exceptions import ConfigError, DataNotFoundError, LabelError
from dirkit.labels import UniformBinner, sample_shots

HEADER = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"


@pytest.fixture(scope="module")
def splits(data_dir):
    folder = data_dir / "sts-b-dir"
    return {split: read_sts_b_split(folder / name) for split, name in STS_B_FILES.items()}


def _write_split(path, rows):
    lines = [f"{i}\tmain\tf\t2012\t{i}\tnone\tnone\t{a}\t{b}\t{y:.3f}\n" for i, (a, b, y) in enumerate(rows)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")


def test_row_counts(splits):
    assert {split: len(scores) for split, (_, _, scores) in splits.items()} == {
        "train": 5249, "val": 1000, "test": 1000
    }
    for first, second, scores in splits.values():
        assert len(first) == len(second) == len(scores)
        assert scores.min() >= 0.0 and scores.max() <= 5.0


def test_quotes_are_kept_verbatim(splits):
    # QUOTE_NONE: a sentence that starts with a quote must not swallow the following fields
    sentences = [text for first, second, _ in splits.values() for text in (*first, *second)]
    assert any(text.startswith('"') for text in sentences)
    assert max(len(text) for text in sentences) < 1000


def test_validation_and_test_are_balanced(splits):
    for split in ("val", "test"):
        scores = splits[split][2]
        bins = np.minimum(np.floor(scores / 0.25).astype(int), 19)
        assert np.bincount(bins, minlength=20).tolist() == [50] * 20


def test_shot_split_under_the_usual_rule(splits):
    binner = UniformBinner(width=0.1, range=(0.0, 5.0)).fit(splits["train"][2])
    assert binner.n_bins_ == 50
    shots = sample_shots(splits["test"][2], binner)
    assert {s: int((shots == s).sum()) for s in ("many", "medium", "few", "zero")} == {
        "many": 756, "medium": 207, "few": 37, "zero": 0
    }


def test_pair_features_against_a_loop():
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    expected = [np.concatenate([a, b, np.abs(a - b), a * b]) for a, b in zip(u, v, strict=True)]
    np.testing.assert_allclose(pair_features(u, v), np.array(expected), rtol=1e-6)
    assert pair_features(u, v, "diff").shape == (3, 10)
    assert pair_features(u, v, "concat").shape == (3, 10)
    np.testing.assert_allclose(pair_features(u, v, "diff"), pair_features(v, u, "diff"))
    with pytest.raises(ConfigError, match="same shape"):
        pair_features(u, v[:2])


def test_real_model_embeds_each_text_once_and_caches_it(splits, tmp_path, monkeypatch):
    texts = list(dict.fromkeys(splits["test"][0]))[:12]
    calls: list[int] = []
    loaded = []

    def counting_loader(model, device):  # the real model, loaded once, with its calls counted
        if not loaded:
            loaded.append(real_loader(model, device))

        def encode(batch):
            calls.append(len(batch))
            return loaded[0](batch)

        return encode

    real_loader = text_embeddings._load_encoder
    monkeypatch.setattr(text_embeddings, "_load_encoder", counting_loader)
    first = embed_sentences([*texts, texts[0]], cache_dir=tmp_path)
    assert first.shape == (13, 384) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)  # normalised model
    np.testing.assert_array_equal(first[0], first[-1])
    assert sum(calls) == 12
    chunks = list((tmp_path / "embeddings" / "all-MiniLM-L6-v2").glob("*.npz"))
    assert len(chunks) == 1
    with np.load(chunks[0]) as stored:
        assert set(stored["keys"].tolist()) == {text_key(t) for t in texts}

    again = embed_sentences(texts, cache_dir=tmp_path)
    assert sum(calls) == 12  # nothing embedded the second time
    np.testing.assert_array_equal(again, first[:12])

    changed = [*texts[:-1], texts[-1] + " Indeed."]
    third = embed_sentences(changed, cache_dir=tmp_path)
    assert calls[-1] == 1 and sum(calls) == 13  # only the changed sentence
    np.testing.assert_array_equal(third[:-1], first[:11])
    assert not np.allclose(third[-1], first[11])


def test_cache_is_keyed_by_model_and_survives_a_corrupt_chunk(tmp_path):
    def ones(batch):
        return np.ones((len(batch), 2))

    embed_sentences(["a", "b"], model="m1", cache_dir=tmp_path, encoder=ones)
    twos = embed_sentences(["a"], model="m2", cache_dir=tmp_path, encoder=lambda b: 2 * ones(b))
    assert twos.tolist() == [[2.0, 2.0]]
    (tmp_path / "embeddings" / "m1" / "broken.npz").write_bytes(b"not a zip")
    with pytest.warns(UserWarning, match="unreadable embedding cache"):
        again = embed_sentences(["a", "b"], model="m1", cache_dir=tmp_path, encoder=lambda b: 1 / 0)
    assert again.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    # A model that cannot load: tests/datasets/test_sentence_models.py (no network needed there).


def test_default_cache_dir_reads_the_environment_when_called(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "dirkit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir().parts[-2:] == (".cache", "dirkit")


def _tiny_release(folder):
    rows = {
        "train": [("A cat sits.", "A cat is sitting.", 4.6), ("A dog runs.", "A man sings.", 0.2)],
        "val": [("A cat sits.", "A man sings.", 0.0)],
        "test": [("A dog runs.", "A dog is running.", 5.0)],
    }
    folder.mkdir(parents=True)
    for split, name in STS_B_FILES.items():
        _write_split(folder / name, rows[split])
    return rows


def test_loader_assembles_pair_features_from_the_cache(tmp_path):
    rows = _tiny_release(tmp_path / "data" / "sts-b-dir")
    cache = tmp_path / "cache"
    texts = sorted({t for split in rows.values() for a, b, _ in split for t in (a, b)})
    fake = {t: np.full(3, float(i)) for i, t in enumerate(texts)}
    embed_sentences(texts, model="all-MiniLM-L6-v2", cache_dir=cache, encoder=lambda b: [fake[t] for t in b])
    for where in (tmp_path / "data", tmp_path / "data" / "sts-b-dir"):  # either folder is accepted
        data = DATASETS.get("sts-b-dir")(seed=5, data_dir=where, cache_dir=cache)  # no model call
        assert data.sizes() == {"train": 2, "val": 1, "test": 1}
        assert data.x_train.shape == (2, 12) and data.x_train.dtype == np.float32
        assert (data.bin_width, data.label_range) == (0.1, (0.0, 5.0))
        u, v = fake["A cat sits."], fake["A cat is sitting."]
        np.testing.assert_array_equal(data.x_train[0], pair_features(u[None], v[None])[0])
        np.testing.assert_array_equal(data.y_test, [5.0])
    same = load_sts_b_dir(0, data_dir=tmp_path / "data", cache_dir=cache)
    np.testing.assert_array_equal(same.x_train, data.x_train)  # the seed does not change the split
    assert load_sts_b_dir(0, data_dir=tmp_path / "data", cache_dir=cache, features="diff").n_features == 6


def test_missing_files_and_bad_rows_raise_clear_errors(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"train_new\.tsv, dev_new\.tsv, test_new\.tsv") as error:
        load_sts_b_dir(0, data_dir=tmp_path, cache_dir=tmp_path)
    assert isinstance(error.value, FileNotFoundError)
    with pytest.raises(ConfigError, match="--data-dir"):
        load_sts_b_dir(0, cache_dir=tmp_path)
    bad = tmp_path / "bad.tsv"
    _write_split(bad, [("a", "b", 5.5)])
    with pytest.raises(LabelError, match=r"\[0.0, 5.0\]"):
        read_sts_b_split(bad)
    bad.write_text("sentence1\tscore\na\t1.0\n", encoding="utf-8")
    with pytest.raises(LabelError, match="sentence2"):
        read_sts_b_split(bad)
    with pytest.raises(ConfigError, match="'features' parameter"):
        load_sts_b_dir(0, data_dir=tmp_path, features="sum")
