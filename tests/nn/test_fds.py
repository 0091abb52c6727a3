"""FDS against naive loops written from the paper (eqs. 3-6) and methods-spec section 3."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F

from dirkit._validation import invalid_value_for
from dirkit.density import kernel_window
from dirkit.exceptions import ConfigError, LabelError, ShapeError
from dirkit.nn import FDS
from dirkit.nn._fds_stats import smoothing_matrix

D, B = 3, 7


def _epoch_data(seed: int, n: int = 60) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    bins = torch.randint(0, B - 1, (n,), generator=gen)  # the last bin stays empty
    bins[0] = 2  # bin 2 always has data
    bins[bins == 4] = 3  # bin 4 empty too ...
    if seed % 2:
        bins[1] = 4  # ... except in odd epochs, where it has exactly one sample
    features = torch.randn(n, D, generator=gen, dtype=torch.float64) * 2 + bins[:, None]
    return features, bins


class NaiveFDS:
    """Per-bin loops: moments, EMA with per-bin first update, reflect-padded smoothing."""

    def __init__(self, full: bool, momentum: float = 0.9, ks: int = 5, sigma: float = 2.0):
        self.full, self.m = full, momentum
        self.window = kernel_window("gaussian", ks, sigma, normalize="sum")
        self.mean = np.zeros((B, D))
        self.var = np.stack([np.eye(D)] * B) if full else np.ones((B, D))
        self.updates = np.zeros(B, dtype=int)
        self.smean, self.svar = self.mean.copy(), self.var.copy()

    def update(self, z: np.ndarray, bins: np.ndarray) -> None:
        for b in range(B):
            zb = z[bins == b]
            if len(zb) == 0:
                continue
            mu = zb.mean(axis=0)
            if len(zb) < 2:
                var = np.zeros_like(self.var[b])
            else:
                var = np.cov(zb, rowvar=False) if self.full else zb.var(axis=0, ddof=1)
            w = self.m if self.updates[b] else 0.0
            self.mean[b] = w * self.mean[b] + (1 - w) * mu
            self.var[b] = w * self.var[b] + (1 - w) * var
            self.updates[b] += 1
        self.smean, self.svar = self._smooth(self.mean), self._smooth(self.var)

    def _smooth(self, stats: np.ndarray) -> np.ndarray:
        h = len(self.window) // 2
        padded = np.pad(stats, [(h, h)] + [(0, 0)] * (stats.ndim - 1), mode="reflect")
        out = np.zeros_like(stats)
        for b in range(B):
            for k, w in enumerate(self.window):
                out[b] += w * padded[b + k]
        return out

    def calibrate(self, z: np.ndarray, bins: np.ndarray, clip: tuple[float, float]) -> np.ndarray:
        out = np.empty_like(z)
        for i, b in enumerate(bins):
            if self.full:  # eq. 6, eigenvalues of S floored at max(eps, lambda_max(S~) / hi)
                lam, vec = np.linalg.eigh(self.var[b])
                floor = max(1e-6, np.linalg.eigvalsh(self.svar[b]).max() / clip[1])
                cov = vec @ np.diag(np.maximum(lam, floor)) @ vec.T
                a = scipy.linalg.sqrtm(self.svar[b]) @ np.linalg.inv(scipy.linalg.sqrtm(cov))
                out[i] = a.real @ (z[i] - self.mean[b]) + self.smean[b]
            else:
                out[i] = reference_calibrate(z[i], self.mean[b], self.var[b], self.smean[b],
                                             self.svar[b], clip)
        return out


def reference_calibrate(z, m1, v1, m2, v2, clip, zero_variance="identity"):
    """One feature vector through the paper's diagonal formula, one dimension at a time.

    ``(z - m1) * sqrt(clip(v2 / v1)) + m2``; with ``"identity"``, as the reference code's
    ``calibrate_mean_var``: the whole vector unchanged when ``sum(v1) < 1e-10``, else each
    dimension with ``v1 == 0`` unchanged. ``"floor"``: ``v1`` floored at 1e-6.
    """
    out = np.array(z, dtype=np.float64)
    if zero_variance == "identity" and np.sum(v1) < 1e-10:
        return out
    for k in range(len(out)):
        if zero_variance == "identity" and v1[k] == 0:
            continue
        ratio = min(max(v2[k] / max(v1[k], 1e-6), clip[0]), clip[1])
        out[k] = (z[k] - m1[k]) * ratio**0.5 + m2[k]
    return out


def _run_epochs(fds: FDS, naive: NaiveFDS, n_epochs: int) -> None:
    for epoch in range(n_epochs):
        z, bins = _epoch_data(epoch)
        fds(z, bins)
        fds.update()
        naive.update(z.numpy(), bins.numpy())


@pytest.mark.parametrize("covariance", ["diag", "full"])
def test_statistics_match_naive_loops(covariance: str) -> None:
    fds = FDS(D, B, covariance=covariance).double()
    naive = NaiveFDS(full=covariance == "full")
    _run_epochs(fds, naive, 4)
    np.testing.assert_allclose(fds.running_mean.numpy(), naive.mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fds.running_var.numpy(), naive.var, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fds.smoothed_mean.numpy(), naive.smean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fds.smoothed_var.numpy(), naive.svar, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(fds.bin_updates.numpy(), naive.updates)
    assert fds.epoch == 4 and float(fds.count.sum()) == 0.0  # accumulators reset


@pytest.mark.parametrize("clip", [(0.2, 5.0), (1e-3, 1e3)])
@pytest.mark.parametrize("covariance", ["diag", "full"])
def test_calibration_matches_per_sample_formula(covariance: str, clip: tuple[float, float]) -> None:
    fds = FDS(D, B, covariance=covariance, clip=clip).double()
    naive = NaiveFDS(full=covariance == "full")
    _run_epochs(fds, naive, 3)
    z, bins = _epoch_data(11)  # bin 4 holds one sample in odd epochs: zero variance
    assert (bins == 4).sum() == 1 and float(fds.running_var[4].abs().max()) == 0.0
    if covariance == "full":  # a singular covariance: see the gain and zero-variance tests
        keep = bins != 4
        z, bins = z[keep], bins[keep]
    expected = naive.calibrate(z.numpy(), bins.numpy(), clip=clip)
    np.testing.assert_allclose(fds(z, bins).detach().numpy(), expected, rtol=1e-8, atol=1e-10)


def test_smoothing_matrix_equals_reflect_padded_convolution() -> None:
    window = kernel_window("gaussian", 5, 2.0, normalize="sum")
    stats = torch.randn(9, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    padded = F.pad(stats.T.unsqueeze(1), (2, 2), mode="reflect")  # as the reference smooths
    conv = F.conv1d(padded, torch.from_numpy(window).view(1, 1, -1)).squeeze(1).T
    torch.testing.assert_close(smoothing_matrix(window, 9) @ stats, conv)
    for n_bins in (1, 2, 3):  # fewer bins than the half-window: repeated reflection like np.pad
        values = np.arange(1.0, n_bins + 1)
        padded_np = np.pad(values, 2, mode="reflect") if n_bins > 1 else np.ones(5)
        naive = [sum(w * padded_np[b + k] for k, w in enumerate(window)) for b in range(n_bins)]
        np.testing.assert_allclose(smoothing_matrix(window, n_bins).numpy() @ values, naive)


def test_identity_in_eval_and_before_start_smooth_but_collects() -> None:
    fds = FDS(D, B, start_smooth=2)
    z, bins = _epoch_data(0)
    z = z.float()
    assert fds(z, bins) is z  # epoch 0 < start_smooth: identity, but statistics are collected
    assert float(fds.count.sum()) == len(z)
    fds.update()
    assert fds(z, bins) is z  # epoch 1 < start_smooth
    fds.update()
    assert not torch.equal(fds(z, bins), z)
    fds.eval()
    assert fds(z) is z and fds(z, bins) is z


def test_no_in_place_writes_and_gradient_is_the_per_bin_scale() -> None:
    fds = FDS(D, B, start_smooth=0).double()
    naive = NaiveFDS(full=False)
    _run_epochs(fds, naive, 2)
    z, bins = _epoch_data(5)
    z.requires_grad_(True)
    version = z._version
    out = fds(z, bins)
    out.sum().backward()
    assert z._version == version
    scale = np.sqrt(np.clip(naive.svar / np.maximum(naive.var, 1e-6), 0.1, 10.0))
    scale[naive.var == 0] = 1.0  # zero-variance dimensions pass through unchanged
    assert (naive.var[4] == 0).all() and (bins == 4).any()
    np.testing.assert_allclose(z.grad.numpy(), scale[bins.numpy()], rtol=1e-10)


def test_extra_pass_mode_collects_only_through_collect() -> None:
    forward_mode, extra = FDS(D, B).double(), FDS(D, B, collect="extra-pass").double()
    z, bins = _epoch_data(3)
    forward_mode(z, bins)
    assert extra(z, bins) is z and float(extra.count.sum()) == 0.0
    extra.collect(z, bins)
    forward_mode.update()
    extra.update()
    torch.testing.assert_close(extra.running_var, forward_mode.running_var)
    torch.testing.assert_close(extra.smoothed_mean, forward_mode.smoothed_mean)


def test_start_update_discards_earlier_epochs_and_empty_bins_keep_stats() -> None:
    fds = FDS(D, B, start_update=1).double()
    z, bins = _epoch_data(0)
    fds(z, bins)
    fds.update()
    assert int(fds.bin_updates.sum()) == 0 and torch.equal(fds.running_var, torch.ones(B, D).double())
    fds(z, bins)
    fds.update()
    before = fds.running_mean.clone()
    only_bin_0 = torch.zeros(5, dtype=torch.long)
    fds(torch.randn(5, D, generator=torch.Generator().manual_seed(0)).double(), only_bin_0)
    fds.update()
    torch.testing.assert_close(fds.running_mean[1:], before[1:])
    assert not torch.equal(fds.running_mean[0], before[0])


def test_explicit_epoch_argument_overrides_the_counter() -> None:
    fds = FDS(D, B, start_smooth=3)
    z, bins = _epoch_data(0)
    z = z.float()
    fds(z, bins)
    fds.update()
    assert fds(z, bins, epoch=2) is z
    assert fds(z, bins, epoch=3) is not z
    fds.update(epoch=7)
    assert fds.epoch == 8


class _HalfBinner:
    def transform(self, y: np.ndarray) -> np.ndarray:
        return np.clip(np.floor(y), 0, B - 1).astype(np.int64)


def test_binner_takes_float_labels() -> None:
    with_binner, plain = FDS(D, B, binner=_HalfBinner()), FDS(D, B)
    z, bins = _epoch_data(2)
    z = z.float()
    with_binner(z, bins.double() + 0.5)
    plain(z, bins)
    torch.testing.assert_close(with_binner.state_dict()["sum"], plain.state_dict()["sum"])
    assert float(plain.state_dict()["sum"].abs().sum()) > 0
    with pytest.raises(LabelError, match="binner"):
        plain(z, bins.float())


def test_binner_from_dirkit_labels() -> None:
    from dirkit.labels import UniformBinner

    y = torch.linspace(0.0, 10.0, 60, dtype=torch.float64)
    binner = UniformBinner(n_bins=B).fit(y.numpy())
    fds, plain = FDS(D, binner.n_bins_, binner=binner), FDS(D, B)
    z = torch.randn(60, D, generator=torch.Generator().manual_seed(0))
    fds(z, y)
    plain(z, torch.as_tensor(binner.transform(y.numpy())))
    torch.testing.assert_close(fds.count, plain.count)


def test_errors_name_shapes_values_and_options() -> None:
    fds = FDS(D, B)
    z, bins = _epoch_data(0)
    with pytest.raises(ShapeError, match=r"\(N, 3\).*\(60, 4\)"):
        fds(torch.zeros(60, 4), bins)
    with pytest.raises(ShapeError, match=r"\(60,\).*\(59,\)"):
        fds(z.float(), bins[:59])
    with pytest.raises(LabelError, match=r"\[0, 6\].*\[9\]"):
        fds(z.float(), torch.full((60,), 9))
    with pytest.raises(ConfigError, match="bin ids"):
        fds(z.float())
    with pytest.raises(ConfigError, match="'gaussian', 'triangular', 'laplace'"):
        FDS(D, B, kernel="box")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="clip"):
        FDS(D, B, clip=(2.0, 1.0))


@pytest.mark.parametrize("name", sorted(FDS._parameter_constraints))
def test_each_constraint_rejects_an_invalid_value(name: str) -> None:
    kwargs = {"feature_dim": D, "n_bins": B}
    kwargs[name] = invalid_value_for(FDS._parameter_constraints[name])  # type: ignore[assignment]
    with pytest.raises(ConfigError, match=f"'{name}' parameter of FDS"):
        FDS(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("covariance", ["diag", "full"])
def test_state_dict_round_trip_restores_epoch_and_calibration(covariance: str) -> None:
    fds = FDS(D, B, covariance=covariance)
    for epoch in range(2):
        z, bins = _epoch_data(epoch)
        fds(z.float(), bins)
        fds.update()
    restored = FDS(D, B, covariance=covariance)
    restored.load_state_dict(fds.state_dict())
    z, bins = _epoch_data(9)
    assert restored.epoch == 2
    torch.testing.assert_close(restored(z.float(), bins), fds(z.float(), bins))


def test_full_covariance_gain_is_bounded_for_singular_bins() -> None:
    fds = FDS(4, 3, covariance="full", clip=(0.1, 10.0), start_smooth=0)
    z = torch.randn(9, 4, generator=torch.Generator().manual_seed(0))
    bins = torch.tensor([0, 1, 1, 2, 2, 2, 2, 2, 2])  # bin 0: one sample -> zero covariance
    fds(z, bins)
    fds.update()
    gains = torch.linalg.matrix_norm(fds.calibration.double(), ord=2)
    assert torch.all(gains <= np.sqrt(10.0) * (1 + 1e-6))
    assert torch.isfinite(fds(z, bins)).all()


@pytest.mark.parametrize("overwritten", ["counts", "flushed sums"])
def test_overwritten_sums_raise_and_discard_the_epoch(overwritten: str) -> None:
    fds, rank_0 = FDS(D, B), FDS(D, B)
    z, bins = _epoch_data(0)
    fds(z.float(), bins)
    rank_0(z.float()[::2], bins[::2])
    if overwritten == "counts":  # what DistributedDataParallel's default buffer broadcast does
        for name in ("count", "sum", "sum_sq"):
            getattr(fds, name).copy_(getattr(rank_0, name))
    else:  # sums written after the rows were added (state_dict() adds the pending rows)
        fds.state_dict()
        fds.sum_sq.mul_(2.0)
    with pytest.raises(ConfigError, match="forward_sync_buffers=False"):
        fds.update()
    assert float(fds.count.sum()) == 0.0 and int(fds.bin_updates.sum()) == 0 and fds.epoch == 0
    fds(z.float(), bins)
    fds.update()  # the next epoch starts clean
    assert fds.epoch == 1


def test_no_false_alarm_after_mid_epoch_load_or_cast() -> None:
    z, bins = _epoch_data(0)
    fds = FDS(D, B, covariance="full")
    fds(z.float(), bins)
    restored = FDS(D, B, covariance="full")
    restored.load_state_dict(fds.state_dict())  # a checkpoint taken mid-epoch
    restored(z.float(), bins)
    restored.update()
    fds(z.float(), bins)
    fds.float().update()  # float64 sums cast to float32 still pass the check
    torch.testing.assert_close(restored.running_mean, fds.running_mean)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("covariance", ["diag", "full"])
def test_cuda_matches_cpu(covariance: str) -> None:
    cpu = FDS(D, B, covariance=covariance).double()
    gpu = FDS(D, B, covariance=covariance).double().cuda()
    for epoch in range(3):
        z, bins = _epoch_data(epoch)
        cpu(z, bins)
        gpu(z.cuda(), bins.cuda())
        cpu.update()
        gpu.update()  # also checks the rank-local record follows the device (no false alarm)
    z, bins = _epoch_data(9)
    torch.testing.assert_close(gpu(z.cuda(), bins.cuda()).cpu(), cpu(z, bins))


def _one_sample_bin_fds(**kwargs) -> tuple[FDS, torch.Tensor, torch.Tensor]:
    """Bin 0 holds one sample (zero variance); bins 1-2 many; bin 1's dimension 0 is constant."""
    gen = torch.Generator().manual_seed(3)
    z = torch.randn(13, 4, generator=gen, dtype=torch.float64) + 2.0
    bins = torch.tensor([0] + [1] * 6 + [2] * 6)
    z[1:7, 0] = 0.5
    fds = FDS(4, 3, start_smooth=0, clip=(0.1, 10.0), **kwargs).double()
    fds(z, bins)
    fds.update()
    return fds, z, bins


