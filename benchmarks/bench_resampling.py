"""Benchmark dirkit's SMOGN and SMOTER against the peers users run today (imbreg, smogn).

Each call runs in a fresh subprocess on the same data (saved once as .npy files), which reports
the wall time of the call alone and the peak resident memory of the process, before and after the
call; the table gives both and the ratios peer / dirkit. Peers are imported from another Python
(``--peer-python``, a venv with ``imbreg`` and ``smogn``; smogn needs numpy < 2.4) and skipped
with a note when absent. dirkit does not depend on either.

Usage::

    python benchmarks/bench_resampling.py --peer-python /tmp/peers-venv/bin/python
    python benchmarks/bench_resampling.py --sizes 5000 20000 --skip-smogn

The data: ``n`` rows x 10 standard normal features and a log-normal target
``exp(0.3 x_0 + 0.9 e)`` (about 17 % rare rows under the box-plot relevance, threshold 0.5).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

N_FEATURES = 10
SMOGN_PACKAGE_MAX_ROWS = 5000  # smogn is quadratic in pure Python: ~77 s at 5k rows
PEERS = ("imbreg", "smogn")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def _frame(data_dir: str) -> tuple[Any, Any]:
    import numpy as np
    import pandas as pd

    X = np.load(Path(data_dir) / "X.npy")
    y = np.load(Path(data_dir) / "y.npy")
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]), pd.Series(y, name="y")


def _call(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one benchmark call in this (worker) process; return time, memory and output size."""
    X, y = _frame(spec["data"])
    tool, method = spec["tool"], spec["method"]
    if tool == "dirkit":
        from dirkit.resampling import SMOGN, SMOTER

        cls = SMOGN if method == "smogn" else SMOTER
        options = {"safe_distance": spec["variant"]} if method == "smogn" else {}

        def run() -> Any:
            return cls(random_state=0, **options).fit_resample(X, y)
    elif tool == "imbreg":
        import imbreg

        frame = X.assign(y=y)

        def run() -> Any:
            return imbreg.smogn_regress(frame, target_col="y", k=5, pert=0.02, seed=0)
    else:
        import smogn

        frame = X.assign(y=y)

        def run() -> Any:
            return smogn.smoter(data=frame, y="y", k=5, pert=0.02, samp_method="balance")
    baseline = _peak_rss_mb()
    times, outputs = [], []
    for _ in range(spec["repeats"]):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
        outputs.append(out)
    result: dict[str, Any] = {
        "time_s": min(times),
        "peak_mb": _peak_rss_mb(),
        "extra_mb": _peak_rss_mb() - baseline,
        "rows_out": len(outputs[0][0]) if isinstance(outputs[0], tuple) else len(outputs[0]),
    }
    if tool == "dirkit" and len(outputs) > 1:
        import numpy as np

        result["identical"] = all(
            np.array_equal(np.asarray(a[0]), np.asarray(b[0]))
            and np.array_equal(np.asarray(a[1]), np.asarray(b[1]))
            for a, b in itertools.pairwise(outputs)
        )
    return result


def _spawn(python: str, spec: dict[str, Any], env: dict[str, str], timeout: float) -> dict[str, Any]:
    cmd = [python, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return {"error": lines[-1] if lines else f"exit code {done.returncode}"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _has_module(python: str, module: str) -> bool:
    probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
    return probe.returncode == 0


def _write_data(n: int, folder: Path) -> str:
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, N_FEATURES))
    y = np.exp(0.3 * X[:, 0] + 0.9 * rng.normal(size=n))
    path = folder / str(n)
    path.mkdir()
    np.save(path / "X.npy", X)
    np.save(path / "y.npy", y)
    return str(path)


def _fmt(result: dict[str, Any] | None, key: str, unit: str) -> str:
    if result is None:
        return "-"
    if "error" in result:
        return "error"
    return f"{result[key]:.2f} {unit}" if unit == "s" else f"{result[key]:.0f} {unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000, 100000])
    parser.add_argument("--peer-python", default=None, help="Python of a venv with imbreg/smogn")
    parser.add_argument("--skip-smogn", action="store_true", help="skip the (slow) smogn package")
    parser.add_argument("--repeats", type=int, default=2, help="calls per worker (best time)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads per worker")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per worker")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_call(json.loads(args.worker))))
        return 0

    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)
    peers: dict[str, bool] = {}
    if args.peer_python and Path(args.peer_python).exists():
        peers = {p: _has_module(args.peer_python, p) for p in PEERS}
    if args.skip_smogn:
        peers["smogn"] = False
    for name in PEERS:
        if not peers.get(name):
            why = "--skip-smogn" if name == "smogn" and args.skip_smogn else "no --peer-python with it"
            print(f"note: peer {name} skipped ({why})")

    rows: list[tuple[str, int, str, dict[str, Any] | None, dict[str, Any] | None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            data = _write_data(n, Path(tmp))
            base = {"data": data, "repeats": args.repeats}
            for method, variant in (("smogn", "region"), ("smogn", "knn"), ("smoter", "")):
                spec = {**base, "tool": "dirkit", "method": method, "variant": variant}
                ours = _spawn(sys.executable, spec, env, args.timeout)
                label = f"SMOGN ({variant})" if method == "smogn" else "SMOTER"
                rows.append((label, n, "dirkit", ours, None))
                if method != "smogn" or variant != "region":
                    continue
                for peer in PEERS:
                    if not peers.get(peer) or (peer == "smogn" and n > SMOGN_PACKAGE_MAX_ROWS):
                        continue
                    repeats = 1 if peer == "smogn" else args.repeats
                    spec = {**base, "repeats": repeats, "tool": peer, "method": method}
                    rows.append((label, n, peer, _spawn(args.peer_python, spec, env, args.timeout), ours))
                    print(f"done: {peer} n={n}", file=sys.stderr)

    header = ("method", "rows", "tool", "time", "peak RSS", "extra RSS", "time ratio",
              "extra-mem ratio", "rows out", "same seed = same output")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, n, tool, result, ours in rows:
        ratio_t = ratio_m = "-"
        if ours and result and "error" not in result and "error" not in ours:
            ratio_t = f"{result['time_s'] / ours['time_s']:.1f}x"
            ratio_m = f"{result['extra_mb'] / max(ours['extra_mb'], 1.0):.1f}x"
        cells = (label, f"{n:,}", tool, _fmt(result, "time_s", "s"), _fmt(result, "peak_mb", "MB"),
                 _fmt(result, "extra_mb", "MB"), ratio_t, ratio_m,
                 str(result.get("rows_out", result.get("error", "-"))) if result else "-",
                 str(result.get("identical", "-")) if result else "-")
        print("| " + " | ".join(cells) + " |")
    print("\nratios are peer / dirkit SMOGN (region): > 1 means dirkit is faster or smaller; "
          "extra RSS is the peak resident memory added by the call over the process after "
          f"imports and data loading; {args.threads} thread(s) per worker, best of "
          f"{args.repeats} call(s) (smogn: 1).\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
