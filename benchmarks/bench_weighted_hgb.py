"""Gradient boosting with and without dirkit's density weights, next to dirkit's MLP methods.

On each tabular set and seed the split is the runner's (``load_dataset``, seeded like the MLP
runs), then two regressors fit the training rows: ``HistGradientBoostingRegressor`` (HGB) and
``DIRWeightedRegressor(HGB, reweight="sqrt_inv", lds=True)`` with the data set's DIR bin width.
Test MAE per shot region (mean ± std over seeds) is printed next to the MLP methods' records
of a ``dirkit bench`` results file (default ``docs/results/tabular/results.json``).

Usage::

    DIRKIT_DATA_DIR=../shared/data python benchmarks/bench_weighted_hgb.py --out docs/weighted-hgb.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sklearn.ensemble import HistGradientBoostingRegressor

from dirkit.bench import load_dataset
from dirkit.estimator import DIRWeightedRegressor
from dirkit.metrics import shot_metrics

SETS = ["cpusm", "heat", "bank8fm", "abalone", "availpwr"]
SHOTS = ["all", "many", "medium", "few"]
MLP_METHODS = ["vanilla", "sqinv+lds", "balanced-mse", "smogn"]


def _regressors(seed: int, bin_width: float) -> dict[str, Any]:
    hgb = HistGradientBoostingRegressor(random_state=seed)
    return {
        "HGB": hgb,
        "HGB + SQINV + LDS": DIRWeightedRegressor(hgb, reweight="sqrt_inv", lds=True, bin_width=bin_width),
    }


def run(data_dir: Path, seeds: list[int]) -> list[dict[str, Any]]:
    """One record (dataset, method, seed, test metrics by shot) per fit."""
    records = []
    for name in SETS:
        dataset = f"tabular-ir/{name}"
        for seed in seeds:
            data = load_dataset(dataset, seed, data_dir, {})
            for method, model in _regressors(seed, data.bin_width).items():
                start = time.perf_counter()
                model.fit(data.x_train, data.y_train)
                test = shot_metrics(model.predict(data.x_test), data.y_test, data.y_train, data.binner())
                records.append({"dataset": dataset, "method": method, "seed": seed, "test": test,
                                "duration_s": time.perf_counter() - start})
                print(f"{dataset} {method} seed {seed}: All MAE {test['all']['mae']:.3f}", file=sys.stderr)
    return records


def _mlp_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    records = json.loads(path.read_text(encoding="utf-8"))["records"]
    return [
        {"dataset": r["dataset"], "method": f"MLP {r['method']}", "seed": r["seed"],
         "test": r["metrics"]["test"]}
        for r in records
        if r["method"] in MLP_METHODS
    ]


def _cell(values: list[float]) -> str:
    if not values:
        return "-"
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {spread:.3f}"


def table(records: list[dict[str, Any]]) -> str:
    """Markdown: one block per data set, a row per method, test MAE per shot region."""
    cells: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        for shot in SHOTS:
            cells[record["dataset"], record["method"]][shot].append(float(record["test"][shot]["mae"]))
    lines = ["| data set | method | seeds | " + " | ".join(f"{s} MAE" for s in SHOTS) + " |",
             "|---|---|---|" + "---|" * len(SHOTS)]
    for name in SETS:
        dataset = f"tabular-ir/{name}"
        methods = [m for (d, m) in cells if d == dataset]
        for method in sorted(methods, key=lambda m: (m.startswith("MLP"), m)):
            shots = cells[dataset, method]
            row = " | ".join(_cell(shots[s]) for s in SHOTS)
            lines.append(f"| {name} | {method} | {len(shots['all'])} | {row} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("DIRKIT_DATA_DIR", "data")))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--mlp-results", type=Path, default=Path("docs/results/tabular/results.json"))
    parser.add_argument("--out", type=Path, help="also write the table (with its command) here")
    args = parser.parse_args()
    start = time.perf_counter()
    records = run(args.data_dir, [int(s) for s in args.seeds.split(",")])
    text = table(records + _mlp_records(args.mlp_results))
    print(text)
    if args.out:
        command = "DIRKIT_DATA_DIR=$DATA_DIR python benchmarks/bench_weighted_hgb.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in (("seeds", args.seeds), ("out", args.out))
        )
        args.out.write_text(
            "# Gradient boosting with dirkit's density weights (tabular sets)\n\n"
            f"Written by `{command}` in {time.perf_counter() - start:.0f} s. Test MAE per shot region, "
            "mean ± std over seeds (each seed is its own split, as in the MLP runs). MLP rows: "
            f"`{args.mlp_results}` (80 epochs; see its README).\n\n{text}\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
