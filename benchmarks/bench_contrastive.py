"""Time and memory of the fast GCL / RnC against the O(n^3) per-anchor-mask formulation.

Each (loss, implementation, n) runs in its own subprocess so that peak memory can be read
honestly from ``resource.getrusage(...).ru_maxrss``: the reported peak is the increase of the
process's peak resident set size during the first forward+backward, over its peak before it
(inputs, interpreter and torch already loaded). Times are the median of ``--repeats``
forward+backward passes after that first one, in float32 on ``--threads`` CPU threads.

First, in one process, the current losses against the implementation they replaced (issue 14:
one sort per anchor row and autograd through ``torch.logcumsumexp``, kept as
``ordinal_contrastive_per_anchor``): forward+backward of both, interleaved over ``--repeats``
rounds in a new random order each round; the speed-up is the median over rounds of the paired
ratio, and the value and gradient differences are relative (the gradient's to its largest entry).
GCL uses 10 groups; RnC continuous labels (the sort path) and 20 binned levels (the bucket path).

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_contrastive.py [--old-vs-new-only]``
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import torch
import torch.nn.functional as F

from dirkit.losses import group_contrastive_loss, rank_n_contrast_loss
from dirkit.losses._ordinal_contrastive import ordinal_contrastive_per_anchor
from dirkit.losses._rnc import _euclidean_distances

# Bytes the O(n^3) reference keeps for backward per (anchor, j, k) triple: a bool mask and the
# float32 masked logits saved by logsumexp, plus allocator slack (measured: about 6.8 at n=512).
# Used only to skip sizes that cannot fit in memory.
_REFERENCE_BYTES_PER_TRIPLE = 7


def _per_anchor_mask_loss(logits: torch.Tensor, distances: torch.Tensor) -> torch.Tensor:
    """The reference formulation: for each anchor i, a (n, n) mask [j, k] = d_ik >= d_ij."""
    n = logits.shape[0]
    total = logits.new_zeros(())
    for i in range(n):
        mask = distances[i][None, :] >= distances[i][:, None]
        mask[:, i] = False
        log_denominator = torch.logsumexp(logits[i][None, :].masked_fill(~mask, -math.inf), dim=1)
        log_ratio = logits[i] - log_denominator
        total = total - (log_ratio.sum() - log_ratio[i])
    return total / (n * (n - 1))


def _reference(loss: str, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    if loss == "gcl":
        normalised = F.normalize(features, dim=1)
        logits = normalised @ normalised.T / 0.07
    else:
        logits = -torch.cdist(features, features) / 2.0
    return _per_anchor_mask_loss(logits, (labels[:, None] - labels[None, :]).abs())


def _fast(loss: str, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    if loss == "gcl":
        return group_contrastive_loss(features, labels, temperature=0.07)
    return rank_n_contrast_loss(features, labels, temperature=2.0)


def _previous(loss: str, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The loss as computed before issue 14: per-row sort, autograd through logcumsumexp."""
    anchors = torch.arange(features.shape[0])
    if loss == "gcl":
        normalised = F.normalize(features, dim=1)
        logits = normalised @ normalised.T / 0.07
    else:
        logits = -_euclidean_distances(features, features) / 2.0
    distances = (labels[:, None] - labels[None, :]).abs()
    return ordinal_contrastive_per_anchor(logits, distances, anchors).mean()


def _timed(compute: Any, features: torch.Tensor, labels: torch.Tensor) -> tuple[float, float, torch.Tensor]:
    features.grad = None
    start = time.perf_counter()
    value = compute(features, labels)
    value.backward()
    seconds = time.perf_counter() - start
    assert features.grad is not None
    return seconds, value.item(), features.grad.clone()


