"""VIR's probabilistic smoothing against per-bin loops of the release's formulas (prm.py, utils.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dirkit.density import kernel_window
from dirkit.exceptions import ConfigError
from dirkit.nn import ProbabilisticSmoothing

K, B = 3, 6


def _epoch(seed: int, n: int = 50) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    bins = torch.randint(0, B - 1, (n,), generator=gen)  # the last bin stays empty
    bins[0] = 1
    bins[bins == 3] = 2
    bins[1] = 3  # bin 3 has exactly one sample
    mu = torch.randn(n, K, generator=gen, dtype=torch.float64) + bins[:, None]
    var = torch.rand(n, K, generator=gen, dtype=torch.float64) + 0.1
    return mu, var, bins


def _reflect_smooth(table: np.ndarray, window: np.ndarray) -> np.ndarray:
    h = len(window) // 2
    padded = np.pad(table, [(h, h), (0, 0)], mode="reflect")
    return np.stack([(window[:, None] * padded[b : b + len(window)]).sum(axis=0) for b in range(len(table))])


class NaiveVIR:
    """Loops over bins: statistics of statistics, EMA with a first update, k / k^2 smoothing."""

    def __init__(self, momentum: float = 0.9):
        self.m, self.window = momentum, kernel_window("gaussian", 5, 2.0, normalize="sum")
        self.stats = {name: np.zeros((B, K)) for name in ("mean_mu", "mean_var", "var_mu")}
        self.updates = np.zeros(B, dtype=int)

    def update(self, mu: np.ndarray, var: np.ndarray, bins: np.ndarray) -> None:
        for b in range(B):
            rows = bins == b
            n = int(rows.sum())
            if n == 0:
                continue
            mean_mu = mu[rows].mean(axis=0)
            mean_var = var[rows].sum(axis=0) / n**2
            var_mu = (var[rows] - mean_var + mu[rows] ** 2 - mean_mu**2).sum(axis=0) / n  # the release
            w = self.m if self.updates[b] else 0.0
            for name, value in (("mean_mu", mean_mu), ("mean_var", mean_var), ("var_mu", var_mu)):
                self.stats[name][b] = w * self.stats[name][b] + (1 - w) * value
            self.updates[b] += 1
        self.smoothed = {name: _reflect_smooth(table, self.window**2 if name == "mean_var" else self.window)
                         for name, table in self.stats.items()}

    def calibrate(self, mu: np.ndarray, var: np.ndarray, bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu, var = mu.copy(), var.copy()
        for i, b in enumerate(bins):
            if not self.updates[b]:
                continue
            ratio = self.smoothed["var_mu"][b] / np.maximum(self.stats["var_mu"][b], 1e-6)
            gain = np.sqrt(np.clip(ratio, 0.1, 10.0))
            mu[i] = (mu[i] - self.stats["mean_mu"][b]) * gain + self.smoothed["mean_mu"][b]
            var[i] = (var[i] + self.stats["mean_var"][b]) * gain + self.smoothed["mean_var"][b]
        return mu, var


def test_two_epochs_match_the_per_bin_loop():
    layer, naive = ProbabilisticSmoothing(K, B).double().train(), NaiveVIR()
    for epoch in range(2):
        mu, var, bins = _epoch(epoch)
        out_mu, out_var = layer(mu, var, bins, epoch=epoch)
        if epoch == 0:  # before start_smooth: unchanged
            assert out_mu is mu and out_var is var
        else:
            expected_mu, expected_var = naive.calibrate(mu.numpy(), var.numpy(), bins.numpy())
            np.testing.assert_allclose(out_mu.numpy(), expected_mu, rtol=1e-6)
            np.testing.assert_allclose(out_var.numpy(), expected_var, rtol=1e-6)
            assert bool((out_var > 0).all())
        layer.update(epoch)
        naive.update(mu.numpy(), var.numpy(), bins.numpy())
        for name in ("mean_mu", "mean_var", "var_mu"):
            for prefix, expected in (("running", naive.stats[name]), ("smoothed", naive.smoothed[name])):
                table = getattr(layer, f"{prefix}_{name}").numpy()
                np.testing.assert_allclose(table, expected, rtol=1e-6, atol=1e-12)
    assert layer.epoch == 2 and layer.bin_updates.tolist() == [2, 2, 2, 2, 2, 0]


def test_calibration_gets_gradients_and_is_the_identity_in_eval_and_without_bins():
    layer = ProbabilisticSmoothing(K, B).train()
    mu, var, bins = (t.float() if t.is_floating_point() else t for t in _epoch(0))
    layer(mu, var, bins)
    layer.update()
    leaf = mu.clone().requires_grad_(True)
    calibrated, _ = layer(leaf, var, bins)
    calibrated.sum().backward()
    assert leaf.grad is not None and bool((leaf.grad > 0).all())
    assert layer(mu, var)[0] is mu  # no bins: the plain encoder
    layer.eval()
    assert layer(mu, var, bins)[0] is mu


def test_state_dict_round_trip_keeps_the_epoch_and_bad_clips_are_refused():
    layer = ProbabilisticSmoothing(K, B)
    mu, var, bins = (t.float() if t.is_floating_point() else t for t in _epoch(0))
    layer(mu, var, bins)
    layer.update()
    copy = ProbabilisticSmoothing(K, B)
    copy.load_state_dict(layer.state_dict())
    assert copy.epoch == 1 and torch.equal(copy.smoothed_mean_mu, layer.smoothed_mean_mu)
    with pytest.raises(ConfigError, match="'clip' parameter of ProbabilisticSmoothing"):
        ProbabilisticSmoothing(K, B, clip=(2.0, 1.0))
