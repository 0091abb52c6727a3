"""Feature distribution smoothing (FDS, Yang et al. 2021) as a calibration layer.

How dirkit differs from the reference code (YyzHarry/imbalanced-regression, ``fds.py``):

1. **Source of statistics.** The reference re-runs the training set through the network after
   each epoch (one extra forward pass) to collect features. By default (``collect="forward"``)
   dirkit accumulates detached *pre-calibration* features from the training forward pass itself,
   so FDS costs almost nothing extra; an epoch's statistics then mix features of the model as it
   changes during the epoch. ``collect="extra-pass"`` reproduces the reference: the training
   forward only calibrates, and you call :meth:`FDS.collect` on every training batch in a
   separate ``torch.no_grad()`` pass before :meth:`FDS.update`.
2. **No in-place writes.** The reference's ``smooth`` writes calibrated values into the feature
   tensor, so collected features can be already smoothed (and autograd can fail). dirkit returns
   a new tensor and always collects pre-calibration features.
3. **No update-order lag or aliasing.** The reference smooths the running statistics *before*
   folding in the new epoch, and its "last epoch" statistics alias the live ones, so the means it
   subtracts (epoch ``e``) and the smoothed statistics it adds (epoch ``e - 1``) differ in age.
   :meth:`FDS.update` folds the epoch in, then smooths: both tables come from the same update.
4. **First update per bin.** The reference ignores momentum at ``epoch == start_update`` for all
   bins; a bin first seen later is averaged with its zero-mean/unit-variance initial values.
   dirkit initialises each bin from the first epoch in which it has samples.
5. **Sync.** Per-bin sums are ``all_reduce``-d (summed) before the update so every rank holds
   the same statistics; the reference has no synchronisation.

Zero variances (a bin with one sample, or a feature constant within a bin) are handled as the
reference's ``calibrate_mean_var`` does (``zero_variance="identity"``, the default): a bin whose
running variances sum to less than ``1e-10`` is left unchanged, and in other bins each dimension
with zero variance is left unchanged (neither shifted nor scaled) while the others are
calibrated. The reference never divides by a zero variance, so it returns no NaN.
``zero_variance="floor"`` instead floors ``var_b`` at ``eps``, which gives such a dimension the
largest gain ``sqrt(clip[1])``.

Kept from the reference: sum-normalised kernel with reflect padding; momentum 0.9 weighting the
*old* value (``running = m * running + (1 - m) * epoch``); unbiased variance (zero for a bin
with one sample); zero mean and unit variance for bins never seen; diagonal variance and clip
``(0.1, 10)`` by default.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
from torch import Tensor, nn

from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.density._kernels import KERNELS, kernel_window
from dirkit.exceptions import ConfigError
from dirkit.nn._fds_calibration import (
    ZERO_VARIANCE,
    ZERO_VARIANCE_TOTAL,
    calibrate_diag_table,
    calibrate_full_table,
    calibration_matrices,
    diag_table,
    full_table,
)
from dirkit.nn._fds_pending import PendingRows
from dirkit.nn._fds_stats import (
    BinnerLike,
    LocalRecord,
    add_counts,
    check_bin_ids,
    ema_update,
    invalid_bins,
    moments_from_sums,
    raise_invalid_bins,
    smoothing_matrix,
    sync_sums,
)

__all__ = ["FDS"]


def _refresh_after_load(module: nn.Module, incompatible_keys: Any) -> None:
    """Load-state-dict post hook: rebuild the derived full-covariance calibration matrices."""
    if isinstance(module, FDS):
        module._pending.clear()  # rows of the state before the load
        module._record = LocalRecord.of(module.count, module.sum_sq)
        module._refresh_calibration()


class FDS(nn.Module):
    """Feature distribution smoothing: calibrate features with kernel-smoothed per-bin statistics.

    In training mode, ``forward`` (a) adds the detached features to per-bin sums (``count``,
    ``sum``, ``sum_sq``) and (b) from epoch ``start_smooth`` on, maps each feature through the
    statistics of its bin, which stay fixed during the epoch. In eval mode it is the identity.
    Call :meth:`update` (or :meth:`on_epoch_end`) once per epoch on every rank.

    Parameters
    ----------
    feature_dim : int
        Size ``d`` of the features.
    n_bins : int
        Number of label bins ``B`` (``binner.n_bins_``).
    kernel, ks, sigma : {"gaussian", "triangular", "laplace"}, int, float
        Smoothing kernel over bins (normalised to sum to 1), its odd size and its width.
    momentum : float
        Weight of the old running statistics in the per-epoch EMA (reference: 0.9).
    start_update, start_smooth : int
        First epoch whose statistics are used, and first epoch whose features are calibrated.
    covariance : {"diag", "full"}
        ``"diag"`` (reference code): ``z~ = (z - mu) * sqrt(clamp(var~ / var, lo, hi)) + mu~``.
        ``"full"`` (paper eq. 6): ``z~ = S~^(1/2) S^(-1/2) (z - mu) + mu~``, eigenvalues of ``S``
        floored at ``max(eps, lambda_max(S~) / clip[1])`` so the gain is at most
        ``sqrt(clip[1])``; memory grows as ``B d^2``.
    clip : tuple of float
        ``(lo, hi)`` bounds on the variance ratio (reference: age (0.1, 10), depth (0.2, 5),
        STS-B (0.5, 2)). Only ``hi`` is used by ``"full"``.
    eps : float
        Floor of variances and eigenvalues.
    zero_variance : {"identity", "floor"}
        A zero running variance: ``"identity"`` (reference code; default) leaves that dimension
        (diag) or, when the bin's variances sum below ``1e-10``, the whole bin (diag and full)
        unchanged; ``"floor"`` floors the variance at ``eps`` (diag: gain ``sqrt(clip[1])``;
        full: the eigenvalue floor alone).
    collect : {"forward", "extra-pass"}
        Where statistics come from; see the module docstring for the reference's behaviour.
    binner : object with ``transform(y) -> bin ids``, optional
        Lets ``forward`` take float labels instead of bin ids.

    Attributes
    ----------
    count, sum, sum_sq : Tensor buffers of shape (B,), (B, d), (B, d) or (B, d, d)
        Float64 additive accumulators of the current epoch (summed across ranks in ``update``).
        ``count`` is current after every forward; ``sum`` and ``sum_sq`` take the detached rows
        in chunks of 4,096 (:mod:`dirkit.nn._fds_pending`), and hold every row seen once
        :meth:`update` or ``state_dict()`` has run.
    running_mean, running_var : Tensor buffers of shape (B, d) and (B, d) or (B, d, d)
    smoothed_mean, smoothed_var : Tensor buffers, same shapes
    bin_updates : Tensor buffer of shape (B,)
        Number of updates in which each bin had samples.
    epoch : int
        Current epoch (advanced by ``update``; saved in the state dict).

    Notes
    -----
    Under ``DistributedDataParallel`` pass ``forward_sync_buffers=False`` (``broadcast_buffers=
    False`` before torch 2.13): by default DDP copies rank 0's buffers, the per-bin sums
    included, to every rank before each forward. :meth:`update` detects this and raises.

    References
    ----------
    Yang, Zha, Chen, Wang, Katabi. Delving into Deep Imbalanced Regression. ICML 2021, sec. 3.2.

    Examples
    --------
    >>> fds = FDS(4, n_bins=3)
    >>> z, bins = torch.randn(6, 4, generator=torch.Generator().manual_seed(0)), torch.arange(6) % 3
    >>> _ = fds(z, bins)                       # epoch 0: collect only
    >>> fds.update()                           # fold epoch 0 in, smooth, go to epoch 1
    >>> fds(z, bins).shape, fds.epoch
    (torch.Size([6, 4]), 1)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "feature_dim": [Interval(int, 1, None)],
        "n_bins": [Interval(int, 1, None)],
        "kernel": [OneOf(KERNELS)],
        "ks": [Interval(int, 1, None)],
        "sigma": [Interval(float, 0, None, closed="neither")],
        "momentum": [Interval(float, 0, 1)],
        "start_update": [Interval(int, 0, None)],
        "start_smooth": [Interval(int, 0, None)],
        "covariance": [OneOf(("diag", "full"))],
        "clip": [tuple],
        "eps": [Interval(float, 0, None, closed="neither")],
        "collect": [OneOf(("forward", "extra-pass"))],
        "zero_variance": [OneOf(ZERO_VARIANCE)],
    }

    count: Tensor
    sum: Tensor
    sum_sq: Tensor
    running_mean: Tensor
    running_var: Tensor
    smoothed_mean: Tensor
    smoothed_var: Tensor
    bin_updates: Tensor
    smoother: Tensor
    calibration: Tensor
    calibration_offset: Tensor

    def __init__(
        self,
        feature_dim: int,
        n_bins: int,
        *,
        kernel: Literal["gaussian", "triangular", "laplace"] = "gaussian",
        ks: int = 5,
        sigma: float = 2.0,
        momentum: float = 0.9,
        start_update: int = 0,
        start_smooth: int = 1,
        covariance: Literal["diag", "full"] = "diag",
        clip: tuple[float, float] = (0.1, 10.0),
        eps: float = 1e-6,
        collect: Literal["forward", "extra-pass"] = "forward",
        binner: BinnerLike | None = None,
        zero_variance: Literal["identity", "floor"] = "identity",
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), "FDS")
        if len(clip) != 2 or not 0 < clip[0] <= clip[1]:
            raise ConfigError(
                f"The 'clip' parameter of FDS must be (lo, hi) with 0 < lo <= hi. Got {clip!r}."
            )
        self.feature_dim, self.n_bins = feature_dim, n_bins
        self.kernel, self.ks, self.sigma = kernel, ks, sigma
        self.momentum, self.start_update, self.start_smooth = momentum, start_update, start_smooth
        self.covariance, self.clip, self.eps = covariance, (float(clip[0]), float(clip[1])), eps
        self.collect_mode, self.binner, self.epoch = collect, binner, 0
        self.zero_variance = zero_variance
        self._record = LocalRecord.empty(n_bins)  # what this rank added; DDP cannot overwrite it
        self._pending = PendingRows()  # detached rows not yet in sum and sum_sq
        self._invalid: Tensor | None = None  # off the CPU: any out-of-range bin id seen (on device)
        window = kernel_window(kernel, ks, sigma, normalize="sum")
        full = covariance == "full"
        unit = torch.eye(feature_dim).repeat(n_bins, 1, 1) if full else torch.ones(n_bins, feature_dim)
        self.register_buffer("count", torch.zeros(n_bins, dtype=torch.float64))
        self.register_buffer("sum", torch.zeros(n_bins, feature_dim, dtype=torch.float64))
        self.register_buffer("sum_sq", torch.zeros(unit.shape, dtype=torch.float64))
        for prefix in ("running", "smoothed"):
            self.register_buffer(f"{prefix}_mean", torch.zeros(n_bins, feature_dim))
            self.register_buffer(f"{prefix}_var", unit.clone())
        self.register_buffer("bin_updates", torch.zeros(n_bins, dtype=torch.long))
        self.register_buffer("smoother", smoothing_matrix(window, n_bins), persistent=False)
        # Derived once per update: A_b for "full", the (mean, scale, smoothed mean) table for "diag".
        self.register_buffer("calibration", unit.clone() if full else torch.empty(0), persistent=False)
        # "full": the offsets c_b of z~ = A_b z + c_b (bins the reference leaves unchanged: I and 0).
        offset = torch.zeros(n_bins, feature_dim) if full else torch.empty(0)
        self.register_buffer("calibration_offset", offset, persistent=False)
        self.register_load_state_dict_post_hook(_refresh_after_load)
        self._refresh_calibration()

    def forward(self, features: Tensor, bins: Tensor | None = None, *, epoch: int | None = None) -> Tensor:
        """Accumulate (``collect="forward"``) and calibrate (from ``start_smooth``) in training.

        Parameters
        ----------
        features : Tensor of shape (N, feature_dim)
        bins : Tensor of shape (N,), optional
            Integer bin ids, or float labels when a ``binner`` was given. Needed in training.
        epoch : int, optional
            Current epoch; defaults to :attr:`epoch`.

        Returns
        -------
        Tensor of shape (N, feature_dim)
            Calibrated features (a new tensor), or ``features`` itself when inactive.
        """
        epoch = self.epoch if epoch is None else epoch
        accumulate = self.collect_mode == "forward" and epoch >= self.start_update
        smooth = epoch >= self.start_smooth
        if not self.training or not (accumulate or smooth):
            return features
        if bins is None:
            raise ConfigError("FDS needs the bin ids of the batch in training mode: fds(features, bins).")
        ids = self._bin_ids(features, bins)
        if accumulate:
            self._accumulate(features, ids)
        if not smooth or ids.numel() == 0:
            return features
        if self.covariance == "diag":
            return calibrate_diag_table(features, ids, self.calibration)
        return calibrate_full_table(features, ids, self.calibration, self.calibration_offset)

    @torch.no_grad()
    def collect(self, features: Tensor, bins: Tensor) -> None:
        """Add a batch of features to the epoch's sums (the reference's extra pass, or by hand)."""
        self._accumulate(features, self._bin_ids(features, bins))

    def _bin_ids(self, features: Tensor, bins: Tensor) -> Tensor:
        """Checked bin ids; off the CPU out-of-range ids are flagged on the device (no host sync),
        clamped, and reported by :meth:`update`."""
        ids = check_bin_ids(features, bins, self.n_bins, self.feature_dim, binner=self.binner)
        if ids.device.type != "cpu":
            flag = invalid_bins(ids, self.n_bins)
            self._invalid = flag if self._invalid is None else self._invalid | flag
            ids = ids.clamp(0, self.n_bins - 1)
        return ids

    def _accumulate(self, features: Tensor, bins: Tensor) -> None:
        add_counts(self.count, bins)
        if not self._pending.fits(features.shape[0]):
            self._flush()
        self._pending.add(features, bins, like=self.sum)

    def _flush(self) -> None:
        """Add the pending rows to ``sum`` and ``sum_sq`` and to this rank's record."""
        added = self._pending.flush(self.sum, self.sum_sq)
        if added is not None:
            self._record.add(*added)

    def _save_to_state_dict(self, destination: Any, prefix: str, keep_vars: bool) -> None:
        self._flush()  # the saved sums hold every row seen
        super()._save_to_state_dict(destination, prefix, keep_vars)

    @torch.no_grad()
    def update(self, epoch: int | None = None) -> None:
        """Close an epoch: sync sums across ranks, EMA the per-bin statistics, smooth, reset.

        Call it on every rank (a collective under ``torch.distributed``). Bins without samples keep
        their running statistics; epochs before ``start_update`` are discarded; then
        :attr:`epoch` becomes ``epoch + 1``.

        Parameters
        ----------
        epoch : int, optional
            The epoch that just ended; defaults to :attr:`epoch`.

        Raises
        ------
        ConfigError
            On every rank, when any rank's sums were changed by something other than this layer
            (``DistributedDataParallel`` with buffer broadcasting on, its default).
        """
        epoch = self.epoch if epoch is None else epoch
        invalid, self._invalid = self._invalid, None
        if invalid is not None and bool(invalid):  # one host sync per epoch
            self._pending.clear()
            for buffer in (self.count, self.sum, self.sum_sq):
                buffer.zero_()
            self._record = LocalRecord.empty(self.n_bins)
            raise_invalid_bins(torch.tensor([-1]), self.n_bins)
        self._flush()
        record, self._record = self._record, LocalRecord.empty(self.n_bins)
        sync_sums(self.count, self.sum, self.sum_sq, record=record)
        if epoch >= self.start_update:
            self._fold_in()
        for buffer in (self.count, self.sum, self.sum_sq):
            buffer.zero_()
        self.epoch = epoch + 1

    def on_epoch_end(self, epoch: int | None = None) -> None:
        """Callback-style alias of :meth:`update`."""
        self.update(epoch)

    def _fold_in(self) -> None:
        seen, first = self.count > 0, self.bin_updates == 0
        mean, var = moments_from_sums(self.count, self.sum, self.sum_sq)
        for name, new in (("mean", mean), ("var", var)):
            running = getattr(self, f"running_{name}")
            ema_update(running, new, seen, first, self.momentum)
            smoothed = torch.tensordot(self.smoother.double(), running.double(), dims=1)
            getattr(self, f"smoothed_{name}").copy_(smoothed)
        self.bin_updates += seen.long()
        self._refresh_calibration()

    @torch.no_grad()
    def _refresh_calibration(self) -> None:
        if self.covariance == "full":
            pair = (self.running_var, self.smoothed_var)
            matrices = calibration_matrices(*pair, max_gain=self.clip[1], eps=self.eps).to(pair[0])
            traces = self.running_var.diagonal(dim1=1, dim2=2).double().sum(dim=1)
            unchanged = traces < ZERO_VARIANCE_TOTAL if self.zero_variance == "identity" else None
            self.calibration, self.calibration_offset = full_table(
                self.running_mean, self.smoothed_mean, matrices, unchanged)
        else:
            stats = (self.running_mean, self.running_var, self.smoothed_mean, self.smoothed_var)
            self.calibration = diag_table(*stats, clip=self.clip, eps=self.eps,
                                          zero_variance=self.zero_variance)

    def get_extra_state(self) -> dict[str, int]:
        return {"epoch": self.epoch}

    def set_extra_state(self, state: dict[str, int]) -> None:
        self.epoch = int(state["epoch"])

    def extra_repr(self) -> str:
        names = ("feature_dim", "n_bins", "kernel", "ks", "sigma", "covariance", "collect_mode",
                 "zero_variance", "epoch")
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
