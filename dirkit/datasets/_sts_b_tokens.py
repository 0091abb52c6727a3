"""STS-B-DIR pairs as WordPiece token ids with pretrained token vectors, for an end-to-end encoder.

This is the input of the papers' regime (Yang et al. 2021): each pair becomes the token ids of its
two sentences, and the encoder (:class:`~dirkit.nn.BiLSTMPairEncoder`) embeds them with frozen
pretrained word vectors. GloVe 840B (300-d) cannot be downloaded here, so the vectors are the
WordPiece input embeddings of all-MiniLM-L6-v2 (384-d, see :mod:`dirkit.datasets._wordpiece`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from dirkit.datasets._wordpiece import compact_vocabulary, load_token_vectors, tokenize

__all__ = ["pair_token_inputs"]

Split = tuple[list[str], list[str], np.ndarray]


def pair_token_inputs(
    splits: Mapping[str, Split], *, model: str = "all-MiniLM-L6-v2", max_tokens: int = 64
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, object]]:
    """Token-id inputs of sentence pairs and the vectors of the tokens they use.

    Every distinct sentence of every split is tokenised once; the ids are renumbered to the
    tokens that occur (:func:`~dirkit.datasets._wordpiece.compact_vocabulary`), as the papers'
    vocabulary is built from all three splits. With frozen vectors nothing about validation or
    test labels enters the model.

    Parameters
    ----------
    splits : mapping of str to (sentence1, sentence2, score)
    model : str
        Packaged model whose tokenizer and token embeddings are used.
    max_tokens : int
        Longer sentences are cut to their first ``max_tokens`` pieces (64 cuts 1 of the 13,197
        STS-B-DIR sentences; the longest has 68).

    Returns
    -------
    inputs : dict of str to ndarray of shape (n, 2, length), float32
        Per split, the padded ids of both sentences (0 pads). Ids are stored as float32, the
        dtype of dirkit's input tables; they are exact integers (the vocabulary is far below
        2**24) and the encoder casts them back.
    vectors : ndarray of shape (n_tokens + 1, dim), float32
        Row 0 pads (zeros).
    info : dict
        ``vocabulary`` (tokens used), ``length`` (padded length) and ``truncated`` (sentences cut).
    """
    sentences = list(dict.fromkeys(t for first, second, _ in splits.values() for t in (*first, *second)))
    pieces = tokenize(sentences, model=model, max_tokens=max_tokens + 1)
    truncated = sum(len(p) > max_tokens for p in pieces)
    ids, vectors = compact_vocabulary([p[:max_tokens] for p in pieces], load_token_vectors(model))
    row = {text: i for i, text in enumerate(sentences)}

    def pair_ids(first: list[str], second: list[str]) -> np.ndarray:
        both = [ids[[row[t] for t in first]], ids[[row[t] for t in second]]]
        return np.stack(both, axis=1).astype(np.float32)

    inputs = {split: pair_ids(first, second) for split, (first, second, _) in splits.items()}
    info: dict[str, object] = {"vocabulary": len(vectors) - 1, "length": ids.shape[1], "truncated": truncated}
    return inputs, vectors, info