def test_zero_variance_dimensions_are_left_unchanged_as_the_reference_does() -> None:
    fds, z, bins = _one_sample_bin_fds()
    assert float(fds.running_var[0].abs().max()) == 0.0 and float(fds.running_var[1, 0]) == 0.0
    out = fds(z, bins)
    expected = np.stack([
        reference_calibrate(z[i].numpy(), fds.running_mean[b].numpy(), fds.running_var[b].numpy(),
                            fds.smoothed_mean[b].numpy(), fds.smoothed_var[b].numpy(), fds.clip)
        for i, b in enumerate(bins.tolist())
    ])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(out[0], z[0])  # the single-sample bin: unchanged
    torch.testing.assert_close(out[1:7, 0], z[1:7, 0])  # a constant dimension: unchanged
    assert not torch.allclose(out[1:7, 1:], z[1:7, 1:])  # the bin's other dimensions move
    assert torch.isfinite(out).all()


def test_the_floor_option_keeps_the_largest_gain_for_zero_variance() -> None:
    fds, z, bins = _one_sample_bin_fds(zero_variance="floor")
    out = fds(z, bins)
    expected = np.stack([
        reference_calibrate(z[i].numpy(), fds.running_mean[b].numpy(), fds.running_var[b].numpy(),
                            fds.smoothed_mean[b].numpy(), fds.smoothed_var[b].numpy(), fds.clip,
                            zero_variance="floor")
        for i, b in enumerate(bins.tolist())
    ])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
    z.requires_grad_(True)
    fds(z, bins)[0].sum().backward()  # the single sample: gain sqrt(hi) in every dimension
    np.testing.assert_allclose(z.grad[0].numpy(), np.full(4, np.sqrt(10.0)), rtol=1e-12)


def test_full_covariance_leaves_a_zero_covariance_bin_unchanged_unless_floored() -> None:
    identity, z, bins = _one_sample_bin_fds(covariance="full")
    floored, _, _ = _one_sample_bin_fds(covariance="full", zero_variance="floor")
    torch.testing.assert_close(identity(z, bins)[0], z[0])
    assert not torch.allclose(floored(z, bins)[0], z[0])
    torch.testing.assert_close(identity(z, bins)[1:], floored(z, bins)[1:])
