"""FDS's per-epoch tables, per-bin products and deferred sums against the formulations they replace."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import dirkit.nn._fds_pending as pending_module
from dirkit.exceptions import LabelError
from dirkit.nn import FDS
from dirkit.nn._fds_calibration import (
    _PerBinProduct,
    calibrate_diag,
    calibrate_diag_table,
    calibrate_full,
    calibrate_full_table,
    diag_table,
    full_table,
    per_bin_product,
)
from dirkit.nn._fds_stats import accumulate_outer_products, bin_segments

TOLERANCE = {torch.float32: 1e-6, torch.float64: 1e-12}
N, D, B = 200, 16, 12


def _previous_calibrate_full(features, bins, mean, smoothed_mean, matrices):
    """``calibrate_full`` before: split by bin, one autograd product per part, concatenate."""
    centred = features - mean[bins]
    order, present, sizes = bin_segments(bins)
    parts = torch.split(centred[order], sizes)
    moved = torch.cat([part @ matrices[b].T for part, b in zip(parts, present, strict=True)])
    return moved[torch.argsort(order)] + smoothed_mean[bins]


def _inputs(dtype):
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(N, D, dtype=dtype, generator=generator)
    bins = torch.randint(0, B - 2, (N,), generator=generator)  # the last two bins stay empty
    stats = [torch.randn(B, D, dtype=dtype, generator=generator) for _ in range(4)]
    stats[1], stats[3] = stats[1].abs() + 0.1, stats[3].abs() + 0.1  # variances
    matrices = torch.randn(B, D, D, dtype=dtype, generator=generator) / D**0.5
    return features, bins, stats, matrices


def _value_and_grad(function, features, *args):
    features = features.clone().requires_grad_(True)
    upstream = torch.linspace(-1.0, 2.0, features.numel(), dtype=features.dtype).reshape(features.shape)
    value = function(features, *args)
    (grad,) = torch.autograd.grad((value * upstream).sum(), features)
    return value.detach(), grad


def _assert_close(actual, expected, dtype):
    tolerance = TOLERANCE[dtype]
    torch.testing.assert_close(actual, expected, rtol=tolerance, atol=tolerance * expected.abs().max().item())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_diag_table_calibration_equals_the_formula(dtype):
    features, bins, stats, _ = _inputs(dtype)
    table = diag_table(*stats, clip=(0.1, 10.0), eps=1e-6)
    value, grad = _value_and_grad(calibrate_diag_table, features, bins, table)
    expected_value, expected_grad = _value_and_grad(
        lambda z: calibrate_diag(z, bins, *stats, clip=(0.1, 10.0), eps=1e-6), features
    )
    _assert_close(value, expected_value, dtype)
    _assert_close(grad, expected_grad, dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("per_bin", [True, False])  # the CPU loop and the gathered batched product
def test_full_calibration_equals_the_previous_implementation(dtype, per_bin):
    features, bins, (mean, _, smoothed_mean, _), matrices = _inputs(dtype)
    value, grad = _value_and_grad(
        lambda z: calibrate_full(z, bins, mean, smoothed_mean, matrices, per_bin=per_bin), features
    )
    expected_value, expected_grad = _value_and_grad(
        _previous_calibrate_full, features, bins, mean, smoothed_mean, matrices
    )
    _assert_close(value, expected_value, dtype)
    _assert_close(grad, expected_grad, dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_full_table_calibration_equals_the_formula(dtype):
    features, bins, (mean, _, smoothed_mean, _), matrices = _inputs(dtype)
    value, grad = _value_and_grad(calibrate_full_table, features, bins,
                                  *full_table(mean, smoothed_mean, matrices))
    expected_value, expected_grad = _value_and_grad(
        _previous_calibrate_full, features, bins, mean, smoothed_mean, matrices
    )
    _assert_close(value, expected_value, dtype)
    _assert_close(grad, expected_grad, dtype)


def test_full_table_leaves_unchanged_bins_exactly_as_they_are():
    features, bins, (mean, _, smoothed_mean, _), matrices = _inputs(torch.float32)
    unchanged = torch.arange(B) % 3 == 0
    out = calibrate_full_table(features, bins, *full_table(mean, smoothed_mean, matrices, unchanged))
    kept = unchanged[bins]
    assert kept.any() and torch.equal(out[kept], features[kept])
    assert not torch.allclose(out[~kept], features[~kept])


@pytest.mark.skipif(not hasattr(F, "grouped_mm"), reason="torch.nn.functional.grouped_mm is PyTorch >= 2.9")
def test_the_grouped_product_equals_one_product_per_bin():
    features, bins, _, matrices = _inputs(torch.float32)
    grouped, grouped_grad = _value_and_grad(per_bin_product, features, bins, matrices)
    looped, looped_grad = _value_and_grad(lambda z: _PerBinProduct.apply(z, matrices, bins), features)
    _assert_close(grouped, looped, torch.float32)
    _assert_close(grouped_grad, looped_grad, torch.float32)
    odd = features[:, :3]  # 12-byte rows: grouped_mm refuses them, the per-bin loop takes over
    torch.testing.assert_close(per_bin_product(odd, bins, matrices[:, :3, :3]),
                               _PerBinProduct.apply(odd, matrices[:, :3, :3], bins))


def test_deferred_outer_products_equal_per_step_sums(monkeypatch):
    monkeypatch.setattr(pending_module, "CHUNK_ROWS", 64)  # flush inside the epoch too
    generator = torch.Generator().manual_seed(1)
    fds = FDS(D, B, covariance="full").double()
    expected = torch.zeros(B, D, D, dtype=torch.float64)
    for _ in range(7):
        z = torch.randn(30, D, dtype=torch.float64, generator=generator)
        bins = torch.randint(0, B, (30,), generator=generator)
        fds(z, bins)
        accumulate_outer_products(expected, z, bins)
    assert fds._pending.rows > 0  # some rows are still pending ...
    saved = fds.state_dict()["sum_sq"]  # ... and reading the state adds them first
    torch.testing.assert_close(saved, expected, rtol=1e-12, atol=1e-12)
    fds.update()  # no false alarm: the record matches the flushed sums
    assert fds._pending.rows == 0 and fds.epoch == 1


def test_out_of_range_ids_flagged_on_device_raise_at_update():
    fds = FDS(D, B)
    fds(torch.randn(5, D), torch.arange(5))
    fds._invalid = torch.tensor(True)  # what a CUDA forward records for an id outside [0, B)
    with pytest.raises(LabelError, match=r"must lie in \[0, 11\]"):
        fds.update()
    assert float(fds.count.sum()) == 0.0 and fds.epoch == 0
