"""Two benchmark processes on one output folder keep every record (the results store is locked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from dirkit.bench import RESULTS_FILE, load_records
from dirkit.bench._store import merge_records

# Each process registers a tiny data set, waits until the other has read results.json too (a
# file barrier), then saves a record per method: without a lock and a re-read before every
# write, the last writer's file holds only its own records.
SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import numpy as np
    from dirkit._registry import DATASETS
    from dirkit.bench import run_benchmark
    from dirkit.datasets import DatasetSplits
    from dirkit.engine import RunResult, TrainConfig
    from dirkit.metrics import shot_metrics

    out, me, other = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    methods = sys.argv[4].split(",")

    def load(seed=0):
        rng = np.random.default_rng(seed)
        y = rng.uniform(0, 10, 200)
        x = np.column_stack([y, rng.normal(size=200)]).astype(np.float32)
        return DatasetSplits("tiny", x, y, x[:50], y[:50], x[:50], y[:50], 1.0, (0.0, 10.0))

    DATASETS._items["tiny"] = load
    calls = []

    def fake_run(data, method, *, seed, **kwargs):
        if not calls:  # both processes have loaded results.json before either writes
            (out.parent / f"ready-{me}").touch()
            deadline = time.time() + 60
            while not (out.parent / f"ready-{other}").exists() and time.time() < deadline:
                time.sleep(0.01)
        calls.append(method)
        time.sleep(0.05)
        predictions = {s: getattr(data, f"y_{s}") + 1.0 for s in ("val", "test")}
        metrics = {s: shot_metrics(predictions[s], getattr(data, f"y_{s}"), data.y_train, data.binner())
                   for s in ("val", "test")}
        return RunResult(data.name, method, seed, {}, metrics, predictions, [], {}, 0.1)

    run_benchmark(["tiny"], methods, [0, 1], out_dir=out, run_fn=fake_run,
                  train_config=TrainConfig(epochs=1), command=["test"])
    """
)


def test_two_processes_on_one_folder_keep_every_record(tmp_path: Path):
    out = tmp_path / "out"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    processes = [
        subprocess.Popen([sys.executable, "-c", SCRIPT, str(out), me, other, methods], env=env,
                         stderr=subprocess.PIPE, text=True)
        for me, other, methods in (("a", "b", "vanilla,lds,sqinv"), ("b", "a", "inv,rrt,fds"))
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    records = load_records(out)
    assert sorted((r["method"], r["seed"]) for r in records) == sorted(
        (m, s) for m in ("vanilla", "lds", "sqinv", "inv", "rrt", "fds") for s in (0, 1)
    )
    assert not list(out.glob(f".{RESULTS_FILE}.*.tmp"))


def test_a_merge_keeps_saved_records_and_removes_orphan_temporaries(tmp_path: Path):
    merge_records(tmp_path, [{"dataset": "d", "method": "a", "seed": 0, "v": 1}])
    orphan = tmp_path / f".{RESULTS_FILE}.999.deadbeef.tmp"  # left by a writer killed mid-write
    orphan.write_text("{")
    merged = merge_records(tmp_path, [{"dataset": "d", "method": "b", "seed": 0},
                                      {"dataset": "d", "method": "a", "seed": 0, "v": 2}])
    assert [(r["method"], r.get("v")) for r in merged] == [("a", 2), ("b", None)]
    assert json.loads((tmp_path / RESULTS_FILE).read_text())["records"] == merged
    assert not orphan.exists()
