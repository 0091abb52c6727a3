"""BiLSTM pair encoder: pooling over real steps only, pair features, frozen vectors, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dirkit._registry import BACKBONES
from dirkit._validation import invalid_value_for
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.nn import BiLSTMPairEncoder

VECTORS = np.random.default_rng(0).normal(size=(12, 5)).astype(np.float32)
VECTORS[0] = 0.0
PAIRS = torch.tensor([[[1, 2, 3, 0], [4, 5, 0, 0]], [[6, 0, 0, 0], [7, 8, 9, 10]]], dtype=torch.float32)


def encoder(**kwargs: object) -> BiLSTMPairEncoder:
    torch.manual_seed(0)
    return BiLSTMPairEncoder(VECTORS, hidden=3, **kwargs)  # type: ignore[arg-type]


def test_features_are_the_pair_encoding_of_max_pooled_states_of_each_unpadded_sentence() -> None:
    net = encoder().eval()
    features = net(PAIRS)
    assert net.feature_dim == 24 and features.shape == (2, 24)
    with torch.no_grad():
        for row, pair in enumerate(PAIRS.long()):
            pooled = []
            for ids in pair:  # each sentence alone, without any padding step
                words = torch.as_tensor(VECTORS)[ids[ids > 0]][None]
                pooled.append(net.lstm(words)[0][0].max(dim=0).values)
            u, v = pooled
            expected = torch.cat([u, v, (u - v).abs(), u * v])
            torch.testing.assert_close(features[row], expected, rtol=1e-5, atol=1e-6)


def test_padding_length_chunking_and_dtype_of_the_ids_do_not_change_the_features() -> None:
    net = encoder(chunk=1).eval()
    wider = torch.cat([PAIRS, torch.zeros(2, 2, 3)], dim=2)
    torch.testing.assert_close(net(wider), net(PAIRS))
    torch.testing.assert_close(net(PAIRS.long()), encoder(chunk=64).eval()(PAIRS))


def test_swapping_the_sentences_swaps_u_and_v_only() -> None:
    net = encoder().eval()
    straight, swapped = net(PAIRS), net(PAIRS.flip(1))
    torch.testing.assert_close(swapped[:, :6], straight[:, 6:12])
    torch.testing.assert_close(swapped[:, 12:], straight[:, 12:])


def test_vectors_stay_frozen_unless_asked() -> None:
    frozen = encoder()
    assert "vectors" not in dict(frozen.named_parameters())  # a buffer, not a parameter
    for p in frozen.parameters():
        p.requires_grad_(True)  # what a training stage does to every parameter
    frozen(PAIRS).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in frozen.parameters())
    np.testing.assert_array_equal(frozen.vectors.numpy(), VECTORS)
    assert "vectors" in frozen.state_dict()

    tuned = encoder(train_embeddings=True)
    assert "vectors" in dict(tuned.named_parameters())
    tuned(PAIRS).sum().backward()
    grad = tuned.vectors.grad
    assert grad is not None
    assert grad[1:11].abs().sum(dim=1).min() > 0  # every used token
    assert grad[0].abs().sum() == 0 and grad[11].abs().sum() == 0  # padding and an unused token


def test_dropout_acts_in_training_only() -> None:
    net = encoder(dropout=0.5)
    assert not torch.equal(net.train()(PAIRS), net(PAIRS))
    torch.testing.assert_close(net.eval()(PAIRS), net(PAIRS))


def test_registered_and_empty_input() -> None:
    assert BACKBONES.get("bilstm") is BiLSTMPairEncoder
    assert encoder()(torch.zeros(0, 2, 4)).shape == (0, 24)


def test_errors_name_the_shape_or_values() -> None:
    net = encoder()
    with pytest.raises(ShapeError, match=r"\(N, 2, length\); got \(2, 4\)"):
        net(PAIRS[:, 0])
    with pytest.raises(ShapeError, match=r"\[0, 11\]; got 0\.\.12"):
        net(torch.full((1, 2, 3), 12.0) * torch.tensor([1.0, 0.0, 0.0]))
    with pytest.raises(ShapeError, match="all-padding"):
        net(torch.tensor([[[1.0, 2.0], [0.0, 0.0]]]))
    with pytest.raises(ConfigError, match=r"token_vectors must be a matrix .* got shape \(5,\)"):
        BiLSTMPairEncoder(VECTORS[0])


@pytest.mark.parametrize("name", sorted(BiLSTMPairEncoder._parameter_constraints))
def test_each_constraint_rejects_an_invalid_value(name: str) -> None:
    kwargs: dict[str, object] = {name: invalid_value_for(BiLSTMPairEncoder._parameter_constraints[name])}
    with pytest.raises(ConfigError, match=f"'{name}' parameter of BiLSTMPairEncoder"):
        BiLSTMPairEncoder(VECTORS, **kwargs)  # type: ignore[arg-type]
