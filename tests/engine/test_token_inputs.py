"""Token-id data sets train the BiLSTM pair encoder end to end, under every method that reads features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dirkit._registry import METHODS
from dirkit.datasets import DatasetSplits
from dirkit.engine import TrainConfig, fit_method
from dirkit.exceptions import ConfigError
from dirkit.nn import FDS, BiLSTMPairEncoder

TINY = TrainConfig(epochs=2, batch_size=32, lr=3e-3, lstm_hidden=4)
RESAMPLERS = ("smoter", "smogn")


def token_pairs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of 2-5 token sentences over 9 tokens; the label grows with the tokens they share."""
    x = np.zeros((n, 2, 5), dtype=np.float32)
    y = np.zeros(n)
    for i in range(n):
        first = rng.choice(np.arange(1, 10), size=rng.integers(2, 6), replace=False)
        keep = first[: rng.integers(0, len(first) + 1)]
        second = np.concatenate([keep, rng.choice(np.arange(1, 10), size=max(1, 5 - len(keep) - 2))])[:5]
        x[i, 0, : len(first)], x[i, 1, : len(second)] = first, second
        y[i] = 5.0 * len(keep) / len(first)
    return x, y


def token_data(seed: int = 0) -> DatasetSplits:
    rng = np.random.default_rng(seed)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (token_pairs(n, rng) for n in (96, 40, 40))
    vectors = rng.normal(size=(10, 6)).astype(np.float32)
    vectors[0] = 0.0
    return DatasetSplits(name="tokens", x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val,
                         x_test=x_test, y_test=y_test, bin_width=0.5, label_range=(0.0, 5.0),
                         token_vectors=vectors)


DATA = token_data()


@pytest.mark.parametrize("method", [m for m in METHODS if m not in RESAMPLERS])
def test_every_method_trains_on_the_bilstm_features(method: str) -> None:
    fitted = fit_method(DATA, method, seed=0, train_config=TINY)
    assert isinstance(fitted.model.backbone, BiLSTMPairEncoder)
    predictions = fitted.predict(DATA.x_test)
    assert predictions.shape == (40,) and np.isfinite(predictions).all()
    np.testing.assert_array_equal(fitted.model.backbone.vectors.numpy(), DATA.token_vectors)  # frozen


def test_fds_reads_the_pair_features_and_the_encoder_learns() -> None:
    fitted = fit_method(DATA, "fds", seed=0, train_config=TrainConfig(epochs=1, batch_size=32, lstm_hidden=5))
    fds = fitted.model.fds
    assert isinstance(fds, FDS) and fds.feature_dim == 40 == fitted.model.backbone.feature_dim
    before = fit_method(DATA, "vanilla", seed=0, train_config=TrainConfig(epochs=1, lr=1e-6, lstm_hidden=8))
    after = fit_method(DATA, "vanilla", seed=0, train_config=TrainConfig(epochs=40, lr=1e-2, lstm_hidden=8))
    mae = [float(np.abs(f.predict(DATA.x_train) - DATA.y_train).mean()) for f in (before, after)]
    assert mae[1] < 0.7 * mae[0]


def test_fine_tuned_vectors_move() -> None:
    config = TrainConfig(epochs=2, batch_size=32, lr=1e-2, lstm_hidden=4, train_embeddings=True)
    vectors = fit_method(DATA, "vanilla", seed=0, train_config=config).model.backbone.vectors
    assert isinstance(vectors, torch.nn.Parameter)
    assert not np.allclose(vectors.detach().numpy()[1:], DATA.token_vectors[1:])


@pytest.mark.parametrize("method", RESAMPLERS)
def test_resampling_refuses_token_inputs(method: str) -> None:
    with pytest.raises(TypeError, match="vector inputs"):
        fit_method(DATA, method, seed=0, train_config=TINY)


def test_backbone_choice_must_fit_token_inputs() -> None:
    with pytest.raises(ConfigError, match="cannot read token ids"):
        fit_method(DATA, "vanilla", train_config=TrainConfig(epochs=1, backbone="mlp"))
    vectors = DatasetSplits(name="v", x_train=np.zeros((8, 3)), y_train=np.linspace(0, 5, 8),
                            x_val=np.zeros((2, 3)), y_val=[1.0, 2.0], x_test=np.zeros((2, 3)),
                            y_test=[1.0, 2.0], bin_width=1.0, label_range=(0.0, 5.0))
    with pytest.raises(ConfigError, match="encoder=bilstm"):
        fit_method(vectors, "vanilla", train_config=TrainConfig(epochs=1, backbone="bilstm"))


def test_a_bilstm_model_file_predicts_identically(tmp_path):
    from dirkit.engine import load_model

    fitted = fit_method(DATA, "sqinv+lds+fds", train_config=TINY)
    loaded = load_model(fitted.save(tmp_path / "bilstm.pt"))
    assert isinstance(loaded.model.backbone, BiLSTMPairEncoder)
    np.testing.assert_array_equal(loaded.predict(DATA.x_test), fitted.predict(DATA.x_test))
