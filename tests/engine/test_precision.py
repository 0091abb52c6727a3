"""Devices and mixed precision: "auto", clear errors without CUDA, bf16 autocast on the CPU."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from dirkit.cli import main
from dirkit.datasets import make_synthetic
from dirkit.engine import TrainConfig, fit_method
from dirkit.engine import _fit as fit_module
from dirkit.engine._precision import Precision, precision_for, resolve_device
from dirkit.exceptions import ConfigError

pytestmark = pytest.mark.filterwarnings("ignore::dirkit.exceptions.DegenerateFitWarning")

DATA = make_synthetic(0, scale=0.05)
CONFIG = TrainConfig(epochs=2, hidden=(32,), feature_dim=16, batch_size=64)


def test_auto_is_the_cpu_without_cuda():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    fitted = fit_method(DATA, "vanilla", train_config=dataclasses.replace(CONFIG, device="auto"))
    assert next(fitted.model.parameters()).device.type == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="the error is for machines without CUDA")
def test_cuda_without_cuda_is_a_clear_error(capsys):
    with pytest.raises(ConfigError, match=r"no CUDA device is visible.*--device auto"):
        fit_method(DATA, "vanilla", train_config=dataclasses.replace(CONFIG, device="cuda"))
    assert main(["train", "--dataset", "synthetic", "--method", "vanilla", "--device", "cuda",
                 "--epochs", "1", "--no-progress"]) == 2
    assert "no CUDA device is visible" in capsys.readouterr().err


def test_unknown_devices_and_amp_types_are_refused():
    with pytest.raises(ConfigError, match="Unknown device 'gpu'"):
        resolve_device("gpu")
    with pytest.raises(ConfigError, match="amp_dtype must be"):
        precision_for(TrainConfig(amp=True, amp_dtype="fp8"), torch.device("cpu"))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="float16' needs a CUDA device"):
        fit_method(DATA, "vanilla", train_config=dataclasses.replace(CONFIG, amp=True, amp_dtype="float16"))


def test_amp_defaults_per_device():
    assert precision_for(TrainConfig(), torch.device("cpu")) is None
    cuda = torch.device("cuda")
    assert precision_for(TrainConfig(amp=True), cuda) == Precision("cuda", torch.float16, True)
    assert precision_for(TrainConfig(amp=True, amp_dtype="bfloat16"), cuda) == Precision(
        "cuda", torch.bfloat16, False)


@pytest.mark.parametrize("method", ["vanilla", "sqinv+lds+fds", "group-asym"])
def test_bf16_autocast_on_the_cpu_trains_in_bf16_and_predicts_in_float32(monkeypatch, method):
    dtypes: list[torch.dtype] = []
    original = fit_module.build_model

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        model = original(*args, **kwargs)
        model.backbone.register_forward_hook(lambda m, i, out: dtypes.append(out.dtype))
        return model

    monkeypatch.setattr(fit_module, "build_model", recording)
    amp = fit_method(DATA, method, train_config=dataclasses.replace(CONFIG, amp=True))
    assert torch.bfloat16 in dtypes  # the training steps
    dtypes.clear()
    prediction = amp.predict(DATA.x_test)
    assert set(dtypes) == {torch.float32} and np.isfinite(prediction).all()
    full = fit_method(DATA, method, train_config=CONFIG).predict(DATA.x_test)
    assert not np.array_equal(prediction, full)  # autocast changed the arithmetic
    assert np.abs(prediction - full).mean() < 0.5 * np.abs(full - DATA.y_test).mean()  # but not the fit


def test_a_gradient_scaler_trains_and_resumes_mid_run(tmp_path, monkeypatch, interrupt_at_epoch):

    scaled = Precision("cpu", torch.bfloat16, grad_scaler=True)  # the CUDA float16 path, on the CPU
    monkeypatch.setattr(fit_module, "precision_for", lambda config, device: scaled)
    config = dataclasses.replace(CONFIG, amp=True, epochs=3)
    straight = fit_method(DATA, "vanilla", train_config=config).predict(DATA.x_test)
    resume = interrupt_at_epoch(2)
    with pytest.raises(KeyboardInterrupt):
        fit_method(DATA, "vanilla", train_config=config, checkpoint_dir=tmp_path)
    state = torch.load(tmp_path / "stage0-main.pt", weights_only=True)
    assert state["epoch"] == 2 and state["scaler"]["scale"] > 0
    resume()
    resumed = fit_method(DATA, "vanilla", train_config=config, checkpoint_dir=tmp_path)
    np.testing.assert_array_equal(resumed.predict(DATA.x_test), straight)