def old_vs_new(n: int, dim: int, repeats: int) -> None:
    """Print the previous against the current implementation, side by side in this process."""
    cases = [
        ("gcl", "10 groups", lambda g: torch.randint(0, 10, (n,), generator=g)),
        ("rnc", "continuous", lambda g: 100 * torch.rand(n, generator=g)),
        ("rnc", "20 levels", lambda g: torch.randint(0, 20, (n,), generator=g).float()),
    ]
    header = (f"{'loss':<5}{'labels':<12}{'n':>6}{'previous ms':>13}{'current ms':>12}{'speed-up':>10}"
              f"{'value diff':>12}{'grad diff':>11}")
    print(f"\nprevious (sort + autograd) vs current, n={n}, d={dim}, float32, {repeats} interleaved rounds")
    print(header)
    print("-" * len(header))
    shuffle = random.Random(0)
    for loss, kind, draw in cases:
        generator = torch.Generator().manual_seed(0)
        features = torch.randn(n, dim, generator=generator).requires_grad_(True)
        labels = draw(generator)
        implementations = {
            "previous": lambda x, y, loss=loss: _previous(loss, x, y),
            "current": lambda x, y, loss=loss: _fast(loss, x, y),
        }
        times: dict[str, list[float]] = {name: [] for name in implementations}
        results = {}
        for name, compute in implementations.items():  # warm-up, and the values compared
            _timed(compute, features, labels)
            results[name] = _timed(compute, features, labels)[1:]
        for _ in range(repeats):
            names = list(implementations)
            shuffle.shuffle(names)
            for name in names:
                times[name].append(_timed(implementations[name], features, labels)[0])
        ratio = statistics.median(p / c for p, c in zip(times["previous"], times["current"], strict=True))
        (old_value, old_grad), (new_value, new_grad) = results["previous"], results["current"]
        value_diff = abs(new_value - old_value) / abs(old_value)
        grad_diff = float((new_grad - old_grad).abs().max() / old_grad.abs().max())
        print(f"{loss:<5}{kind:<12}{n:>6}{1e3 * statistics.median(times['previous']):>13.2f}"
              f"{1e3 * statistics.median(times['current']):>12.2f}{ratio:>9.2f}x"
              f"{value_diff:>12.1e}{grad_diff:>11.1e}")


def _worker(loss: str, implementation: str, n: int, dim: int, repeats: int) -> dict[str, float]:
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(n, dim, generator=generator).requires_grad_(True)
    if loss == "gcl":
        labels = torch.randint(0, 10, (n,), generator=generator).float()
    else:
        labels = torch.randint(0, 100, (n,), generator=generator).float()
    compute = _fast if implementation == "fast" else _reference
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    value = compute(loss, features, labels)
    value.backward()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    times = []
    for _ in range(repeats):
        features.grad = None
        start = time.perf_counter()
        compute(loss, features, labels).backward()
        times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times), "peak_mib": peak_kib / 1024, "value": value.item()}


def _run(loss: str, implementation: str, n: int, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", loss, implementation, str(n)]
    command += ["--dim", str(args.dim), "--repeats", str(args.repeats), "--threads", str(args.threads)]
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 512, 2048])
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-reference-gib", type=float, default=4.0)
    parser.add_argument("--worker", nargs=3, metavar=("LOSS", "IMPL", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--old-vs-new-n", type=int, default=512, help="n of the side-by-side table")
    parser.add_argument("--old-vs-new-repeats", type=int, default=15)
    parser.add_argument("--old-vs-new-only", action="store_true", help="skip the O(n^3) table")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.worker:
        loss, implementation, n = args.worker
        print(json.dumps(_worker(loss, implementation, int(n), args.dim, args.repeats)))
        return
    print(
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"{args.threads} thread(s), d={args.dim}, float32, median of {args.repeats}"
    )
    old_vs_new(args.old_vs_new_n, args.dim, args.old_vs_new_repeats)
    if args.old_vs_new_only:
        return
    print()
    header = (
        f"{'loss':<5}{'n':>6}{'fast s':>10}{'O(n^3) s':>11}{'speed-up':>10}"
        f"{'fast MiB':>10}{'O(n^3) MiB':>12}{'rel. diff':>11}"
    )
    print(header)
    print("-" * len(header))
    for loss in ("gcl", "rnc"):
        for n in args.sizes:
            fast = _run(loss, "fast", n, args)
            needed_gib = _REFERENCE_BYTES_PER_TRIPLE * n**3 / 2**30
            if needed_gib > args.max_reference_gib:
                print(
                    f"{loss:<5}{n:>6}{fast['seconds']:>10.4f}{'skipped':>11}{'':>10}"
                    f"{fast['peak_mib']:>10.1f}{f'>{needed_gib:.0f} GiB':>12}"
                )
                continue
            reference = _run(loss, "reference", n, args)
            speedup = reference["seconds"] / fast["seconds"]
            difference = abs(fast["value"] - reference["value"]) / abs(reference["value"])
            print(
                f"{loss:<5}{n:>6}{fast['seconds']:>10.4f}{reference['seconds']:>11.3f}"
                f"{speedup:>9.0f}x{fast['peak_mib']:>10.1f}{reference['peak_mib']:>12.1f}"
                f"{difference:>11.1e}"
            )
    print(
        f"O(n^3) runs needing more than --max-reference-gib={args.max_reference_gib} GiB "
        f"(estimated {_REFERENCE_BYTES_PER_TRIPLE} bytes per (i, j, k) triple) are skipped."
    )


if __name__ == "__main__":
    main()
