"""Cost of FDS on CPU: per-step training time with and without FDS, and the extra-pass epoch cost.

Trains an MLP backbone + regression head on a synthetic skewed regression set and times, in one
run and interleaved round by round (so load from other processes hits every mode alike):

* ``none``             plain training step (forward + backward + optimizer step);
* ``diag``             FDS with diagonal variance, statistics collected from the training pass;
* ``full``             FDS with full covariance (whitening / re-colouring), same collection;
* ``diag-extra-pass``  the reference code's schedule: the training step only calibrates, and
  after each epoch the whole training set goes through the network again (``torch.no_grad``)
  to collect the statistics.

Also times ``FDS.update`` (once per epoch). Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_fds.py [--rounds 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from dirkit.labels import UniformBinner
from dirkit.nn import FDS, MLP, DIRModel, RegressionHead

MODES = ("none", "diag", "full", "diag-extra-pass")


@dataclass
class Timings:
    """Seconds per training step, per ``update`` call and per extra collection pass."""

    step: list[float] = field(default_factory=list)
    update: list[float] = field(default_factory=list)
    extra_pass: list[float] = field(default_factory=list)


def make_data(rows: int, in_features: int, n_bins: int, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, in_features)).astype(np.float32)
    y = np.exp(0.6 * x[:, 0] + 0.2 * rng.standard_normal(rows))  # log-normal: a long right tail
    bins = UniformBinner(n_bins=n_bins).fit(y).transform(y)
    return torch.from_numpy(x), torch.from_numpy(y).float(), torch.from_numpy(bins)


def build(mode: str, args: argparse.Namespace, n_bins: int) -> DIRModel:
    torch.manual_seed(args.seed)  # same initial weights for every mode (benchmark only)
    backbone = MLP(args.in_features, hidden=(256, 256), feature_dim=args.feature_dim)
    fds = None
    if mode != "none":
        fds = FDS(
            args.feature_dim,
            n_bins,
            covariance="full" if mode == "full" else "diag",
            collect="extra-pass" if mode.endswith("extra-pass") else "forward",
            start_smooth=0,
        )
    return DIRModel(backbone, RegressionHead(args.feature_dim), fds=fds)


def run_epoch(
    model: DIRModel,
    opt: torch.optim.Optimizer,
    data: tuple[Tensor, ...],
    args: argparse.Namespace,
    timings: Timings,
    order: Tensor,
) -> None:
    x, y, bins = data
    model.train()
    for start in range(0, len(order) - args.batch_size + 1, args.batch_size):
        idx = order[start : start + args.batch_size]
        t0 = time.perf_counter()
        out = model(x[idx], bins[idx])
        loss = torch.nn.functional.mse_loss(out.prediction, y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        timings.step.append(time.perf_counter() - t0)
    if model.fds is None:
        return
    if model.fds.collect_mode == "extra-pass":
        t0 = time.perf_counter()
        with torch.no_grad():
            for start in range(0, len(x), args.batch_size):
                chunk = slice(start, start + args.batch_size)
                model.fds.collect(model.backbone(x[chunk]), bins[chunk])
        timings.extra_pass.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    model.fds.update()
    timings.update.append(time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=8192)
    parser.add_argument("--in-features", type=int, default=32)
    parser.add_argument("--feature-dim", type=int, default=128)
    parser.add_argument("--bins", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5, help="epochs per mode, interleaved")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = make_data(args.rows, args.in_features, args.bins, args.seed)
    n_bins = int(data[2].max()) + 1
    gen = torch.Generator().manual_seed(args.seed)
    models = {mode: build(mode, args, n_bins) for mode in MODES}
    opts = {m: torch.optim.Adam(model.parameters(), lr=1e-3) for m, model in models.items()}
    timings = {mode: Timings() for mode in MODES}
    for round_ in range(args.rounds + 1):  # round 0 warms up and is discarded
        order = torch.randperm(args.rows, generator=gen)
        for mode in MODES:
            scratch = Timings() if round_ == 0 else timings[mode]
            run_epoch(models[mode], opts[mode], data, args, scratch, order)

    steps_per_epoch = args.rows // args.batch_size
    base = statistics.median(timings["none"].step)
    print(
        f"torch {torch.__version__}, {args.threads} thread(s); {args.rows} rows x {args.in_features}, "
        f"MLP(256, 256) -> {args.feature_dim}, {n_bins} bins, batch {args.batch_size}, "
        f"{steps_per_epoch} steps/epoch, {args.rounds} timed epochs per mode (median)"
    )
    header = [("mode", 17), ("ms/step", 9), ("x none", 8), ("update ms", 11), ("extra ms", 10)]
    header += [("ms/epoch", 10), ("x none", 8)]
    print("".join(f"{name:<{w}}" if i == 0 else f"{name:>{w}}" for i, (name, w) in enumerate(header)))
    base_epoch = base * steps_per_epoch
    for mode in MODES:
        t = timings[mode]
        step = statistics.median(t.step)
        update = statistics.median(t.update) if t.update else 0.0
        extra = statistics.median(t.extra_pass) if t.extra_pass else 0.0
        epoch = step * steps_per_epoch + update + extra
        print(
            f"{mode:<17}{1e3 * step:>9.2f}{step / base:>8.2f}{1e3 * update:>11.2f}"
            f"{1e3 * extra:>10.1f}{1e3 * epoch:>10.1f}{epoch / base_epoch:>8.2f}"
        )
    extra_share = statistics.median(timings["diag-extra-pass"].extra_pass) / base_epoch
    print(
        f"extra pass = {extra_share:.2f} of a plain training epoch "
        "(the reference's per-epoch cost that collect='forward' avoids)"
    )


if __name__ == "__main__":
    main()
