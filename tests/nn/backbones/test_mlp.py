"""MLP backbone: layout, options, registry, batch-norm batch-of-one error."""

from __future__ import annotations

import pytest
import torch

from dirkit._registry import BACKBONES
from dirkit._validation import invalid_value_for
from dirkit.exceptions import ConfigError, ShapeError
from dirkit.nn import MLP
from dirkit.testing import check_backbone


@pytest.mark.parametrize("norm", ["batch", "layer", None])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_contract(norm: str | None, activation: str) -> None:
    check_backbone(MLP(6, hidden=(8, 8), norm=norm, activation=activation, dropout=0.1), (6,))  # type: ignore[arg-type]


def test_layout_and_feature_dim() -> None:
    mlp = MLP(6, hidden=(8, 4), feature_dim=3, norm="layer", activation="tanh", dropout=0.5)
    kinds = [type(m).__name__ for m in mlp.layers]
    assert kinds == ["Linear", "LayerNorm", "Tanh", "Dropout"] * 2 + ["Linear"]
    assert mlp.feature_dim == 3
    assert MLP(6, hidden=(8, 4)).feature_dim == 4
    assert MLP(6, hidden=()).feature_dim == 6


def test_registered() -> None:
    assert BACKBONES.get("mlp") is MLP


def test_batch_of_one_in_training_gives_a_clear_error() -> None:
    mlp = MLP(6, hidden=(8,))
    with pytest.raises(ShapeError, match=r"batch of one.*drop_last=True"):
        mlp(torch.zeros(1, 6))
    assert mlp.eval()(torch.zeros(1, 6)).shape == (1, 8)
    assert MLP(6, hidden=(8,), norm="layer")(torch.zeros(1, 6)).shape == (1, 8)


def test_errors() -> None:
    with pytest.raises(ShapeError, match=r"\(N, 6\).*\(2, 5\)"):
        MLP(6)(torch.zeros(2, 5))
    with pytest.raises(ConfigError, match="'gelu', 'relu', 'silu', 'tanh'"):
        MLP(6, activation="elu")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="hidden"):
        MLP(6, hidden=(8, 0))


@pytest.mark.parametrize("name", sorted(MLP._parameter_constraints))
def test_each_constraint_rejects_an_invalid_value(name: str) -> None:
    kwargs: dict[str, object] = {"in_features": 6}
    kwargs[name] = invalid_value_for(MLP._parameter_constraints[name])
    with pytest.raises(ConfigError, match=f"'{name}' parameter of MLP"):
        MLP(**kwargs)  # type: ignore[arg-type]
