"""The ``sts-b-dir`` data set: STS-B-DIR sentence pairs as frozen sentence-embedding features.

STS-B-DIR (Yang et al. 2021) is the DIR split of the GLUE Semantic Textual Similarity Benchmark:
5,249 training pairs with their natural, imbalanced similarity scores in [0, 5], and validation
and test splits of 1,000 pairs each, balanced at 50 pairs per 0.25-wide score bin. The papers
train a BiLSTM on GloVe vectors. By default dirkit embeds each sentence once with a frozen sentence
model (all-MiniLM-L6-v2) and trains the method's MLP on pair features, so its numbers measure the
methods on a cheaper backbone and are not comparable in absolute terms with the papers'.
``encoder="bilstm"`` gives the papers' regime instead: token ids of both sentences, encoded end to
end by :class:`~dirkit.nn.BiLSTMPairEncoder` over frozen pretrained token vectors (MiniLM's
384-d WordPiece embeddings stand in for GloVe's 300-d word vectors, which cannot be downloaded
here).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Literal

import numpy as np

from dirkit._registry import DATASETS
from dirkit._validation import Interval, OneOf, validate_params
from dirkit.datasets._base import DatasetSplits
from dirkit.datasets._sts_b_tokens import pair_token_inputs
from dirkit.datasets._text_embeddings import embed_sentences
from dirkit.exceptions import ConfigError, DataNotFoundError, LabelError

__all__ = ["STS_B_FILES", "load_sts_b_dir", "pair_features", "read_sts_b_split"]

#: The split files of the DIR authors' release, in the folder ``sts-b-dir/``.
STS_B_FILES: dict[str, str] = {"train": "train_new.tsv", "val": "dev_new.tsv", "test": "test_new.tsv"}

PairFeatures = Literal["pair", "diff", "concat"]
Encoder = Literal["frozen", "bilstm"]

_FOLDER = "sts-b-dir"
_COLUMNS = ("sentence1", "sentence2", "score")
_LABEL_RANGE = (0.0, 5.0)


def pair_features(u: np.ndarray, v: np.ndarray, kind: PairFeatures = "pair") -> np.ndarray:
    """Features of sentence pairs from the embeddings ``u`` and ``v`` of their two sentences.

    ``"pair"`` is ``[u, v, |u - v|, u * v]`` (the InferSent / Sentence-BERT pair encoding, 4 d),
    ``"diff"`` the symmetric part ``[|u - v|, u * v]`` (2 d, invariant to swapping the
    sentences), ``"concat"`` is ``[u, v]`` (2 d).

    Examples
    --------
    >>> u, v = np.array([[1.0, 2.0]]), np.array([[3.0, 0.5]])
    >>> pair_features(u, v).tolist()
    [[1.0, 2.0, 3.0, 0.5, 2.0, 1.5, 3.0, 1.0]]
    >>> pair_features(u, v, "diff").shape
    (1, 4)
    """
    if u.shape != v.shape:
        raise ConfigError(f"u and v must have the same shape; got {u.shape} and {v.shape}.")
    parts = {
        "pair": (u, v, np.abs(u - v), u * v),
        "diff": (np.abs(u - v), u * v),
        "concat": (u, v),
    }
    if kind not in parts:
        raise ConfigError(f"features must be one of {sorted(parts)}; got {kind!r}.")
    return np.concatenate(parts[kind], axis=1).astype(np.float32)


def read_sts_b_split(path: str | os.PathLike[str]) -> tuple[list[str], list[str], np.ndarray]:
    """Read one STS-B-DIR TSV file: the two sentences of each pair and its score.

    The file has a header with (at least) the columns ``sentence1``, ``sentence2`` and ``score``
    and is read with quoting disabled, as GLUE's STS-B sentences hold unbalanced quotes.

    Returns
    -------
    sentence1, sentence2 : list of str
    score : ndarray of shape (n,), float64
    """
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE))
    header = list(rows[0]) if rows else []
    absent = [c for c in _COLUMNS if c not in header]
    if absent:
        raise LabelError(f"{path} is not an STS-B file: it lacks the column(s) {absent} (header: {header}).")
    broken = [i + 2 for i, row in enumerate(rows) if None in row or any(row[c] is None for c in _COLUMNS)]
    if broken:
        raise LabelError(f"{path}: wrong number of tab-separated fields at lines {broken[:5]}.")
    try:
        scores = np.array([float(row["score"]) for row in rows])
    except ValueError as error:
        raise LabelError(f"{path}: a score is not a number ({error}).") from None
    outside = np.flatnonzero((scores < _LABEL_RANGE[0]) | (scores > _LABEL_RANGE[1]))
    if outside.size:
        raise LabelError(
            f"{path}: scores must lie in {list(_LABEL_RANGE)}; got {scores[outside[:5]].tolist()} "
            f"at lines {(outside[:5] + 2).tolist()}."
        )
    return [row["sentence1"] for row in rows], [row["sentence2"] for row in rows], scores


def _find_folder(data_dir: Path) -> Path:
    candidates = [data_dir / _FOLDER, data_dir]
    for folder in candidates:
        if all((folder / name).is_file() for name in STS_B_FILES.values()):
            return folder
    raise DataNotFoundError(
        f"STS-B-DIR files not found: expected {', '.join(STS_B_FILES.values())} in "
        f"{candidates[0]} or {candidates[1]}. They come from the DIR authors' release "
        "(github.com/YyzHarry/imbalanced-regression, sts-b-dir/glue_data/STS-B)."
    )


@DATASETS.register("sts-b-dir")
@validate_params(
    {
        "seed": [Interval(int, 0, None)],
        "data_dir": [str, os.PathLike, None],
        "model": [str],
        "cache_dir": [str, os.PathLike, None],
        "features": [OneOf(("pair", "diff", "concat"))],
        "progress": ["boolean", None],
        "encoder": [OneOf(("frozen", "bilstm"))],
        "max_tokens": [Interval(int, 1, None)],
    }
)
def load_sts_b_dir(
    seed: int = 0,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    model: str = "all-MiniLM-L6-v2",
    cache_dir: str | os.PathLike[str] | None = None,
    features: PairFeatures = "pair",
    progress: bool | None = None,
    encoder: Encoder = "frozen",
    max_tokens: int = 64,
) -> DatasetSplits:
    """Load STS-B-DIR with sentence-embedding pair features, or as token ids for a BiLSTM.

    Reads ``train_new.tsv`` (train), ``dev_new.tsv`` (validation) and ``test_new.tsv`` (test),
    embeds every distinct sentence with ``model`` (cached on disk, see
    :func:`~dirkit.datasets.embed_sentences`; the first load embeds 13,197 distinct sentences,
    2-3 minutes on one CPU thread, later loads none) and returns :func:`pair_features` of each pair.
    Labels are the similarity scores; bins are 0.1 wide over [0, 5], which gives the test split
    756 many-, 207 medium- and 37 few-shot pairs under the usual rule (many > 100, few < 20).

    With ``encoder="bilstm"`` nothing is embedded: each pair is the WordPiece ids of its two
    sentences (``x`` of shape (n, 2, length), see
    :func:`~dirkit.datasets._sts_b_tokens.pair_token_inputs`) and ``token_vectors`` holds the
    pretrained vectors of the tokens used, so the engine trains the papers' BiLSTM pair encoder
    end to end (CLI: ``--dataset-arg encoder=bilstm``). The substitution for the papers' GloVe
    840B 300-d vectors is all-MiniLM-L6-v2's 384-d token embeddings with its own tokenizer.

    Parameters
    ----------
    seed : int
        Ignored by the data: the split is the official one for every seed (accepted so the
        benchmark can pass it; the seed still changes the model's initialisation).
    data_dir : path
        The folder holding ``sts-b-dir/``, or ``sts-b-dir/`` itself.
    model : str
        Sentence-embedding model: the packaged ``"all-MiniLM-L6-v2"`` (offline), any
        sentence-transformers model name, or a saved model folder (see
        :func:`~dirkit.datasets.embed_sentences`); ``--dataset-arg model=NAME_OR_PATH``.
    cache_dir : path, optional
        Embedding cache root (default ``$XDG_CACHE_HOME/dirkit`` or ``~/.cache/dirkit``).
    features : {"pair", "diff", "concat"}
        Pair encoding: ``"pair"`` gives 1,536 features with the 384-d model.
    progress : bool, optional
        Progress bar while embedding (default: when stderr is a terminal).
    encoder : {"frozen", "bilstm"}
        ``"frozen"``: pair features of frozen sentence embeddings (an MLP is trained on them).
        ``"bilstm"``: token ids for the end-to-end BiLSTM pair encoder (``features`` and
        ``cache_dir`` are then unused; ``model`` names the tokenizer and token vectors).
    max_tokens : int
        With ``encoder="bilstm"``: WordPiece tokens kept per sentence.

    Returns
    -------
    DatasetSplits

    Raises
    ------
    DataNotFoundError
        When the three files are in neither place.
    """
    if data_dir is None:
        raise ConfigError(
            "sts-b-dir needs data_dir (the folder holding sts-b-dir/; CLI: --data-dir DIR or "
            "$DIRKIT_DATA_DIR)."
        )
    folder = _find_folder(Path(data_dir))
    splits = {split: read_sts_b_split(folder / name) for split, name in STS_B_FILES.items()}
    if encoder == "bilstm":
        return _token_splits(splits, seed=seed, model=model, max_tokens=max_tokens, folder=folder)
    sentences = [text for first, second, _ in splits.values() for text in (*first, *second)]
    unique = list(dict.fromkeys(sentences))
    vectors = embed_sentences(unique, model=model, cache_dir=cache_dir, progress=progress)
    row = {text: i for i, text in enumerate(unique)}

    def encode(first: list[str], second: list[str]) -> np.ndarray:
        u = vectors[[row[text] for text in first]]
        v = vectors[[row[text] for text in second]]
        return pair_features(u, v, features)

    x = {split: encode(first, second) for split, (first, second, _) in splits.items()}
    return _splits_of(
        x, splits, f"STS-B-DIR: {model} {features} features, similarity scores in [0, 5]",
        {"seed": seed, "model": model, "features": features, "folder": str(folder),
         "n_sentences": len(unique)},
    )


def _splits_of(
    x: dict[str, np.ndarray], splits: dict[str, tuple[list[str], list[str], np.ndarray]],
    description: str, info: dict[str, object], token_vectors: np.ndarray | None = None,
) -> DatasetSplits:
    """The :class:`DatasetSplits` of STS-B-DIR inputs ``x`` and the scores of ``splits``."""
    return DatasetSplits(
        name="sts-b-dir",
        x_train=x["train"],
        y_train=splits["train"][2],
        x_val=x["val"],
        y_val=splits["val"][2],
        x_test=x["test"],
        y_test=splits["test"][2],
        bin_width=0.1,
        label_range=_LABEL_RANGE,
        description=description,
        info=info,
        token_vectors=token_vectors,
    )


def _token_splits(
    splits: dict[str, tuple[list[str], list[str], np.ndarray]],
    *,
    seed: int,
    model: str,
    max_tokens: int,
    folder: Path,
) -> DatasetSplits:
    x, vectors, facts = pair_token_inputs(splits, model=model, max_tokens=max_tokens)
    return _splits_of(
        x, splits, f"STS-B-DIR: {model} WordPiece token ids for a BiLSTM, similarity scores in [0, 5]",
        {"seed": seed, "model": model, "encoder": "bilstm", "max_tokens": max_tokens,
         "folder": str(folder), **facts},
        token_vectors=vectors,
    )
