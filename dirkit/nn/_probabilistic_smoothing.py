"""VIR's probabilistic smoothing: FDS on the statistics of a variational posterior (Wang & Wang 2023).

Each sample's encoder gives a diagonal Gaussian ``q(z_i | x_i) = N(mu_i, var_i)``. For every label
bin ``b`` with ``N_b`` samples the layer keeps three per-dimension "statistics of statistics"
(the authors' ``prm.py``):

- ``mean_mu = (1/N_b) sum_i mu_i``, the mean of the means;
- ``mean_var = (1/N_b^2) sum_i var_i``, the variance of the bin's average code;
- ``var_mu = (1/N_b) sum_i (var_i + mu_i^2) - mean_mu^2 - mean_var``, the spread of the codes
  (law of total variance) less the variance of their average.

They are kept as an EMA across epochs (momentum 0.9) and smoothed over neighbouring bins with a
sum-normalised kernel ``k``: ``mean_mu`` and ``var_mu`` with ``k``, ``mean_var`` with ``k^2`` (the
variance of a ``k``-weighted sum of independent averages). A training sample of bin ``b`` is then
re-coloured, with ``f = clamp(var_mu~ / var_mu, lo, hi)``:
``mu~ = (mu - mean_mu) sqrt(f) + mean_mu~`` and ``var~ = (var + mean_var) sqrt(f) + mean_var~``
(the release's ``calibrate_mean_var_bayes``; the ``+`` keeps the variance positive). In eval mode,
and for bins not yet seen, it is the identity.

Differences from the release, as in :class:`~dirkit.nn.FDS`: statistics come from the training
forward pass (detached) instead of an extra pass, each bin starts from its first epoch with
samples, ``var_mu`` is floored at ``eps``, and the per-bin sums are summed across processes.
The release's variance of ``var`` (``2 var_mu^2 / (N_b - 1)``) is not kept: its calibration never
reads it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
from torch import Tensor, nn

from dirkit._validation import Interval, OneOf, validate_parameter_constraints
from dirkit.density._kernels import KERNELS, kernel_window
from dirkit.exceptions import ConfigError
from dirkit.nn._fds_stats import all_reduce_sum, check_bin_ids, ema_update, smoothing_matrix

__all__ = ["ProbabilisticSmoothing"]

_STATISTICS = ("mean_mu", "mean_var", "var_mu")


class ProbabilisticSmoothing(nn.Module):
    """Smooth a diagonal Gaussian posterior with kernel-smoothed per-bin statistics (VIR).

    See the module docstring for the statistics and the calibration. Call :meth:`update` once
    per epoch on every rank (the engine's FDS callback does).

    Parameters
    ----------
    latent_dim : int
        Size ``k`` of ``mu`` and ``var``.
    n_bins : int
        Number of label bins.
    kernel, ks, sigma :
        Smoothing window over bins (sum-normalised); VIR uses FDS's gaussian, 5, 2.
    momentum : float
        EMA weight of the old statistics (0.9).
    start_update, start_smooth : int
        First epoch whose statistics are kept, and first epoch that is calibrated.
    clip : tuple of float
        Bounds of the variance ratio ``f`` (the release: (0.1, 10)).
    eps : float
        Floor of ``var_mu`` before dividing.

    Examples
    --------
    >>> layer = ProbabilisticSmoothing(2, n_bins=3)
    >>> mu, var, bins = torch.randn(6, 2), torch.ones(6, 2), torch.arange(6) % 3
    >>> _ = layer(mu, var, bins)        # epoch 0: collect only
    >>> layer.update()                  # fold in, smooth, go to epoch 1
    >>> [t.shape for t in layer(mu, var, bins)], layer.epoch
    ([torch.Size([6, 2]), torch.Size([6, 2])], 1)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "latent_dim": [Interval(int, 1, None)],
        "n_bins": [Interval(int, 1, None)],
        "kernel": [OneOf(KERNELS)],
        "ks": [Interval(int, 1, None)],
        "sigma": [Interval(float, 0, None, closed="neither")],
        "momentum": [Interval(float, 0, 1)],
        "start_update": [Interval(int, 0, None)],
        "start_smooth": [Interval(int, 0, None)],
        "clip": [tuple],
        "eps": [Interval(float, 0, None, closed="neither")],
    }

    count: Tensor
    sum_mu: Tensor
    sum_mu_sq: Tensor
    sum_var: Tensor
    bin_updates: Tensor
    smoother: Tensor
    smoother_sq: Tensor

    def __init__(
        self,
        latent_dim: int,
        n_bins: int,
        *,
        kernel: Literal["gaussian", "triangular", "laplace"] = "gaussian",
        ks: int = 5,
        sigma: float = 2.0,
        momentum: float = 0.9,
        start_update: int = 0,
        start_smooth: int = 1,
        clip: tuple[float, float] = (0.1, 10.0),
        eps: float = 1e-6,
    ) -> None:
        super().__init__()
        validate_parameter_constraints(self._parameter_constraints, dict(locals()), "ProbabilisticSmoothing")
        if len(clip) != 2 or not 0 < clip[0] <= clip[1]:
            raise ConfigError(
                "The 'clip' parameter of ProbabilisticSmoothing must be (lo, hi) with 0 < lo <= hi. "
                f"Got {clip!r}."
            )
        self.latent_dim, self.n_bins, self.momentum = latent_dim, n_bins, momentum
        self.start_update, self.start_smooth = start_update, start_smooth
        self.clip, self.eps, self.epoch = (float(clip[0]), float(clip[1])), eps, 0
        self.register_buffer("count", torch.zeros(n_bins, dtype=torch.float64))
        for name in ("sum_mu", "sum_mu_sq", "sum_var"):
            self.register_buffer(name, torch.zeros(n_bins, latent_dim, dtype=torch.float64))
        for prefix in ("running", "smoothed"):
            for name in _STATISTICS:
                self.register_buffer(f"{prefix}_{name}", torch.zeros(n_bins, latent_dim))
        self.register_buffer("bin_updates", torch.zeros(n_bins, dtype=torch.long))
        window = kernel_window(kernel, ks, sigma, normalize="sum")
        self.register_buffer("smoother", smoothing_matrix(window, n_bins), persistent=False)
        self.register_buffer("smoother_sq", smoothing_matrix(window**2, n_bins), persistent=False)

    def forward(
        self, mu: Tensor, var: Tensor, bins: Tensor | None = None, *, epoch: int | None = None
    ) -> tuple[Tensor, Tensor]:
        """Collect (from ``start_update``) and calibrate (from ``start_smooth``) in training.

        Without ``bins``, or in eval mode, ``(mu, var)`` are returned unchanged.
        """
        epoch = self.epoch if epoch is None else epoch
        if not self.training or bins is None:
            return mu, var
        ids = check_bin_ids(mu, bins, self.n_bins, self.latent_dim)
        if epoch >= self.start_update:
            self._accumulate(mu, var, ids)
        if epoch < self.start_smooth or ids.numel() == 0:
            return mu, var
        return self._calibrate(mu, var, ids)

    @torch.no_grad()
    def _accumulate(self, mu: Tensor, var: Tensor, ids: Tensor) -> None:
        m, v = mu.detach().double(), var.detach().double()
        self.count.index_add_(0, ids, torch.ones_like(ids, dtype=torch.float64))
        self.sum_mu.index_add_(0, ids, m)
        self.sum_mu_sq.index_add_(0, ids, m * m)
        self.sum_var.index_add_(0, ids, v)

    def _calibrate(self, mu: Tensor, var: Tensor, ids: Tensor) -> tuple[Tensor, Tensor]:
        def at(name: str) -> Tensor:
            return getattr(self, name)[ids].to(mu.dtype)

        ratio = at("smoothed_var_mu") / at("running_var_mu").clamp_min(self.eps)
        gain = ratio.clamp(*self.clip).sqrt()
        seen = (self.bin_updates[ids] > 0)[:, None]
        new_mu = (mu - at("running_mean_mu")) * gain + at("smoothed_mean_mu")
        new_var = (var + at("running_mean_var")) * gain + at("smoothed_mean_var")
        return torch.where(seen, new_mu, mu), torch.where(seen, new_var, var)

    @torch.no_grad()
    def update(self, epoch: int | None = None) -> None:
        """Close an epoch: sum the per-bin sums across ranks, EMA, smooth, reset; ``epoch + 1``."""
        epoch = self.epoch if epoch is None else epoch
        all_reduce_sum(self.count, self.sum_mu, self.sum_mu_sq, self.sum_var)
        if epoch >= self.start_update:
            self._fold_in()
        for buffer in (self.count, self.sum_mu, self.sum_mu_sq, self.sum_var):
            buffer.zero_()
        self.epoch = epoch + 1

    def on_epoch_end(self, epoch: int | None = None) -> None:
        """Callback-style alias of :meth:`update`."""
        self.update(epoch)

    def statistics(self) -> dict[str, Tensor]:
        """This epoch's per-bin ``mean_mu``, ``mean_var`` and ``var_mu`` from the sums (zero if empty)."""
        n = self.count.clamp_min(1.0)[:, None]
        mean_mu = self.sum_mu / n
        mean_var = self.sum_var / n.square()
        var_mu = (self.sum_var + self.sum_mu_sq) / n - mean_mu.square() - mean_var
        return {"mean_mu": mean_mu, "mean_var": mean_var, "var_mu": var_mu.clamp_min(0.0)}

    def _fold_in(self) -> None:
        seen, first = self.count > 0, self.bin_updates == 0
        for name, new in self.statistics().items():
            running = getattr(self, f"running_{name}")
            ema_update(running, new, seen, first, self.momentum)
            kernel = self.smoother_sq if name == "mean_var" else self.smoother  # k^2 for a variance
            getattr(self, f"smoothed_{name}").copy_(kernel.double() @ running.double())
        self.bin_updates += seen.long()

    def get_extra_state(self) -> dict[str, int]:
        return {"epoch": self.epoch}

    def set_extra_state(self, state: dict[str, int]) -> None:
        self.epoch = int(state["epoch"])

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, n_bins={self.n_bins}, epoch={self.epoch}"
