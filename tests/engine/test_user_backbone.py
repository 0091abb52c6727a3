"""A user's own backbone (module, factory or import path) trains every method at its own width."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import dirkit.methods  # noqa: F401  (registers the methods)
from dirkit._registry import METHODS
from dirkit.datasets import DatasetSplits, make_synthetic
from dirkit.engine import TrainConfig, UserBackbone, fit_method, import_backbone, run_experiment
from dirkit.estimator import DIRRegressor
from dirkit.exceptions import ConfigError, ShapeError

pytestmark = pytest.mark.filterwarnings("ignore::dirkit.exceptions.DegenerateFitWarning")  # 1 epoch

WIDTH = 12  # neither the MLP's default feature_dim nor any input width


def make_backbone(shape: tuple[int, ...]) -> nn.Module:
    return nn.Sequential(nn.Linear(shape[0], 24), nn.ReLU(), nn.Linear(24, WIDTH))


USER_MODULE = """
from torch import nn

def make(shape):
    return nn.Sequential(nn.Linear(shape[0], 24), nn.ReLU(), nn.Linear(24, 12))
"""


@pytest.fixture
def user_module(tmp_path, monkeypatch) -> str:
    """A user's module ``my_backbones`` on ``sys.path``, with a factory ``make``."""
    (tmp_path / "my_backbones.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(__import__("sys").modules, "my_backbones", raising=False)
    return "my_backbones"


class TupleOut(nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x, x


@pytest.fixture(scope="module")
def data() -> DatasetSplits:
    return make_synthetic(0, scale=0.05)


FAST = TrainConfig(epochs=1, batch_size=64)


@pytest.mark.parametrize("method", [*METHODS.names(), "sqinv+lds+fds"])
def test_every_method_trains_on_a_user_backbone_of_its_own_width(data, method):
    fitted = fit_method(data, method, train_config=FAST, backbone=make_backbone)
    assert isinstance(fitted.model.backbone, UserBackbone)
    assert fitted.model.backbone.feature_dim == WIDTH
    if fitted.model.fds is not None:
        assert fitted.model.fds.feature_dim == WIDTH
    prediction = fitted.predict(data.x_test)
    assert prediction.shape == data.y_test.shape and np.isfinite(prediction).all()


def test_a_module_instance_is_copied_and_recorded(data):
    net = make_backbone((data.x_train.shape[1],))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    result = run_experiment(data, "vanilla", train_config=FAST, backbone=net)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # left untrained
    assert result.config["backbone"]["kind"] == "module"
    assert result.config["backbone"]["parameters"] == sum(p.numel() for p in net.parameters())


def test_an_import_path_is_the_same_as_the_factory(data, user_module):
    factory = import_backbone(f"{user_module}:make")
    by_path = run_experiment(data, "vanilla", train_config=FAST, backbone=f"{user_module}:make")
    by_factory = run_experiment(data, "vanilla", train_config=FAST, backbone=factory)
    np.testing.assert_array_equal(by_path.predictions["test"], by_factory.predictions["test"])
    assert by_path.config["backbone"] == {"kind": "factory", "name": "my_backbones:make"}


def test_the_factory_follows_the_seed(data):
    one = fit_method(data, "vanilla", seed=1, train_config=FAST, backbone=make_backbone)
    two = fit_method(data, "vanilla", seed=2, train_config=FAST, backbone=make_backbone)
    assert not np.allclose(one.predict(data.x_test), two.predict(data.x_test))


def test_the_backbone_sees_standardised_inputs_unless_raw(data):
    seen: list[torch.Tensor] = []

    class Spy(nn.Linear):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(x.detach())
            return super().forward(x)

    fit_method(data, "vanilla", train_config=FAST, backbone=Spy(data.x_train.shape[1], 4))
    assert abs(float(seen[-1].mean())) < 1.0  # z-scores; the raw synthetic inputs are not
    seen.clear()
    raw = TrainConfig(epochs=1, batch_size=64, backbone_inputs="raw")
    fit_method(data, "vanilla", train_config=raw, backbone=Spy(data.x_train.shape[1], 4))
    first = torch.as_tensor(data.x_train[:2], dtype=torch.float32)
    torch.testing.assert_close(seen[0], first)  # the probe: the first two rows as stored


def test_the_estimator_takes_a_backbone():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = np.exp(x[:, 0])
    reg = DIRRegressor(epochs=2, backbone=lambda shape: nn.Linear(shape[0], 5), random_state=0).fit(x, y)
    assert reg.model_.backbone.feature_dim == 5
    assert reg.predict(x[:7]).shape == (7,)


@pytest.mark.parametrize(
    ("backbone", "error", "words"),
    [
        (nn.Identity(), None, None),
        (nn.Unflatten(1, (4, -1)), ShapeError, "shape (2, d)"),
        (TupleOut(), ShapeError, "returned a tuple"),
        (lambda shape: "not a module", ConfigError, "must return a torch.nn.Module"),
        (42, ConfigError, "must be a torch.nn.Module or a callable"),
        ("no_such_module_xyz:make", ConfigError, "Cannot import module 'no_such_module_xyz'"),
        ("dirkit.nn:nothing", ConfigError, "has no attribute 'nothing'"),
        ("dirkit.nn", ConfigError, "MODULE:CALLABLE"),
    ],
)
def test_bad_backbones_fail_with_a_clear_error(data, backbone, error, words):
    if error is None:  # the identity is a valid backbone: features are the inputs
        fitted = fit_method(data, "vanilla", train_config=FAST, backbone=backbone)
        assert fitted.model.backbone.feature_dim == data.x_train.shape[1]
        return
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        fit_method(data, "vanilla", train_config=FAST, backbone=backbone)


def test_a_declared_width_must_match(data):
    net = nn.Linear(data.x_train.shape[1], 6)
    net.feature_dim = 7  # type: ignore[assignment]
    with pytest.raises(ShapeError, match="declares feature_dim=7"):
        fit_method(data, "vanilla", train_config=FAST, backbone=net)


def test_a_user_cnn_trains_on_uint8_images_with_fds():
    rng = np.random.default_rng(0)
    y = {s: rng.uniform(0, 10, n) for s, n in (("train", 96), ("val", 32), ("test", 32))}
    x = {s: rng.integers(0, 255, size=(len(v), 3, 8, 8)).astype(np.uint8) for s, v in y.items()}
    data = DatasetSplits(name="images", x_train=x["train"], y_train=y["train"], x_val=x["val"],
                         y_val=y["val"], x_test=x["test"], y_test=y["test"], bin_width=1.0,
                         label_range=(0.0, 10.0))
    seen: list[torch.dtype] = []

    def cnn(shape: tuple[int, ...]) -> nn.Module:
        conv = nn.Conv2d(shape[0], 5, 3)
        conv.register_forward_pre_hook(lambda module, args: seen.append(args[0].dtype))
        return nn.Sequential(conv, nn.AdaptiveAvgPool2d(1), nn.Flatten())

    fitted = fit_method(data, "sqinv+lds+fds", train_config=TrainConfig(epochs=2, batch_size=32),
                        backbone=cnn)
    assert fitted.model.fds is not None and fitted.model.fds.feature_dim == 5
    assert set(seen) == {torch.float32}  # uint8 images arrive as standardised floats
    assert np.isfinite(fitted.predict(data.x_test)).all()
